"""Which of the listings an event's change touches can show the change, so a publish renders,
reads and uploads only those (DESIGN.md §5, issue 8 item 10).

`artifacts.touched_by` names every page an event *might* appear on: the instance's listings, its
group's page, its tags' pages, the archive pages of its months and years, the tag directory and
the sitemaps. Most of them cannot change when the event is far from their first page or when its
month already held other events. Deciding that costs reads the publish makes anyway (the first
page of each listing, the event's month pages), and saves those the skipped pages would make: the
listed groups, the group's posts and past events, the tag directory, the month indexes, and one
upload per skipped file.

A listing of the soonest upcoming events is unchanged when the listing is full and the event
begins after its last entry, before and after the change (a later event cannot be on it; one that
left it was on it before, so it began no later than the new last entry). An archive directory (the
year pages, the group's and the tags' year links, the tag directory and the sitemaps that list
them) is unchanged when each month the event was in, or is in, holds another listed event that
was already there before the change (updated earlier): that month was listed before and stays
listed. A newer event does not count: of two events arriving in a new month, the older one's
publish renders the directory, after both are indexed (functions/outbox/handler.py indexes a
whole stream batch before publishing it).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from affiche.domain.model import Activity, Event
from affiche.publish.archive import months_of

if TYPE_CHECKING:
    from affiche.publish.artifacts import Artifact
    from affiche.publish.renderer import Renderer

INSTANCE_LISTINGS = frozenset({"home", "events_index", "instance_feeds"})
# What `narrowed` may leave out (or, for group_listings, cut down to the outbox).
NARROWED = INSTANCE_LISTINGS | {"group_listings", "group_archive", "tags_index", "sitemaps", "tag",
                                "tag_archive"}


def narrowed(activity: Activity, planned: list[Artifact], renderer: Renderer) -> list[Artifact]:
    """`planned` without the pages the event activity cannot change (others unchanged)."""
    group = str(activity.object.get("group"))
    if activity.object_kind != "event" or renderer.shown_group(group) is None:
        return planned  # a gone or suspended group: every page decides for itself
    change = _Change(activity, renderer, {a[1] for a in planned if a[0] in TAG_PAGES})
    kept: list[Artifact] = []
    for artifact in planned:
        if artifact[0] == "group_listings" and change.group_page_kept(artifact[1]):
            kept.append(("group_outbox", artifact[1]))  # it lists the new activity regardless
        elif change.alters(artifact):
            kept.append(artifact)
    return kept


TAG_PAGES = ("tag", "tag_archive", "tag_month")


class _Change:
    """What an event activity can alter, from the first pages and month pages it reads."""

    def __init__(self, activity: Activity, renderer: Renderer, tags: set[str]) -> None:
        self.activity, self.renderer = activity, renderer
        self.starts = _starts(activity.object)
        months = months_of(activity.object)
        group = str(activity.object.get("group"))
        self.group_months_kept = all(self._earlier_other(renderer.group_month_events(group, y, m))
                                     for y, m in months)
        self.tag_months_kept = {tag: all(self._earlier_other(renderer.tag_month_events(tag, y, m))
                                         for y, m in months) for tag in tags}

    def _earlier_other(self, events: list[Event]) -> bool:
        """Another event in the month, there before this change."""
        return any(e.uuid != self.activity.object_key and e.updated_at < self.activity.published
                   for e in events)

    def group_page_kept(self, group: str) -> bool:
        """The group page, feeds and collections: its next events, past events and years."""
        return (self.group_months_kept
                and not any(start < self.renderer.now for start in self.starts)
                and not _reaches(self.renderer.group_bound(group), self.starts))

    def alters(self, artifact: Artifact) -> bool:
        name, *args = artifact
        if name in INSTANCE_LISTINGS:
            return _reaches(self.renderer.upcoming_bound(), self.starts)
        if name == "group_archive":
            return not self.group_months_kept
        if name in ("tags_index", "sitemaps"):
            return not (self.group_months_kept and all(self.tag_months_kept.values()))
        if name == "tag":
            return (not self.tag_months_kept[args[0]]
                    or _reaches(self.renderer.tag_bound(args[0]), self.starts))
        if name == "tag_archive":
            return not self.tag_months_kept[args[0]]
        return True


def _starts(obj: dict[str, object]) -> list[datetime]:
    """When the event begins, and began before the change when it moved."""
    return [datetime.fromisoformat(str(obj[field]))
            for field in ("begins_on", "previous_begins_on") if obj.get(field)]


def _reaches(bound: datetime | None, starts: list[datetime]) -> bool:
    """Whether a listing ending at `bound` (None: not full) can show an event at `starts`."""
    return bound is None or any(start <= bound for start in starts)
