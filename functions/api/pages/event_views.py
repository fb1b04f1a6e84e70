"""What the event editor's pages show: option lists, the form's values from an event, and the
events a member sees in the dashboard and in their own space (private ones and drafts too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from zoneinfo import available_timezones

from affiche.domain import event_fields, event_lifecycle, events
from affiche.domain.context import Ports
from affiche.domain.model import Account, Event, Membership, Post
from affiche.domain.roles import MEMBER_ROLES, allowed, rank

VISIBILITY_NAMES = {"public": "Public: listed on this instance and federated",
                    "unlisted": "Unlisted: only people with the link find it",
                    "private": "Private: the group's members only"}
STATUS_NAMES = {"confirmed": "Confirmed", "tentative": "Tentative", "cancelled": "Cancelled"}
JOIN_NAMES = {"free": "Anyone can take part", "restricted": "Organisers approve each person",
              "invite": "By invitation", "external": "On another site (give its address)"}
EDITOR_OPTIONS = {
    "event_visibility_options": [(v, VISIBILITY_NAMES[v]) for v in events.VISIBILITIES],
    "status_options": [(v, STATUS_NAMES[v]) for v in events.STATUSES],
    "join_options": [(v, JOIN_NAMES[v]) for v in events.JOIN_MODES],
    "category_options": [("", "No category")] + [(c, event_fields.category_name(c))
                                                   for c in event_fields.CATEGORIES],
    "accessibility_options": list(event_fields.ACCESSIBILITY_NAMES.items()),
}


@lru_cache(maxsize=1)
def zone_options() -> list[str]:
    """Every IANA zone, the default one first."""
    zones = sorted(z for z in available_timezones() if "/" in z or z == "UTC")
    return [event_fields.DEFAULT_TIMEZONE] + [z for z in zones
                                              if z != event_fields.DEFAULT_TIMEZONE]


def form_values(data: events.EventInput | None) -> tuple[dict[str, str], list[str]]:
    """The editor's fields as strings, and the accessibility flags checked."""
    if data is None:
        return {"timezone": event_fields.DEFAULT_TIMEZONE}, []
    values = {"title": data.title, "begins_on": data.begins_on, "ends_on": data.ends_on,
              "timezone": data.timezone, "description": data.description,
              "online_url": data.online_url or "", "visibility": data.visibility,
              "status": data.status, "join_mode": data.join_mode,
              "capacity": "" if data.capacity is None else str(data.capacity),
              "tags": ", ".join(data.tags), "category": data.category or "",
              "contacts": ", ".join(data.contacts), "external_url": data.external_url or ""}
    for key, value in (data.address or {}).items():
        values[f"address.{key}"] = "" if value is None else str(value)
    return values, list(data.accessibility)


EVENTS_PER_PAGE = 20  # on the dashboard, like its lists of members


@dataclass(frozen=True)
class EventsPage:
    """One page of the dashboard's events. No total: counting them would read them all."""
    items: list[Event]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def group_events(ports: Ports, group: str, mine: Membership | None, now: datetime,
                 page: int = 1, per_page: int = EVENTS_PER_PAGE) -> EventsPage:
    """The dashboard's events, page `page`: those not over yet that the viewer may read
    (private ones for members, drafts for those who may edit them), soonest first.

    One lazy read of the group's date index (gsi1, every visibility and drafts) from
    `still_on_since(now)`, stopped one event after the page: what it reads grows with the
    page number and the events begun in the last RUNNING_LOOKBACK, not with the group's past.
    Drafts dated before that are listed apart (`older_drafts`)."""
    skip = (page - 1) * per_page
    wanted = (e for e in ports.repo.group_events_in_order(
                  group, start=event_lifecycle.still_on_since(now),
                  page=min(100, skip + per_page + 1))
              if event_lifecycle.can_read(e, mine) and (e.draft or not e.is_over(now)))
    found = list(islice(wanted, skip, skip + per_page + 1))
    return EventsPage(items=found[:per_page], page=page, has_next=len(found) > per_page)


def older_drafts(ports: Ports, group: str, mine: Membership | None,
                 now: datetime) -> list[Event]:
    """Drafts dated before the events list starts (a draft's date may be any), for those who
    may edit them: from the group's index of private events and drafts (gsi3), so what this
    reads grows with those, never with the group's public past."""
    if mine is None or not allowed(mine, "edit_event"):
        return []
    return [e for e in ports.repo.members_events_of_group(
        group, end=event_lifecycle.still_on_since(now)) if e.draft]


def hidden_events_of(ports: Ports, account: Account) -> list[Event]:
    """For my space: upcoming private events of my groups, and drafts I may edit."""
    now = ports.clock.now()
    # My highest membership in each group, from one read of my profiles' memberships (what
    # event_lifecycle.best_membership picks, without reading them again for every group).
    best: dict[str, Membership] = {}
    for profile in ports.repo.profiles_of(account.id):
        if profile.is_group or profile.deleted:
            continue
        for m in ports.repo.memberships_of(profile.name):
            if m.role in MEMBER_ROLES and (m.group not in best
                                           or rank(m.role) > rank(best[m.group].role)):
                best[m.group] = m
    # From a bounded margin before now, as the dashboard: a private event still running shows.
    found = [e for group, m in sorted(best.items())
             for e in event_lifecycle.members_events(
                 ports, group, m, since=event_lifecycle.still_on_since(now))
             if e.draft or not e.is_over(now)]
    return sorted(found, key=lambda e: (e.begins_on, e.uuid))


LATEST_POSTS = 5  # on the dashboard; the rest on the group's posts page, a page at a time


def members_posts(ports: Ports, group: str, mine: Membership | None) -> list[Post]:
    """The group's latest members-only posts, newest first, for those who may read them."""
    if not allowed(mine, "view_members_only_content"):
        return []
    return [p for p in ports.repo.posts_of_group(group)
            if p.visibility == "members" and not p.deleted and not p.draft][:LATEST_POSTS]
