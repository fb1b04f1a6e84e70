"""Which artifacts a change touches, and the list of every artifact for a full build.

An artifact is a small tuple naming one renderer method and its argument. A change re-renders a
bounded set of artifacts whatever the size of the instance (DESIGN.md §5): the pages of the object
itself, its group, the instance listings of upcoming things and the tags it carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from affiche.domain.model import Activity, Actor, Event, Post, is_remote_name
from affiche.publish.archive import local_month, months_of, years_of

if TYPE_CHECKING:  # the renderer loads with the first render, not with the artifact table
    from affiche.publish.renderer import Output, Renderer

Artifact = tuple[str, ...]
INSTANCE: tuple[Artifact, ...] = (("home",), ("events_index",), ("instance_feeds",), ("nodeinfo",),
                                  ("tags_index",), ("sitemaps",))
# Members-only kinds: rendered by the functions on demand, never written to the bucket (and
# their activities' `target`, the group, must not cause a re-render either).
UNPUBLISHED_KINDS = frozenset({"discussion", "discussion_reply"})


def touched_by(activity: Activity) -> list[Artifact]:
    """Artifacts to re-render after `activity`, in a stable order without duplicates."""
    if activity.object_kind in UNPUBLISHED_KINDS:
        return []
    return _touched_by_published(activity)


def _touched_by_published(activity: Activity) -> list[Artifact]:
    obj: dict[str, Any] = activity.object
    planned: list[Artifact] = []
    if activity.object_kind == "actor":
        planned += [("actor", activity.object_key), ("home",), ("nodeinfo",), ("sitemaps",),
                    *_suspension(activity), *_group_search(activity)]
    elif activity.object_kind == "event":
        planned += [("event", activity.object_key), ("group_listings", str(obj.get("group"))),
                    *INSTANCE,
                    ("search", "event", activity.object_key)]
        tags = list(dict.fromkeys([*obj.get("tags", []), *obj.get("previous_tags", [])]))
        planned += [("tag", tag) for tag in tags]
        # Its month pages first: the year page after them settles the sitemaps of empty months.
        planned += [("group_month", str(obj.get("group")), year, month)
                    for year, month in months_of(obj)]
        planned += [("group_archive", str(obj.get("group")), year) for year in years_of(obj)]
        planned += [("tag_month", tag, year, month) for tag in tags
                    for year, month in months_of(obj)]
        planned += [("tag_archive", tag, year) for tag in tags for year in years_of(obj)]
    elif activity.object_kind == "post":
        planned += [("post", activity.object_key), ("actor", str(obj.get("group"))), ("nodeinfo",),
                    ("sitemaps",), ("search", "post", activity.object_key)]
    elif activity.object_kind == "membership":
        planned.append(("actor", str(obj.get("group"))))
    elif activity.object_kind == "comment" and activity.audience in {"public", "unlisted"}:
        planned.append(("event", str(obj.get("event"))))  # its page and AS2 `replies`
        if not activity.actor.startswith(("http://", "https://")):
            planned.append(("actor", activity.actor))  # the author's outbox lists it
    elif activity.object_kind == "participation":
        # The event page, its JSON and ICS show the count; `target` adds the group page. Who
        # takes part is never rendered (the activity is "private").
        planned.append(("event", str(obj.get("event"))))
    elif activity.object_kind == "instance":
        # openRegistrations follows the registration mode; the name and the pages are edited
        # online (affiche/domain/instance_config.py)
        planned += [("nodeinfo",), ("instance_pages",), ("instance_constants",)]
    if activity.target:
        planned.append(("actor", activity.target))
    # Remote actors and their events are keyed by URL and never become files here.
    planned = [a for a in planned if not any(is_remote_name(arg) for arg in a[1:])]
    # The whole actor covers the part of it an event changes.
    planned = [a for a in planned if a[0] != "group_listings" or ("actor", a[1]) not in planned]
    return list(dict.fromkeys(planned))


def _group_search(activity: Activity) -> list[Artifact]:
    """A group's entry in the site's search (search_index.py); people are not searched."""
    return [("search", "group", activity.object_key)] if activity.object.get(
        "type") == "Group" else []


def _suspension(activity: Activity) -> list[Artifact]:
    """An actor's suspension or its end (administration.py) changes more than its page: a
    group's events and posts and the listings that show them; a person's comments. Only
    administrators update an actor other than themselves."""
    if activity.type != "Update" or activity.actor == activity.object_key:
        return []
    if activity.object.get("type") == "Group":
        return [("group_content", activity.object_key), *INSTANCE]
    return [("comments_by", activity.object_key)]


def everything(store: Any) -> list[Artifact]:
    """Every artifact the store holds (full build)."""
    planned: list[Artifact] = list(INSTANCE)
    planned.append(("instance_actor",))  # never changes after its key is made: full builds only
    planned.append(("instance_constants",))  # the address's files: full builds, settings
    planned.append(("search_page",))  # the same page whatever the content: full builds only
    tags: set[str] = set()
    for actor in store.all_of_kind(Actor.kind):
        if actor.is_remote:  # copies of other servers' actors are never published here
            continue
        # A deleted actor, event or post is rendered too: its Tombstone marker (410 Gone).
        if actor.deleted or not actor.account_id or _confirmed(store, actor):
            planned.append(("actor", actor.name))
            if actor.is_group:
                planned.append(("search", "group", actor.name))
    archives: set[Artifact] = set()
    for event in store.all_of_kind(Event.kind):
        if (event.is_public or event.deleted) and not event.is_remote:
            planned += [("event", event.uuid), ("search", "event", event.uuid)]
            tags.update(event.tags if event.listed else [])
        archives.update(_archives_of(event))
    for post in store.all_of_kind(Post.kind):
        if post.is_public or post.deleted:
            planned += [("post", post.slug), ("search", "post", post.slug)]
    planned += [("tag", tag) for tag in sorted(tags)]
    planned += sorted(archives)
    return planned


def _archives_of(event: Event) -> list[Artifact]:
    """The archive pages (year and month, of its group and of each tag) listing an event."""
    if not event.listed or event.is_remote:
        return []
    year, month = (str(local_month(event)[0]), f"{local_month(event)[1]:02d}")
    return [("group_archive", event.group, year), ("group_month", event.group, year, month),
            *(page for tag in event.tags
              for page in (("tag_archive", tag, year), ("tag_month", tag, year, month)))]


def _confirmed(store: Any, actor: Actor) -> bool:
    from affiche.domain.model import Account

    account = store.get(Account, actor.account_id)
    return account is not None and account.confirmed


def render(renderer: Renderer, artifacts: Iterable[Artifact],
           rendered: Callable[[], None] | None = None) -> Output:
    """Render each artifact; `rendered` is called after each one (the full build's progress)."""
    from affiche.publish.renderer import Output

    output = Output()
    for name, *args in artifacts:
        output.extend(getattr(renderer, name)(*args))
        if rendered is not None:
            rendered()
    return output
