"""The full build (Pelican + the store plugin) against the incremental outbox path and golden files.

Given a small instance (one confirmed account, one group, events of every visibility, a post),
the full build must be reproducible to the byte, agree with what the outbox function writes one
activity at a time, keep private things out of the bucket and escape everything it shows.

Golden files: `UPDATE_GOLDEN=1 pytest tests/site` rewrites tests/site/golden/ from the current
output; review the diff before committing it.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from affiche.build import build, content_type, sync_to_bucket
from affiche.config import get_settings, reset_settings
from affiche.domain import accounts, events, groups, posts
from affiche.domain.context import Ports
from affiche.domain.events import EventInput
from affiche.domain.model import Event, Post
from affiche.domain.ports import ChangeSet
from affiche.domain.text import markdown_to_html
from affiche.publish import artifacts, indexes, search_index
from affiche.publish.renderer import Renderer
from affiche.publish.service import publish
from affiche.publish.writers import FolderWriter
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.keys import CannedKeys

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
# The build's clock: every event below is upcoming at this time.
NOW = datetime(2030, 2, 1, 12, 0, tzinfo=UTC)
# The domain's clock starts before it, so created/updated times and activities are fixed too.
START = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
GOLDEN_UUID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
NOINDEX = '<meta name="robots" content="noindex">'


class TickingClock:
    """Each reading is one second after the previous one: activities get a defined order."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@dataclass
class World:
    repo: DynamoRepository
    public: Event  # in person, with an address
    online: Event
    unlisted: Event
    private: Event
    golden: Event  # stored with fixed values, for the golden files
    post: Post


def ev(title: str, day: int, **extra: object) -> EventInput:
    return EventInput(title=title, begins_on=f"2030-06-{day:02d}T10:00",
                      ends_on=f"2030-06-{day:02d}T12:30", timezone="Europe/Paris",
                      description=f"About **{title}**.", **extra)  # type: ignore[arg-type]


