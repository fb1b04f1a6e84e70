"""One renderer turns store content into the site's files (HTML, AS2 JSON, ICS, Atom, NodeInfo).

The outbox function calls it for the few artifacts one activity touches (artifacts.py); the
Pelican plugin calls it for every artifact on a full build. Both therefore write the same bytes.
Output is a pure function of the store and the clock's date: no build timestamps, sorted JSON keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from affiche import __version__
from affiche.activitypub import instance_actor
from affiche.activitypub import vocabulary as ap
from affiche.config import Settings
from affiche.domain.model import Activity, Actor, Comment, Event, Post, is_remote_name
from affiche.domain.text import text_of
from affiche.publish import calendar, feeds, search_index, sitemap, tombstones
from affiche.publish.archive import (
    RECENT_PAST,
    local_month,
    month_bounds,
)
from affiche.publish.event_page import event_page_context
from affiche.publish.theme import environment, instance_info

AS2 = "application/activity+json"
HTML = "text/html; charset=utf-8"
NODEINFO_21 = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
UPCOMING_LIMIT = 50
# Upcoming events a group's page, feeds and `events` collection show; later ones are on its
# yearly archive pages. What a publish reads of the group is bounded by this, not by its size.
GROUP_PAGE_EVENTS = 50
OUTBOX_PAGE = 20  # activities in the static outbox (one page, newest first)
OUTBOX_SCAN = 200  # log entries read to fill it
# The instance's own pages administrators edit online (InstanceSettings), by slug.
INSTANCE_PAGES = {"about": "About", "rules": "Rules", "terms": "Terms of service",
                  "privacy": "Privacy"}


# Artifacts naming one item, by artifact name: `Renderer.prime` reads them all in one batch.
POINT_KINDS: dict[str, type] = {"event": Event, "post": Post, "actor": Actor,
                                "group_listings": Actor, "group_outbox": Actor}
# A group's files an event changes (Renderer.group_listings).
GROUP_LISTING_FILES = frozenset({"index.html", "outbox.json", "events.json", "feed.atom",
                                 "feed.ics", "sitemap.xml"})
NODEINFO_COUNTERS = ("users", "local_posts", "local_groups")
# Items `Renderer.prime` reads ahead at most: one BatchGetItem. Pages read what is left over.
READ_AHEAD = 100


@dataclass(frozen=True)
class File:
    key: str  # bucket key, no leading slash
    body: bytes
    content_type: str


@dataclass
class Output:
    files: list[File] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    # Search entries by item id (None: remove), merged into shards by the writer (search_index.py)
    search: dict[str, Any] = field(default_factory=dict)

    def extend(self, other: Output) -> Output:
        self.files.extend(other.files)
        self.deletes.extend(other.deletes)
        self.search.update(other.search)
        return self

    def supersede(self, other: Output) -> Output:
        """Add `other` as rendered after this output: what it writes or deletes replaces what
        this output did to the same keys (a year page writes the placeholder sitemap of a month
        whose page, rendered before it, deleted it), so the whole can be applied at once."""
        changed = {f.key for f in other.files} | set(other.deletes)
        self.files = [f for f in self.files if f.key not in changed]
        self.deletes = [key for key in self.deletes if key not in changed]
        return self.extend(other)


def _month_name(year: int, month: int) -> str:
    """"March 2027": English month names, as the rest of the site (no locale dependence)."""
    return f"{MONTHS[month - 1]} {year}"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _points(planned: list[tuple[str, ...]]) -> tuple[list[tuple[type, str]], list[str]]:
    """The items and counters the `planned` artifacts read one by one (Renderer.prime)."""
    from affiche.domain.model import InstanceSettings

    wanted: list[tuple[type, str]] = []
    counters: list[str] = []
    for name, *args in planned:
        if name in POINT_KINDS:
            wanted.append((POINT_KINDS[name], args[0]))
        if name in ("actor", "group_listings"):  # the group page shows its follower count
            counters.append(f"followers:{args[0]}")
        elif name == "nodeinfo":
            wanted.append((InstanceSettings, InstanceSettings.key))
            counters += NODEINFO_COUNTERS
    return wanted, counters


def _bound(starts: list[datetime], limit: int) -> datetime | None:
    """The start of the last of `starts` (in order) when a listing of `limit` is full: an event
    beginning later cannot be on it. None when it is not full: any event can."""
    return starts[-1] if len(starts) >= limit else None


def _is_month(year: str, month: str) -> bool:
    return year.isdigit() and month.isdigit() and 1 <= int(month) <= 12


def _objects_of(activities: list[Activity]) -> list[tuple[type, str]]:
    """The events and posts the activities are about, unless they announce their deletion."""
    kinds: dict[str, type] = {"event": Event, "post": Post}
    return [(kinds[a.object_kind], a.object_key) for a in activities
            if a.object_kind in kinds and not a.object.get("deleted")]


def dump_json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1).encode()


class Renderer:
    """Renders artifacts from a store. `store` is the Repository (read side)."""

    def __init__(self, settings: Settings, store: Any, now: datetime) -> None:
        self.settings = settings
        self.store = store
        self.now = now
        self.urls = ap.Urls(settings.public_url)
        self._upcoming_cache: list[Event] | None = None
        self._sitemap_cache: dict[str, list[sitemap.Url]] = {}
        self._group_posts: dict[str, list[Post]] = {}
        self._months_cache: dict[str, list[tuple[int, int]]] = {}
        self._tags_cache: list[str] | None = None
        self._once: dict[str, Any] = {}
        self._actors: dict[str, Actor | None] = {}
        self._records: dict[tuple[type, str], Any] = {}
        self._counters: dict[str, int] = {}

    # --- helpers --------------------------------------------------------------------------------
    @property
    def instance(self) -> dict[str, Any]:
        return instance_info(self.settings)

    def html(self, key: str, template: str, **context: Any) -> File:
        body = environment().get_template(template).render(instance=self.instance, **context)
        return File(key, body.encode(), HTML)

    def _actor(self, name: str) -> Actor | None:
        """An actor, read once per renderer (many events share a group, comments an author)."""
        if name not in self._actors:
            self._actors[name] = self.store.get(Actor, name)
        return self._actors[name]

    def _group(self, name: str) -> Actor | None:
        group = self._actor(name)
        return (group if group is not None and group.is_group and not group.deleted
                and not group.suspended else None)

    def record(self, cls: type[Any], key: str) -> Any:
        """An event or post, read once per renderer: its page and its search entry share it."""
        if (cls, key) not in self._records:
            self._records[(cls, key)] = self.store.get(cls, key)
        return self._records[(cls, key)]

    def _prefetch(self, activities: list[Activity]) -> None:
        """Read the current events and posts of these activities in one batch: each outbox
        entry shows a Tombstone when its object is gone since (`_gone_since`)."""
        self._read(_objects_of(activities))

    def _read(self, wanted: list[tuple[type, str]], counters: list[str] | None = None,
              tags: list[str] | None = None) -> None:
        """Read the items, counters and tag directory entries not read yet, in one batch where
        the store can mix kinds (repository.read_points), else one BatchGetItem per kind."""
        from affiche.domain.model import InstanceSettings
        from affiche.publish import tag_index

        wanted = [w for w in dict.fromkeys(wanted) if not self._has(w)]
        counters = [c for c in counters or [] if c not in self._counters]
        tags = [t for t in dict.fromkeys(tags or []) if f"tag_months:{t}" not in self._once]
        if not wanted and not counters and not tags:
            return
        read = getattr(self.store, "read_points", None)
        if callable(read):
            entries = [(k["pk"]["S"], k["sk"]["S"]) for k in map(tag_index.directory_key, tags)]
            found, counts = read(wanted, counters, entries)
            for tag, (pk, sk) in zip(tags, entries, strict=True):
                raw = found.pop((dict, f"{pk} {sk}"), None) or {}
                self._once[f"tag_months:{tag}"] = tag_index.months_in(
                    raw.get("months", {}).get("SS"))
        else:
            found, counts = {}, {c: self.store.counter(c) for c in counters}
            for cls in dict.fromkeys(c for c, _ in wanted):
                keys = [k for c, k in wanted if c is cls]
                got = self.store.get_many(cls, keys)
                found.update({(cls, k): got.get(k) for k in keys})
        for (cls, key), entity in found.items():
            if cls is Actor:
                self._actors[key] = entity
            elif cls is InstanceSettings:
                self._once["settings"] = entity
            else:
                self._records[(cls, key)] = entity
        self._counters.update(counts)

    def _has(self, wanted: tuple[type, str]) -> bool:
        from affiche.domain.model import InstanceSettings

        cls, key = wanted
        return (key in self._actors if cls is Actor else "settings" in self._once
                if cls is InstanceSettings else wanted in self._records)

    def prime(self, planned: list[tuple[str, ...]]) -> None:
        """Before rendering `planned` artifacts, read the single items they show in one batch:
        their events, posts and actors, counts, the instance settings, the objects of the
        actors' outbox pages and the events of the tag pages (whose logs and rows are queried
        first). A publish then pays one request for them instead of one or more per page
        (DESIGN.md §5). The full build's snapshot answers from memory: nothing to batch."""
        if not callable(getattr(self.store, "read_points", None)):
            return
        wanted, counters = _points(planned)
        tags = [args[0] for name, *args in planned if name in ("tag", "tag_archive")]
        for name, *args in planned:
            if name in ("actor", "group_listings", "group_outbox"):
                wanted += _objects_of(self._outbox_page(args[0]))
            elif name == "tag":
                wanted += [(Event, r.uuid) for r in self._soonest_tagged(args[0])]
            elif name == "tag_month" and _is_month(*args[1:]):
                wanted += [(Event, r.uuid) for r in self._tag_month_rows(*args)]
        # One request: what does not fit is read by the page that shows it.
        self._read(list(dict.fromkeys(wanted))[:READ_AHEAD - len(counters) - len(set(tags))],
                   counters, tags)

    def _counter(self, name: str) -> int:
        if name not in self._counters:
            self._counters[name] = self.store.counter(name)
        return self._counters[name]

    def shown_group(self, name: str) -> Actor | None:
        """The group when its pages are published (not deleted nor suspended)."""
        return self._group(name)

    def _suspended_group(self, name: str) -> bool:
        group = self._actor(name)
        return group is not None and group.suspended

    def _meta(self, title: str, url: str, description: str = "", image: str | None = None,
              kind: str = "website") -> dict[str, Any]:
        """The page's canonical URL and sharing tags (OpenGraph, Twitter card): base.html."""
        return {"title": title, "url": url, "type": kind, "image": image,
                "description": " ".join(description.split())[:200]}

    def _group_events(self, group: str, **window: Any) -> Any:
        """The group's events in start order, read lazily (repository.group_events_in_order)."""
        return self.store.group_events_in_order(group, **window)

    def _history(self, group: str) -> tuple[list[Event], list[str]]:
        """Its latest listed events that have begun (latest first) and the years that have an
        archive page (latest first): a few pages of the date index, not every event."""
        past = list(islice((e for e in self._group_events(group, end=self.now, newest_first=True)
                            if e.listed), RECENT_PAST))
        return past, sorted(self._archive_years(group), reverse=True)

    def _months(self, group: str) -> list[tuple[int, int]]:
        """The (year, month) pairs holding a listed event of the group: the month index
        (month_index.py), one Query whatever the age or size of the group."""
        if group not in self._months_cache:
            from affiche.publish import month_index

            self._months_cache[group] = month_index.months(self.store, group)
        return self._months_cache[group]

    def _archive_years(self, group: str) -> list[str]:
        """The local years holding a listed event of the group, oldest first."""
        return sorted({str(year) for year, _ in self._months(group)})

    def _posts_of(self, group: str) -> list[Post]:
        if group not in self._group_posts:
            self._group_posts[group] = self.store.posts_of_group(group)
        return self._group_posts[group]

    def _upcoming(self) -> list[Event]:
        # Home, /events/, the feeds and every tag page read the same list: query it once.
        # A suspended group's events leave every listing (administration.py).
        if self._upcoming_cache is None:
            read = self.store.upcoming_events(self.now, UPCOMING_LIMIT)
            self._once["upcoming_bound"] = _bound([e.begins_on for e in read], UPCOMING_LIMIT)
            self._upcoming_cache = [e for e in read
                                    if e.listed and not self._suspended_group(e.group)]
        return self._upcoming_cache

    # --- how far each listing reaches (reach.py) -----------------------------------------------
    def upcoming_bound(self) -> datetime | None:
        """The start of the last event the instance's listings (home, /events/, feeds) can
        show, or None when every upcoming event fits on them."""
        self._upcoming()
        bound: datetime | None = self._once["upcoming_bound"]
        return bound

    def group_bound(self, name: str) -> datetime | None:
        """The same for the group page's upcoming events."""
        self._group_upcoming(name)
        bound: datetime | None = self._once[f"group_bound:{name}"]
        return bound

    def tag_bound(self, tag: str) -> datetime | None:
        """The same for the tag page."""
        rows = self._soonest_tagged(tag)
        return _bound([datetime.fromisoformat(r.begins) for r in rows], UPCOMING_LIMIT)

    def group_month_events(self, name: str, year: str, month: str) -> list[Event]:
        """The group's listed events of one local month (its month page), read once."""
        if f"month:{name}:{year}:{month}" not in self._once:
            start, end = month_bounds(int(year), int(month))
            self._once[f"month:{name}:{year}:{month}"] = [
                e for e in self.store.events_of_group_between(name, start, end)
                if e.listed and local_month(e) == (int(year), int(month))]
        events: list[Event] = self._once[f"month:{name}:{year}:{month}"]
        return events

    def tag_month_events(self, tag: str, year: str, month: str) -> list[Event]:
        """The listed events with the tag of one local month (its month page)."""
        return [e for e in self._tagged(tag, self._tag_month_rows(tag, year, month))
                if local_month(e) == (int(year), int(month))]

    def _group_upcoming(self, name: str) -> list[Event]:
        """The listed upcoming events the group's page, feeds and `events` show: one page of
        the date index when they are all listed."""
        if f"group_upcoming:{name}" not in self._once:
            read: list[Event] = []
            shown: list[Event] = []
            for event in self._group_events(name, start=self.now, page=GROUP_PAGE_EVENTS):
                read.append(event)
                if event.listed:
                    shown.append(event)
                    if len(shown) == GROUP_PAGE_EVENTS:
                        break
            self._once[f"group_upcoming:{name}"] = shown
            self._once[f"group_bound:{name}"] = _bound([e.begins_on for e in shown],
                                                       GROUP_PAGE_EVENTS)
        events: list[Event] = self._once[f"group_upcoming:{name}"]
        return events

    def _shown_comments(self, comments: list[Comment]) -> list[Comment]:
        """The comments public pages show: those of suspended people, and of people on blocked or
        silenced servers, become placeholders (their replies keep their place in the thread)."""
        hidden = {author for author in {c.author for c in comments} if self._hides(author)}
        if not hidden:
            return comments
        return [c.evolve(deleted=True, text_html="", text_source="") if c.author in hidden else c
                for c in comments]

    def _hides(self, author: str) -> bool:
        if is_remote_name(author):
            from urllib.parse import urlsplit

            from affiche.activitypub import blocklist

            host = urlsplit(author).hostname or ""
            current = blocklist.policy()
            return current.refusal(host) is not None or current.is_silenced(host)
        actor = self._actor(author)
        return actor is not None and actor.suspended

    # --- instance pages ------------------------------------------------------------------------
    def home(self) -> Output:
        groups = self._listed_groups()
        base = self.settings.public_url
        return Output([self.html("index.html", "home.html", events=self._upcoming(),
                                 groups=groups, noindex=False,
                                 page_meta=self._meta(self.settings.instance_name, f"{base}/"))])

    def instance_constants(self) -> Output:
        """Files that depend on the instance's configuration alone (its address, its name), not
        on what it holds: the 404 page, robots.txt, NodeInfo's and host-meta's discovery
        documents. Full builds and changes of the instance's settings write them; content
        changes never do (four uploads fewer per publish)."""
        base = self.settings.public_url
        discovery = {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                                "href": f"{base}/nodeinfo/2.1"},
                               # FEP-2677: where the instance (Application) actor lives
                               {"rel": instance_actor.NODEINFO_REL,
                                "href": instance_actor.actor_id(base)}]}
        host_meta = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
            "</XRD>\n"
        )
        return Output([
            self.html("404.html", "404.html", noindex=True),
            File("robots.txt", sitemap.robots(base), "text/plain; charset=utf-8"),
            File(".well-known/nodeinfo.json", dump_json(discovery), "application/json"),
            File(".well-known/host-meta.xml", host_meta.encode(), "application/xrd+xml"),
        ])

    def events_index(self) -> Output:
        return Output([self.html("events/index.html", "events.html", events=self._upcoming(),
                                 heading="Upcoming events", noindex=False,
                                 page_meta=self._meta("Upcoming events",
                                                      f"{self.settings.public_url}/events/"))])

    def tag(self, tag: str) -> Output:
        """/tags/{tag}/: its soonest upcoming events, and a link to each year that has one."""
        years = sorted({str(year) for year, _ in self._tag_months(tag)})
        if not years and not self._soonest_tagged(tag):
            # A tag only private events carry (or none any more) has no page. (Upcoming rows
            # without months: a directory entry a full build has not repaired yet.)
            return Output(deletes=[f"tags/{tag}/index.html"])
        events = [e for e in self._tagged(tag, self._soonest_tagged(tag))
                  if e.begins_on >= self.now and not self._suspended_group(e.group)]
        return Output([self.html(f"tags/{tag}/index.html", "events.html", events=events,
                                 heading=f"Events tagged #{tag}", noindex=False,
                                 archive_base=f"/tags/{tag}/", archive_years=years,
                                 page_meta=self._meta(f"Events tagged #{tag}",
                                                      f"{self.settings.public_url}/tags/{tag}/"))])

    def tag_archive(self, tag: str, year: str) -> Output:
        """/tags/{tag}/{year}/: a link to each month of the year holding a listed event with
        the tag (local time of each event), from the tag's month index (no event read)."""
        key = f"tags/{tag}/{year}/index.html"
        months = [f"{m:02d}" for y, m in self._tag_months(tag) if str(y) == year]
        if not months or not year.isdigit():
            return Output(deletes=[key])
        heading = f"Events tagged #{tag} in {year}"
        return Output([self.html(key, "tag_archive.html", heading=heading, noindex=False,
                                 months=[(f"/tags/{tag}/{year}/{m}/",
                                          _month_name(int(year), int(m))) for m in months],
                                 back=(f"/tags/{tag}/", f"#{tag}"),
                                 page_meta=self._meta(
                                     heading, f"{self.settings.public_url}/tags/{tag}/{year}/"))])

    def tag_month(self, tag: str, year: str, month: str) -> Output:
        """/tags/{tag}/{year}/{month}/: every listed event with the tag in one month, past and
        upcoming. Only changes to that month's events touch it, and it reads them alone."""
        key = f"tags/{tag}/{year}/{month}/index.html"
        if not _is_month(year, month):
            return Output(deletes=[key])
        events = [e for e in self.tag_month_events(tag, year, month)
                  if not self._suspended_group(e.group)]
        if not events:
            return Output(deletes=[key])
        heading = f"Events tagged #{tag} in {_month_name(int(year), int(month))}"
        return Output([self.html(key, "events.html", events=events, heading=heading,
                                 noindex=False, back=(f"/tags/{tag}/{year}/", year),
                                 page_meta=self._meta(heading, f"{self.settings.public_url}"
                                                               f"/tags/{tag}/{year}/{month}/"))])

    def _tag_months(self, tag: str) -> list[tuple[int, int]]:
        """The months holding a listed event with the tag, from its directory entry
        (tag_index.py): read with the publish's batch (prime), else on its own."""
        from affiche.publish import tag_index

        if f"tag_months:{tag}" not in self._once:
            self._once[f"tag_months:{tag}"] = tag_index.months(self.store, tag)
        months: list[tuple[int, int]] = self._once[f"tag_months:{tag}"]
        return months

    def _soonest_tagged(self, tag: str) -> list[Any]:
        """The index rows of the tag page's events: one Query of at most a page of rows."""
        from affiche.publish import tag_index

        if f"soonest:{tag}" not in self._once:
            self._once[f"soonest:{tag}"] = tag_index.upcoming_rows(self.store, tag, self.now,
                                                                   UPCOMING_LIMIT)
        rows: list[Any] = self._once[f"soonest:{tag}"]
        return rows

    def _tag_month_rows(self, tag: str, year: str, month: str) -> list[Any]:
        """The index rows of one month of the tag (a margin of a day each side, then the
        event's local month): one Query of that month's rows."""
        from affiche.publish import tag_index

        name = f"tag_month:{tag}:{year}:{month}"
        if name not in self._once:
            start, end = month_bounds(int(year), int(month))
            self._once[name] = [r for r in tag_index.rows_between(self.store, tag, start, end)
                                if r.year == year and r.month == month]
        rows: list[Any] = self._once[name]
        return rows

    def _tagged(self, tag: str, wanted: list[Any]) -> list[Event]:
        """The events of `wanted` rows still listed with `tag`, reading only those this
        renderer has not read yet."""
        from affiche.publish import tag_index

        self._read([(Event, r.uuid) for r in wanted])
        return tag_index.listed_with(tag, [self._records[(Event, r.uuid)] for r in wanted])

    def _tags(self) -> list[str]:
        """Every tag that has a page, alphabetically (tag_index's directory: one Query)."""
        from affiche.publish import tag_index

        if self._tags_cache is None:
            self._tags_cache = tag_index.names(self.store)
        return self._tags_cache

    def tags_index(self) -> Output:
        """/tags/: every tag that has a page, however many events the instance holds."""
        url = f"{self.settings.public_url}/tags/"
        return Output([self.html("tags/index.html", "tags.html", tags=self._tags(),
                                 noindex=False, page_meta=self._meta("Tags", url))])

    # --- the site's own search (search_index.py) ----------------------------------------------
    def search(self, kind: str, key: str) -> Output:
        """The search entry of one event, post or group, or its removal from the index."""
        return Output(search=search_index.entry(self, kind, key))

    def search_page(self) -> Output:
        url = f"{self.settings.public_url}/search/"
        return Output([self.html("search/index.html", "search.html", noindex=True,
                                 shards=search_index.SHARDS,
                                 page_meta=self._meta("Search", url))])

    # --- search engines ---------------------------------------------------------------------------
    def sitemaps(self) -> Output:
        """The sitemap index and the instance's own sitemap (sitemap.py); each
        listed group's sitemap is written with its page (`actor`)."""
        base = self.settings.public_url
        site = [sitemap.Url(f"{base}/"), sitemap.Url(f"{base}/events/"),
                sitemap.Url(f"{base}/tags/")]
        site += [sitemap.Url(f"{base}/tags/{tag}/") for tag in self._tags()]
        site += [sitemap.Url(f"{base}/{page['slug']}/") for page in self.instance["pages"]]
        locations = [f"{base}/sitemap-site.xml"]
        for group in sorted(self._listed_groups(), key=lambda g: g.name):
            if group.listed and group.is_group:
                count = len(self._group_sitemap(group))
                locations += [f"{base}/{key}"
                              for key in sitemap.chunk_names(f"@{group.name}/", count)]
                # Each month page writes the sitemap of its events beside it; the year page
                # gives a month without events a placeholder (group_archive).
                locations += [f"{base}/@{group.name}/events/{year}/{month:02d}/sitemap.xml"
                              for year in sorted(self._archive_years(group.name))
                              for month in range(1, 13)]
        return Output([
            File("sitemap.xml", sitemap.index(locations), sitemap.CONTENT_TYPE),
            File("sitemap-site.xml", sitemap.urlset(site), sitemap.CONTENT_TYPE),
        ])

    def _group_sitemap(self, group: Actor) -> list[sitemap.Url]:
        """The group's page, yearly archives and public posts (its events are in the yearly
        sitemaps `group_month` writes, so a publish never reads every event of the group)."""
        if group.name not in self._sitemap_cache:
            url = self.urls.actor(group.name)
            posts = [p for p in self._posts_of(group.name)
                     if p.visibility == "public" and p.is_public]
            urls = [sitemap.Url(url)]
            urls += [sitemap.Url(f"{url}events/{year}/")
                     for year in sorted(self._archive_years(group.name))]
            urls += [sitemap.Url(self.urls.post(p.slug), p.updated_at) for p in posts]
            self._sitemap_cache[group.name] = urls
        return self._sitemap_cache[group.name]

    def _group_sitemap_files(self, group: Actor) -> list[File]:
        if not group.listed:
            return []
        return [File(key, body, sitemap.CONTENT_TYPE)
                for key, body in sitemap.chunks(f"@{group.name}/", self._group_sitemap(group))]

    def instance_feeds(self) -> Output:
        events = self._upcoming()
        base = self.settings.public_url
        return Output([
            File("feed.atom", feeds.atom(f"{base}/", self.settings.instance_name,
                                         f"{base}/feed.atom", [self._entry(e) for e in events],
                                         self.now.replace(microsecond=0)), "application/atom+xml"),
            File("feed.ics", calendar.calendar(self.urls, self.settings.instance_name, events),
                 "text/calendar; charset=utf-8"),
        ])

    def nodeinfo(self) -> Output:
        base = self.settings.public_url
        if all(name in self._counters for name in NODEINFO_COUNTERS):
            counts = {name: self._counters[name] for name in NODEINFO_COUNTERS}
        else:
            counts = self.store.counters(list(NODEINFO_COUNTERS))
        users = counts["users"]
        info = {
            "version": "2.1",
            "software": {"name": "affiche", "version": __version__,
                         "repository": "https://github.com/affiche/affiche",
                         "homepage": base},
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": ["atom1.0"]},
            "openRegistrations": self._open_registrations(),
            "usage": {"users": {"total": users, "activeMonth": users, "activeHalfyear": users},
                      "localPosts": counts["local_posts"]},
            "metadata": {"nodeName": self._stored_name() or self.settings.instance_name,
                         "localGroups": counts["local_groups"]},
        }
        return Output([File("nodeinfo/2.1.json", dump_json(info), NODEINFO_21)])

    def instance_actor(self) -> Output:
        """actor.json: the instance actor (FEP-2677), whose key signs our fetches."""
        private = instance_actor.private_key_pem(self.store)  # created on the first build
        doc = instance_actor.document(self.settings.public_url,
                                      instance_actor.public_key_pem(private),
                                      self.settings.instance_name)
        return Output([File("actor.json", dump_json(doc), AS2)])

    def instance_pages(self, only_edited: bool = False) -> Output:
        """/about/, /rules/, /terms/, /privacy/ as administrators edited them online (Markdown,
        sanitised); an empty text falls back to the page of content/, or to no page at all.
        `only_edited`: the full build, where Pelican already wrote content/'s pages."""
        from affiche.domain.model import InstanceSettings
        from affiche.domain.text import markdown_to_html
        from affiche.publish.theme import CONTENT

        stored = self.store.get(InstanceSettings, InstanceSettings.key) or InstanceSettings()
        output = Output()
        for slug, title in INSTANCE_PAGES.items():
            source = getattr(stored, slug, "")
            default = CONTENT / f"{slug}.md"
            if not source and only_edited:
                continue
            if not source and default.exists():
                source = default.read_text().split("\n\n", 1)[-1]
            key = f"{slug}/index.html"
            if not source:
                output.deletes.append(key)
                continue
            page = {"title": title, "content": markdown_to_html(source)}
            output.files.append(self.html(key, "page.html", page=page, noindex=False))
        return output

    def _stored_name(self) -> str:

        settings = self._instance_settings()
        return settings.name if settings is not None else ""

    def _open_registrations(self) -> bool:

        settings = self._instance_settings()
        return settings is None or settings.registration_mode == "open"

    def _instance_settings(self) -> Any:
        from affiche.domain.model import InstanceSettings

        if "settings" not in self._once:
            self._once["settings"] = self.store.get(InstanceSettings, InstanceSettings.key)
        return self._once["settings"]

    def _listed_groups(self) -> list[Actor]:
        """Home and the sitemap index list the same groups: one query."""
        if "groups" not in self._once:
            self._once["groups"] = self.store.listed_groups()
        groups: list[Actor] = self._once["groups"]
        return groups

    # --- actors ---------------------------------------------------------------------------------
    def actor(self, name: str) -> Output:
        actor = self._actor(name)  # read once per renderer (the event's page read it too)
        prefix = f"@{name}/"
        keys = ["index.html", "index.json", "outbox.json", "followers.json", "feed.atom",
                "feed.ics", "following.json", "events.json", "posts.json", "sitemap.xml"]
        if actor is not None and actor.is_remote:
            return Output()  # our copy of another server's actor: never a file here
        if actor is None or actor.deleted or actor.suspended:
            gone = actor is not None and actor.visibility in {"public", "unlisted"}
            return self._removed(prefix, keys, gone and self.urls.actor(name),
                                 actor.type if actor else "", None)
        url = self.urls.actor(name)
        files = [File(prefix + "index.json", dump_json(ap.actor_document(self.urls, actor)), AS2),
                 File(prefix + "outbox.json", dump_json(self._outbox(actor)), AS2),
                 File(prefix + "followers.json", dump_json(self._followers(actor)), AS2),
                 File(prefix + "following.json", dump_json(self._following(actor)), AS2)]
        events: list[Event] = []
        posts: list[Post] = []
        if actor.is_group:
            # Only listed things: an unlisted event or post is reachable by its link alone.
            # One page of the date index holds them when they are all listed (one request).
            events = self._group_upcoming(name)
            posts = [p for p in self._posts_of(name)
                     if p.visibility == "public" and p.is_public]
            feed_entries = [self._entry(e) for e in events] + [self._post_entry(p) for p in posts]
            files += self._group_collections(actor, events, posts)
            files += self._group_sitemap_files(actor)
            files += [
                File(prefix + "feed.atom", feeds.atom(url, actor.display_name, url + "feed.atom",
                                                      feed_entries, actor.created_at),
                     "application/atom+xml"),
                File(prefix + "feed.ics", calendar.calendar(self.urls, actor.display_name, events),
                     "text/calendar; charset=utf-8"),
            ]
        past, years = (self._history(name) if actor.is_group else ([], []))
        image = self.urls.media(actor.avatar) if actor.avatar else None
        files.append(self.html(prefix + "index.html", "actor.html", actor=actor, actor_url=url,
                               events=events, posts=posts, noindex=not actor.listed,
                               past_events=past, archive_years=years,
                               page_meta=self._meta(actor.display_name, url,
                                                    text_of(actor.summary_html), image,
                                                    "profile")))
        return Output(files)

    def group_listings(self, name: str) -> Output:
        """What an event's change alters of its group's files: the page, the outbox, the
        events collection, the feeds and the sitemap; its actor document, followers,
        following and posts stay as they are (`actor` writes them all)."""
        output = self.actor(name)
        if output.deletes:  # gone: every file and its Tombstone, as `actor` decided
            return output
        return Output([f for f in output.files if f.key.removeprefix(f"@{name}/")
                       in GROUP_LISTING_FILES])

    def group_outbox(self, name: str) -> Output:
        """The group's outbox alone: what an event's change alters of its group's files when
        none of the group's pages can show it (reach.py)."""
        actor = self._group(name)
        if actor is None or actor.is_remote:
            return self.group_listings(name)  # gone or suspended: it decides what goes
        return Output([File(f"@{name}/outbox.json", dump_json(self._outbox(actor)), AS2)])

    def _outbox(self, actor: Actor) -> dict[str, Any]:
        # Membership activities carry a public audience when they change the member count (so the
        # group page re-renders), but who belongs to a group is members-only (DESIGN.md §3:
        # /members is private): a static outbox never lists them.
        # The group's private activities (its Accepts of remote follows, membership answers)
        # share the log: read further back than the page shows so they cannot crowd it out.
        activities = self._outbox_page(actor.name)
        self._prefetch(activities)
        url = self.urls.actor(actor.name) + "outbox"
        return {"@context": "https://www.w3.org/ns/activitystreams", "id": url,
                "type": "OrderedCollection", "totalItems": len(activities),
                "orderedItems": [self.activity_document(a) for a in activities]}

    def _outbox_page(self, name: str) -> list[Activity]:
        """The activities the actor's static outbox lists (read once per renderer)."""
        if f"outbox:{name}" not in self._once:
            self._once[f"outbox:{name}"] = [
                a for a in self.store.outbox(name, limit=OUTBOX_SCAN)
                if a.audience in {"public", "unlisted"} and a.object_kind != "membership"
            ][:OUTBOX_PAGE]
        page: list[Activity] = self._once[f"outbox:{name}"]
        return page

    def _followers(self, actor: Actor) -> dict[str, Any]:
        # Counts only, as Mastodon serves the collection of an account that hides its network:
        # who follows a group is nobody else's business (follows.py), peers only show the number,
        # and a static file listing every follower would be rewritten on each follow.
        count = self._counter(f"followers:{actor.name}")
        return {"@context": "https://www.w3.org/ns/activitystreams",
                "id": self.urls.actor(actor.name) + "followers", "type": "OrderedCollection",
                "totalItems": count}

    def _following(self, actor: Actor) -> dict[str, Any]:
        # Counts only, like followers: whom a person follows is theirs to know. A group follows
        # nobody. The collection answers (Mastodon and Mobilizon fetch what an actor advertises).
        count = 0 if actor.is_group else sum(
            1 for f in self.store.following_of(actor.name) if f.state == "accepted")
        return {"@context": "https://www.w3.org/ns/activitystreams",
                "id": self.urls.actor(actor.name) + "following", "type": "OrderedCollection",
                "totalItems": count}

    def _group_collections(self, group: Actor, events: list[Event],
                           posts: list[Post]) -> list[File]:
        """events and posts (Mobilizon reads them when it refreshes a group): the listed
        upcoming events and public posts, as full objects, in one page (both lists are bounded
        by what the group page shows, so there is no second page to link)."""
        audience = "public" if group.visibility == "public" else "unlisted"
        url = self.urls.actor(group.name)
        documents = {
            "events": [ap.event_object(self.urls, e, audience) for e in events],
            "posts": [ap.post_object(self.urls, p, audience) for p in posts],
        }
        return [File(f"@{group.name}/{name}.json", dump_json({
            "@context": ap.CONTEXT, "id": url + name, "type": "OrderedCollection",
            "totalItems": len(items), "orderedItems": items}), AS2)
            for name, items in documents.items()]

    def activity_document(self, activity: Activity) -> dict[str, Any]:
        return ap.activity_document(self.urls, activity, self.object_document(activity))

    def object_document(self, activity: Activity) -> dict[str, Any] | str:
        snapshot = activity.object
        if activity.object_kind in {"event", "post"} and self._gone_since(activity):
            # Deleted or hidden since: its earlier Create and Updates (and the Delete's own
            # snapshot) must not keep publishing it in an outbox.
            url = (self.urls.event if activity.object_kind == "event" else self.urls.post)
            return {"id": url(activity.object_key), "type": "Tombstone",
                    "formerType": "Event" if activity.object_kind == "event" else "Article"}
        if activity.object_kind == "event":
            return ap.event_object(self.urls, Event.from_dict(snapshot), activity.audience)
        if activity.object_kind == "post":
            return ap.post_object(self.urls, Post.from_dict(snapshot), activity.audience)
        if activity.object_kind == "actor":
            doc = ap.actor_document(self.urls, Actor.from_dict(snapshot))
            doc.pop("@context")
            return doc
        if activity.object_kind == "comment":
            return self._comment_document(activity)
        return self.urls.base + "/" + activity.object_key

    def _gone_since(self, activity: Activity) -> bool:
        if activity.object.get("deleted"):
            return True
        cls = Event if activity.object_kind == "event" else Post
        current = self.record(cls, activity.object_key)
        return current is None or bool(current.deleted)

    def _comment_document(self, activity: Activity) -> dict[str, Any]:
        from affiche.activitypub import comments as ap_comments
        comment = Comment.from_dict(activity.object)
        current = self.store.get(Comment, comment.id)
        if comment.deleted or current is None or current.deleted:
            # Deleted since: its earlier Create and Updates must not keep publishing the text.
            return {"id": ap_comments.comment_id(self.urls, comment), "type": "Tombstone"}
        parent = self.store.get(Comment, comment.in_reply_to) if comment.in_reply_to else None
        return ap_comments.note(self.urls, comment, parent, activity.audience)

    # --- events and posts -----------------------------------------------------------------------
    def event(self, uuid: str) -> Output:
        event: Event | None = self.record(Event, uuid)
        prefix = f"events/{uuid}/"
        group = self._group(event.group) if event else None
        if event is None or group is None or not event.is_public:
            # Deleted, or its group suspended: a public event's URLs answer 410.
            gone = (event is not None and (event.deleted or self._suspended_group(event.group))
                    and event.visibility != "private" and not getattr(event, "draft", False))
            return self._removed(prefix, ["index.html", "index.json", "event.ics"],
                                 gone and self.urls.event(uuid), "Event",
                                 event.updated_at if event else None)
        from affiche.activitypub import comments as ap_comments
        from affiche.domain.comments import remote_authors, thread
        from affiche.domain.events import event_audience

        url = self.urls.event(uuid)
        audience = event_audience(event, group)
        doc = ap.with_context(ap.event_object(self.urls, event, audience))
        comments = self._shown_comments(self.store.comments_of_event(uuid))
        doc["replies"] = ap_comments.replies(self.urls, event, comments, audience)
        return Output([
            File(prefix + "index.json", dump_json(doc), AS2),
            File(prefix + "event.ics", calendar.calendar(self.urls, event.title, [event]),
                 "text/calendar; charset=utf-8"),
            self.html(prefix + "index.html", "event.html", event=event, group=group,
                      event_url=url, summary=ap.event_summary(event),
                      json_ld=self._json_ld(event, group), noindex=not event.listed,
                      page_meta=self._meta(
                          event.title, url, ap.event_summary(event),
                          self.urls.media(event.picture) if event.picture else None),
                      comments=thread(comments), calendar=True,
                      comment_authors=remote_authors(self.store, comments),
                      **event_page_context(event, self.now)),
        ])

    def group_content(self, name: str) -> Output:
        """Every event and post of a group, its archive years and its events' tags: what a
        suspension (or its end) of the group changes at once (administration.py)."""
        output = Output()
        tags: set[str] = set()
        months: set[tuple[str, str]] = set()
        for event in self.store.events_of_group(name):
            if event.is_remote or (event.visibility == "private" and not event.deleted):
                continue
            output.extend(self.event(event.uuid)).extend(self.search("event", event.uuid))
            tags.update(event.tags)
            begins = local_month(event)
            months.add((str(begins[0]), f"{begins[1]:02d}"))
        for post in self.store.posts_of_group(name):
            output.extend(self.post(post.slug)).extend(self.search("post", post.slug))
        for tag in sorted(tags):
            output.extend(self.tag(tag))
        for year_text, month_text in sorted(months):  # months first: the year settles the rest
            output.extend(self.group_month(name, year_text, month_text))
        for year_text in sorted({year_text for year_text, _ in months}):
            output.extend(self.group_archive(name, year_text))
        return output

    def comments_by(self, author: str) -> Output:
        """The pages of the events `author` commented on (a scan: suspensions only)."""
        output = Output()
        events = {c.event for c in self.store.all_of_kind(Comment.kind) if c.author == author}
        for uuid in sorted(events):
            if not is_remote_name(uuid):
                output.extend(self.event(uuid))
        return output

    def group_archive(self, name: str, year: str) -> Output:
        """/@{group}/events/{year}/: links to the months of the year holding a listed event of
        the group (local time of each event), from the month index, so the page costs the same
        at any size. Months without one get no page, and a sitemap naming only
        this page (the sitemap index lists twelve per archive year without reading them)."""
        key = f"@{name}/events/{year}/index.html"
        every_month = [f"@{name}/events/{year}/{m:02d}/{file}" for m in range(1, 13)
                       for file in ("index.html", "sitemap.xml")]
        # The year's sitemap before month pages held the events (still deleted where it was).
        former_map = f"@{name}/events/{year}/sitemap.xml"
        group = self._group(name)
        if group is None or not year.isdigit():
            return Output(deletes=[key, former_map, *every_month])
        months = self._archive_months(name, int(year))
        if not months:
            return Output(deletes=[key, former_map, *every_month])
        base = f"{self.urls.actor(name)}events/{year}/"
        page = self.html(key, "archive.html", group=group, period=year, events=[],
                         months=[(f"/@{name}/events/{year}/{m}/", _month_name(int(year), int(m)))
                                 for m in months],
                         now=self.now, noindex=not group.listed,
                         page_meta=self._meta(f"{group.display_name}: events of {year}", base))
        empty = [f"{m:02d}" for m in range(1, 13) if f"{m:02d}" not in months]
        if not group.listed:
            return Output([page], [former_map, *(f"@{name}/events/{year}/{m}/sitemap.xml"
                                                 for m in empty)])
        placeholder = sitemap.urlset([sitemap.Url(base)])
        return Output([page, *(File(f"@{name}/events/{year}/{m}/sitemap.xml", placeholder,
                                    sitemap.CONTENT_TYPE) for m in empty)], [former_map])

    def _archive_months(self, group: str, year: int) -> list[str]:
        """The months ("mm") of `year` holding a listed event of the group."""
        return [f"{month:02d}" for y, month in self._months(group) if y == year]

    def group_month(self, name: str, year: str, month: str) -> Output:
        """/@{group}/events/{year}/{month}/: the group's listed events of one month (local time
        of each event), and the sitemap of their pages. Only changes to events of that month
        touch it, so it never shifts on an insert elsewhere."""
        key = f"@{name}/events/{year}/{month}/index.html"
        month_map = f"@{name}/events/{year}/{month}/sitemap.xml"
        group = self._group(name)
        if (group is None or not year.isdigit() or not month.isdigit()
                or not 1 <= int(month) <= 12):
            return Output(deletes=[key, month_map])
        events = self.group_month_events(name, year, month)
        if not events:
            # The year page, rendered after it, gives an emptied month its placeholder sitemap.
            return Output(deletes=[key, month_map])
        period = _month_name(int(year), int(month))
        url = f"{self.urls.actor(name)}events/{year}/{month}/"
        page = self.html(key, "archive.html", group=group, period=period, events=events,
                         months=[], now=self.now, noindex=not group.listed,
                         back=(f"/@{name}/events/{year}/", year),
                         page_meta=self._meta(f"{group.display_name}: events of {period}", url))
        if not group.listed:
            return Output([page], [month_map])
        urls = [sitemap.Url(url), *(sitemap.Url(self.urls.event(e.uuid), e.updated_at)
                                    for e in events)]
        return Output([page, File(month_map, sitemap.urlset(urls), sitemap.CONTENT_TYPE)])

    def _json_ld(self, event: Event, group: Actor) -> dict[str, Any]:
        """schema.org Event, as search engines read it. Embedded with Jinja's `tojson`, which
        writes <, >, & and ' as \\u escapes: a `</script>` in a title cannot end the element."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(event.timezone or "UTC")
        ld: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "Event", "name": event.title,
            # Local time with its offset, as the organiser announced it (search results show it).
            "startDate": event.begins_on.astimezone(zone).isoformat(),
            "endDate": event.ends_on.astimezone(zone).isoformat(),
            "url": self.urls.event(event.uuid),
            "eventStatus": {"cancelled": "https://schema.org/EventCancelled"}.get(
                event.status, "https://schema.org/EventScheduled"),
            "organizer": {"@type": "Organization", "name": group.display_name,
                          "url": self.urls.actor(group.name)},
            "description": text_of(event.description_html)[:500],
        }
        locations: list[dict[str, Any]] = []
        if event.place:
            p = event.place
            address = {"@type": "PostalAddress", "streetAddress": p.street,
                       "addressLocality": p.locality, "postalCode": p.postal_code,
                       "addressRegion": p.region, "addressCountry": p.country}
            locations.append({"@type": "Place", "name": p.name or p.one_line(),
                              "address": {k: v for k, v in address.items() if v}})
        if event.online_url:
            locations.append({"@type": "VirtualLocation", "url": event.online_url})
        ld["location"] = locations[0] if len(locations) == 1 else locations
        ld["eventAttendanceMode"] = (
            "https://schema.org/MixedEventAttendanceMode" if len(locations) == 2 else
            "https://schema.org/OnlineEventAttendanceMode" if event.online_url else
            "https://schema.org/OfflineEventAttendanceMode")
        if event.capacity:
            ld["maximumAttendeeCapacity"] = event.capacity
            left = max(event.capacity - event.participant_count, 0)
            ld["remainingAttendeeCapacity"] = left
            # Free entry with a limited number of places: an Offer says whether any are left.
            ld["offers"] = {"@type": "Offer", "url": self.urls.event(event.uuid), "price": 0,
                            "availability": "https://schema.org/InStock" if left
                            else "https://schema.org/SoldOut"}
        if event.coordinates and event.place:
            lat, lon = event.coordinates
            where = ld["location"][0] if isinstance(ld["location"], list) else ld["location"]
            where["geo"] = {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}
        if event.picture:
            ld["image"] = self.urls.media(event.picture)
        return ld

    def post(self, slug: str) -> Output:
        post: Post | None = self.record(Post, slug)
        prefix = f"p/{slug}/"
        group = self._group(post.group) if post else None
        if post is None or group is None or not post.is_public:
            gone = (post is not None and (post.deleted or self._suspended_group(post.group))
                    and post.visibility != "members"
                    and not post.draft)  # a draft never shown has nothing to take back
            return self._removed(prefix, ["index.html", "index.json"],
                                 gone and self.urls.post(slug), "Article",
                                 post.updated_at if post else None)
        url = self.urls.post(slug)
        return Output([
            File(prefix + "index.json", dump_json(ap.with_context(ap.post_object(self.urls, post))),
                 AS2),
            self.html(prefix + "index.html", "post.html", post=post, group=group, post_url=url,
                      noindex=post.visibility != "public",
                      page_meta=self._meta(post.title, url, text_of(post.body_html),
                                           self.urls.media(group.avatar) if group.avatar
                                           else None, "article")),
        ])

    def _removed(self, prefix: str, keys: list[str], gone_id: str | bool, former_type: str,
                 deleted: datetime | None) -> Output:
        """Remove an object's files; when it was public and is now deleted, leave the Tombstone
        marker that makes its URLs answer 410 (tombstones.py)."""
        deletes = [prefix + k for k in keys]
        if not isinstance(gone_id, str):
            return Output(deletes=[*deletes, prefix + tombstones.MARKER])
        doc = tombstones.tombstone(gone_id, former_type, deleted)
        return Output([File(prefix + tombstones.MARKER, dump_json(doc), AS2)], deletes)

    # --- feed entries ---------------------------------------------------------------------------
    def _entry(self, event: Event) -> feeds.Entry:
        return feeds.Entry(id=self.urls.event(event.uuid), title=event.title,
                           url=self.urls.event(event.uuid), updated=event.updated_at,
                           summary=ap.event_summary(event), content_html=event.description_html)

    def _post_entry(self, post: Post) -> feeds.Entry:
        return feeds.Entry(id=self.urls.post(post.slug), title=post.title,
                           url=self.urls.post(post.slug), updated=post.updated_at,
                           summary=text_of(post.body_html)[:280], content_html=post.body_html)