@pytest.fixture
def world(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("AFFICHE_INSTANCE_NAME", "Affiche test")
    reset_settings()
    repo = DynamoRepository()
    ports = Ports(repo=repo, hasher=Argon2Hasher(), keys=CannedKeys(), clock=TickingClock(START))
    ada = accounts.signup(ports, email="ada@example.org", password="correct horse battery",
                          username="ada", display_name="Ada", confirmed=True)
    groups.create_group(ports, ada, name="cyclists", display_name="Cyclists of Lyon",
                        summary="We ride *together*.", openness="open")
    address = {"name": "Place Bellecour", "street": "Place Bellecour", "locality": "Lyon",
               "postal_code": "69002", "country": "France"}
    public = events.create_event(ports, ada, "cyclists", ev("Ride to the lakes", 7,
                                                             address=address, tags=["bike"]))
    online = events.create_event(ports, ada, "cyclists", ev(
        "Route planning evening", 9, online_url="https://meet.example.org/cyclists",
        tags=["planning"]))
    unlisted = events.create_event(ports, ada, "cyclists",
                                   ev("Members picnic", 14, visibility="unlisted"))
    private = events.create_event(ports, ada, "cyclists",
                                  ev("Committee meeting", 16, visibility="private"))
    post = posts.create_post(ports, ada, "cyclists", title="Spring tune-up workshop",
                             body="Bring your bike and *a snack*.")
    # Stored directly: the domain draws random uuids, golden files need a fixed one.
    golden = Event(
        uuid=GOLDEN_UUID, group="cyclists", organizer="ada",
        title="Night ride <along> the Rhône & Saône",
        begins_on=datetime(2030, 6, 21, 19, 30, tzinfo=UTC),
        ends_on=datetime(2030, 6, 21, 22, 0, tzinfo=UTC), timezone="Europe/Paris",
        created_at=START, updated_at=START + timedelta(hours=1),
        description_source="Lights on! Meet at the *fountain*.",
        description_html=markdown_to_html("Lights on! Meet at the *fountain*."),
        address={"name": "Fontaine Bartholdi", "street": "Place des Terreaux",
                 "locality": "Lyon", "postal_code": "69001", "country": "France"},
        capacity=30, tags=["bike", "night"])
    repo.commit(ChangeSet().put(golden))
    # what publishing its activity would do (publish/indexes.py)
    indexes.index_event(golden)
    return World(repo, public, online, unlisted, private, golden, post)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def incremental(repo: DynamoRepository, folder: Path) -> dict[str, bytes]:
    """What the outbox function writes, activity after activity, in the order they happened."""
    settings = get_settings()
    for activity in sorted(repo.all_of_kind("activity"), key=lambda a: (a.published, a.id)):
        publish(activity, settings=settings, store=repo, writer=FolderWriter(folder), now=NOW)
    return tree(folder)


def text(files: dict[str, bytes], key: str) -> str:
    return files[key].decode()


# --- (a) reproducible -------------------------------------------------------------------------
def test_two_full_builds_are_byte_identical(world: World, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a stale file left in the second output folder by an older build
    stale = tmp_path / "two" / "events" / "gone" / "index.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    # When the site is built twice from the same store, the clock pinned once by argument and
    # once by the environment
    one = tree(build(tmp_path / "one", now=NOW))
    monkeypatch.setenv("AFFICHE_BUILD_NOW", NOW.isoformat())
    two = tree(build(tmp_path / "two"))
    # Then every file is the same, byte for byte, and nothing stale survives
    assert sorted(one) == sorted(two)
    assert [key for key in one if one[key] != two[key]] == []
    assert "events/gone/index.html" not in two
    # ... and the build holds the whole site
    for key in ("index.html", "events/index.html", "feed.atom", "feed.ics",
                "about/index.html", "rules/index.html", "theme/css/site.css",
                "@cyclists/index.html", "@cyclists/index.json", "@ada/index.json",
                f"events/{world.public.uuid}/index.html", f"p/{world.post.slug}/index.json",
                "tags/bike/index.html", ".well-known/nodeinfo.json", "nodeinfo/2.1.json"):
        assert key in one, key
    # ... and none of Pelican's blog outputs
    assert not [key for key in one if key.startswith(("feeds/", "category/", "tag/", "author"))]


# --- (b) the host's pages ---------------------------------------------------------------------
def test_the_about_page_uses_the_theme(world: World, tmp_path: Path) -> None:
    # When the site is built
    files = tree(build(tmp_path / "out", now=NOW))
    # Then content/about.md is at /about/, inside the same header and navigation as store pages
    about = text(files, "about/index.html")
    assert "<title>About · Affiche test</title>" in about
    assert '<nav aria-label="Site">' in about
    assert '<a href="/events/">Events</a>' in about
    assert '<a href="/rules/">Rules</a>' in about
    assert '<link rel="stylesheet" href="/theme/css/site.css">' in about
    assert NOINDEX not in about
    home = text(files, "index.html")
    assert about.split("<main")[0].split("<header")[1] == home.split("<main")[0].split("<header")[1]


def test_page_titles_are_escaped(world: World, tmp_path: Path) -> None:
    # Given a host page whose title carries markup
    content = tmp_path / "content"
    content.mkdir()
    (content / "hostile.md").write_text(
        "Title: <script>alert(1)</script> & friends\nSlug: hostile\n\nHello.\n")
    # When the site is built from it
    files = tree(build(tmp_path / "out", now=NOW, content=content))
    # Then Pelican's environment escaped the title (autoescape is on)
    page = text(files, "hostile/index.html")
    assert "<script>alert(1)</script>" not in page
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends</h1>" in page
    assert "<p>Hello.</p>" in page


def test_a_page_cannot_take_a_store_path(world: World, tmp_path: Path) -> None:
    # Given a host page whose slug is where the store publishes the events listing
    content = tmp_path / "content"
    content.mkdir()
    (content / "events.md").write_text("Title: Our events\nSlug: events\n\nSee below.\n")
    # When the site is built, then the build stops and names the path
    with pytest.raises(RuntimeError, match=r"events/index\.html"):
        build(tmp_path / "out", now=NOW, content=content)


# --- (c) full build == incremental path -------------------------------------------------------
def test_full_build_matches_the_incremental_path(world: World, tmp_path: Path) -> None:
    # Given every activity published one by one, as the outbox function does
    written = incremental(world.repo, tmp_path / "incremental")
    assert f"events/{world.public.uuid}/index.html" in written
    assert f"p/{world.post.slug}/index.html" in written
    assert "@cyclists/outbox.json" in written
    # When the whole site is built
    full = tree(build(tmp_path / "full", now=NOW))
    # Then every file the incremental path wrote is in the build, with the same bytes
    assert sorted(set(written) - set(full)) == []
    assert [key for key in written if written[key] != full[key]
            and not key.startswith(search_index.PREFIX)] == []
    # ... and the search shards hold the same entries, but for the golden event: stored
    # without an activity, it was never published, and shards are merged from what is
    # (pages are rendered from the store, so they agree either way)
    from_build = search_entries(full)
    assert from_build.pop(f"event-{GOLDEN_UUID}")
    assert search_entries(written) == from_build and len(from_build) == 4  # 2 events, post, group


def search_entries(files: dict[str, bytes]) -> dict[str, object]:
    return {doc["id"]: doc for key, body in files.items()
            if key.startswith(search_index.PREFIX) for doc in json.loads(body)["docs"]}


@pytest.mark.parametrize("first_page", [None, 1], ids=["pages-hold-all", "one-event-pages"])
def test_full_build_matches_publishing_each_change_as_it_happens(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        first_page: int | None) -> None:
    # Given the outbox publishing each change right after it is committed (not all at the end);
    # with listings of one event, most changes fall beyond them and skip those pages (reach.py)
    from affiche.domain import event_lifecycle
    from affiche.publish import renderer

    if first_page is not None:
        monkeypatch.setattr(renderer, "UPCOMING_LIMIT", first_page)
        monkeypatch.setattr(renderer, "GROUP_PAGE_EVENTS", first_page)

    folder, seen = tmp_path / "incremental", set()
    settings = get_settings()

    def publish_new() -> None:
        for activity in sorted(world.repo.all_of_kind("activity"),
                               key=lambda a: (a.published, a.id)):
            if activity.id not in seen:
                seen.add(activity.id)
                publish(activity, settings=settings, store=world.repo,
                        writer=FolderWriter(folder), now=NOW)

    publish_new()
    ports = Ports(repo=world.repo, hasher=Argon2Hasher(), keys=CannedKeys(),
                  clock=TickingClock(START + timedelta(days=2)))
    ada = accounts.login(ports, email="ada@example.org", password="correct horse battery")
    # When events are created, edited (moved to another year, tags changed), hidden, shown,
    # cancelled and deleted, and a post is deleted, each published as it happens
    extra = [events.create_event(ports, ada, "cyclists", ev(f"Ride {n}", 10 + n, tags=["bike"]))
             for n in range(3)]
    publish_new()
    events.patch_event(ports, ada, extra[0].uuid, {"begins_on": "2031-03-01T10:00",
                                                   "ends_on": "2031-03-01T12:00",
                                                   "tags": ["gravel"]})
    publish_new()
    events.patch_event(ports, ada, world.public.uuid, {"visibility": "private"})
    events.patch_event(ports, ada, world.private.uuid, {"visibility": "public",
                                                        "tags": ["committee"]})
    publish_new()
    event_lifecycle.cancel_event(ports, ada, extra[1].uuid)
    event_lifecycle.delete_event(ports, ada, extra[2].uuid)
    events.patch_event(ports, ada, world.online.uuid, {"tags": []})
    posts.delete_post(ports, ada, world.post.slug)
    publish_new()
    written = tree(folder)
    full = tree(build(tmp_path / "full", now=NOW))
    # Then the outbox's folder holds what the full build holds, byte for byte: nothing stale
    # (the private event's page, the deleted event's, the emptied tag "planning"), nothing missing
    store_keys = {f.key for f in artifacts.render(Renderer(settings, world.repo, NOW),
                                                  artifacts.everything(world.repo)).files}
    assert sorted(set(written) - set(full)) == []
    # (but what no activity ever announced: the instance actor, the golden event stored directly,
    # the search page, which no change alters, and the files of the instance's address alone)
    missing = sorted(store_keys - set(written))
    assert missing == [".well-known/host-meta.xml", ".well-known/nodeinfo.json", "404.html",
                       "actor.json", *(f"events/{GOLDEN_UUID}/{name}"
                                       for name in ("event.ics", "index.html", "index.json")),
                       "robots.txt", "search/index.html", "tags/night/2030/06/index.html",
                       "tags/night/2030/index.html", "tags/night/index.html"], missing
    assert [key for key in written if written[key] != full[key]
            and not key.startswith(search_index.PREFIX)] == []
    from_build = search_entries(full)
    assert from_build.pop(f"event-{GOLDEN_UUID}")  # never published (see the test above)
    assert search_entries(written) == from_build
    assert f"events/{world.public.uuid}/index.html" not in written
    assert f"events/{world.private.uuid}/index.html" in written
    assert "tags/planning/index.html" not in written
    assert "@cyclists/events/2031/index.html" in written
    assert f"events/{extra[2].uuid}/tombstone.json" in full or any(
        key.startswith(f"events/{extra[2].uuid}/") for key in full)


# --- (d) visibility ---------------------------------------------------------------------------
def test_private_and_unlisted_events(world: World, tmp_path: Path) -> None:
    # Given both paths' output
    written = incremental(world.repo, tmp_path / "incremental")
    full = tree(build(tmp_path / "full", now=NOW))
    for files in (written, full):
        # Then the private event is nowhere: no page, and no other page mentions it
        assert not [key for key in files if world.private.uuid in key]
        assert not [key for key, body in files.items()
                    if world.private.uuid.encode() in body or b"Committee meeting" in body]
    # ... the unlisted event has its page, which asks search engines to stay away
    page = text(full, f"events/{world.unlisted.uuid}/index.html")
    assert NOINDEX in page
    assert NOINDEX not in text(full, f"events/{world.public.uuid}/index.html")
    # ... and no instance listing or feed shows it
    for key in ("index.html", "events/index.html", "feed.atom", "feed.ics",
                "tags/bike/index.html"):
        assert world.unlisted.uuid not in text(full, key), key
    assert world.public.uuid in text(full, "index.html")
    assert world.online.uuid in text(full, "events/index.html")


def test_an_unlisted_event_is_not_on_its_group_page(world: World, tmp_path: Path) -> None:
    # When the site is built
    full = tree(build(tmp_path / "full", now=NOW))
    # Then the group page and feeds do not list the unlisted event (only its link finds it)
    for key in ("@cyclists/index.html", "@cyclists/feed.atom", "@cyclists/feed.ics"):
        assert world.unlisted.uuid not in text(full, key), key


def test_a_private_events_tags_publish_nothing(world: World, tmp_path: Path) -> None:
    # Given a private event with a tag no public event has
    ada = accounts.login(Ports(repo=world.repo, hasher=Argon2Hasher(), keys=CannedKeys()),
                         email="ada@example.org", password="correct horse battery")
    ports = Ports(repo=world.repo, hasher=Argon2Hasher(), keys=CannedKeys(),
                  clock=TickingClock(START + timedelta(days=1)))
    events.create_event(ports, ada, "cyclists",
                        ev("Surprise party", 20, visibility="private", tags=["surprise"]))
    # When the activities are published
    written = incremental(world.repo, tmp_path / "incremental")
    # Then the tag is not published
    assert "tags/surprise/index.html" not in written


# --- (e) golden files and formats -------------------------------------------------------------
@pytest.mark.parametrize("name", ["index.html", "event.ics"])
def test_event_files_match_the_golden_files(world: World, tmp_path: Path, name: str) -> None:
    # When the site is built
    files = tree(build(tmp_path / "out", now=NOW))
    # Then the event's page and calendar are exactly the reviewed ones
    produced = files[f"events/{GOLDEN_UUID}/{name}"]
    golden = GOLDEN / f"event.{name.rsplit('.', 1)[1]}"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(produced)
    assert produced == golden.read_bytes(), f"{golden.name} differs; UPDATE_GOLDEN=1 to review"


def test_event_calendar_and_json_ld(world: World, tmp_path: Path) -> None:
    # When the site is built
    files = tree(build(tmp_path / "out", now=NOW))
    # Then the event's .ics parses, in the organiser's time zone
    calendar = icalendar.Calendar.from_ical(files[f"events/{GOLDEN_UUID}/event.ics"])
    [vevent] = calendar.walk("VEVENT")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent.decoded("DTSTART") == world.golden.begins_on  # 21:30 in Paris, 19:30 UTC
    assert vevent.decoded("DTSTART").utcoffset() == timedelta(hours=2)
    assert str(vevent["SUMMARY"]) == world.golden.title
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    # ... and the page's schema.org JSON-LD is JSON describing the Event, despite `<` and `&`
    page = text(files, f"events/{GOLDEN_UUID}/index.html")
    [ld_text] = JSON_LD.findall(page)
    ld = json.loads(ld_text)
    assert ld["@type"] == "Event"
    assert ld["name"] == world.golden.title
    assert ld["startDate"] == "2030-06-21T21:30:00+02:00"  # the organiser's wall clock
    assert ld["location"]["address"]["addressLocality"] == "Lyon"
    assert ld["maximumAttendeeCapacity"] == 30
    assert "<along>" not in page  # the title is escaped everywhere it is shown


# --- uploading --------------------------------------------------------------------------------
def test_sync_uploads_with_the_renderers_types_and_prunes(world: World, tmp_path: Path) -> None:
    # Given a bucket holding an uploaded avatar and a page that no longer exists
    from affiche.aws import client

    s3, bucket = client("s3"), get_settings().site_bucket
    s3.put_object(Bucket=bucket, Key="media/avatars/ada.png", Body=b"png")
    s3.put_object(Bucket=bucket, Key="events/deleted/index.html", Body=b"old")
    # When the site is built and synced
    output = build(tmp_path / "out", now=NOW)
    uploaded, deleted = sync_to_bucket(output, bucket)
    # Then the bucket holds exactly the build, plus the uploads
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == set(tree(output)) | {"media/avatars/ada.png"}
    assert (uploaded, deleted) == (len(tree(output)), 1)
    # ... and syncing the same build again uploads nothing (a restart re-sends no file)
    assert sync_to_bucket(output, bucket) == (0, 0)
    # ... every store file with the content type the incremental path gives it
    rendered = artifacts.render(Renderer(get_settings(), world.repo, NOW),
                                artifacts.everything(world.repo))
    assert len(rendered.files) > 20
    for file in rendered.files:
        head = s3.head_object(Bucket=bucket, Key=file.key)
        assert (file.key, head["ContentType"]) == (file.key, file.content_type)
    # ... and Pelican's files with theirs
    assert s3.head_object(Bucket=bucket, Key="about/index.html")["ContentType"] == \
        "text/html; charset=utf-8"
    assert s3.head_object(Bucket=bucket, Key="theme/css/site.css")["ContentType"] == \
        "text/css; charset=utf-8"


def test_content_types() -> None:
    assert content_type(".well-known/nodeinfo.json") == "application/json"
    assert content_type("nodeinfo/2.1.json").startswith("application/json; profile=")
    assert content_type("@cyclists/outbox.json") == "application/activity+json"
    assert content_type(".well-known/host-meta.xml") == "application/xrd+xml"
    assert content_type("events/x/event.ics") == "text/calendar; charset=utf-8"
    assert content_type("feed.atom") == "application/atom+xml"
    assert content_type("images/logo.PNG") == "image/png"
    assert content_type("search/index/03.json") == "application/json"
    assert content_type("theme/js/search.js") == "text/javascript; charset=utf-8"


# --- on a terminal ----------------------------------------------------------------------------
class Terminal(io.StringIO):
    """What `affiche build` writes to stderr when a person runs it in a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_build_in_a_terminal_shows_its_progress(world: World, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a person running the build and the upload in a terminal
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    # When the site is built and synced
    output = build(tmp_path / "out", now=NOW)
    sync_to_bucket(output, get_settings().site_bucket)
    # Then each step drew a bar on one line, rewritten until it reached the whole count
    planned = len(artifacts.everything(world.repo))
    lines = terminal.getvalue().split("\n")
    rendering = [line for line in lines if "Rendering pages" in line]
    assert len(rendering) == 1 and rendering[0].startswith("\r")
    assert rendering[0].rsplit("\r", 1)[-1].endswith(f"[{'#' * 30}] {planned}/{planned} 100%")
    uploading = [line for line in lines if "Uploading to the bucket" in line]
    files = len(tree(output))
    assert uploading[0].rsplit("\r", 1)[-1].endswith(f"{files}/{files} 100%")


def test_a_build_outside_a_terminal_draws_no_bar(world: World, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the build run by CI or a deploy script, its stderr a file
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    # When the site is built
    build(tmp_path / "out", now=NOW)
    # Then nothing is drawn in the log
    assert "\r" not in log.getvalue() and "[#" not in log.getvalue()
