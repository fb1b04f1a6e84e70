"""Events: created and edited by a group's moderators and administrators.

Every field a person fills in is an `EventInput`; `patch_event` applies only the fields sent on
top of the event's current input, so a change of time never erases the place (the PUT of the
API replaces the required fields and keeps every optional field it was not sent, like PATCH).
A draft is stored without any activity: nothing renders nor federates until it is published
(event_lifecycle.publish_event). Deleting, cancelling and duplicating live in event_lifecycle.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from affiche.domain import activities, event_fields, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Account, Actor, Event
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.roles import authorize
from affiche.domain.text import markdown_to_html

VISIBILITIES = ("public", "unlisted", "private")
STATUSES = ("tentative", "confirmed", "cancelled")
JOIN_MODES = ("free", "restricted", "invite", "external")
MAX_CAPACITY = 1_000_000


@dataclass
class EventInput:
    """What a person fills in; times are ISO 8601, wall-clock in `timezone` when no offset.
    An empty `timezone` is the default zone (event_fields.DEFAULT_TIMEZONE)."""

    title: str
    begins_on: str
    ends_on: str
    timezone: str = ""
    description: str = ""
    online_url: str | None = None
    address: dict[str, Any] | None = None
    capacity: int | None = None
    visibility: str = "public"
    status: str = "confirmed"
    join_mode: str = "free"
    tags: list[str] = field(default_factory=list)
    anonymous_participation: bool = False  # when the instance allows it too
    category: str | None = None
    accessibility: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    external_url: str | None = None
    draft: bool = False


INPUT_FIELDS = frozenset(f.name for f in dataclasses.fields(EventInput))


def input_of(event: Event) -> EventInput:
    """The event as its editor form holds it (times as wall-clock in the event's zone)."""
    return EventInput(
        title=event.title, begins_on=event_fields.wall_clock(event.begins_on, event.timezone),
        ends_on=event_fields.wall_clock(event.ends_on, event.timezone), timezone=event.timezone,
        description=event.description_source, online_url=event.online_url,
        address=dict(event.address) if event.address else None, capacity=event.capacity,
        visibility=event.visibility, status=event.status, join_mode=event.join_mode,
        tags=list(event.tags), category=event.category,
        accessibility=list(event.accessibility), contacts=list(event.contacts),
        external_url=event.external_url, draft=event.draft,
        anonymous_participation=event.anonymous_participation)


def _times(data: EventInput) -> dict[str, Any]:
    zone_name = event_fields.timezone_name(data.timezone)
    zone = rules.timezone(zone_name)
    begins = event_fields.moment(data.begins_on, "begins_on", zone)
    ends = event_fields.moment(data.ends_on, "ends_on", zone)
    if ends <= begins:
        raise InvalidInput("ends_on must be after begins_on", field="ends_on")
    return {"begins_on": begins, "ends_on": ends, "timezone": zone_name}


def _joining(data: EventInput) -> dict[str, Any]:
    join_mode = rules.choice(data.join_mode, "join_mode", JOIN_MODES)
    external = rules.http_url(data.external_url, "external_url") if data.external_url else None
    if join_mode == "external" and external is None:
        raise InvalidInput("external_url is required when people register elsewhere "
                           "(join_mode external)", field="external_url")
    capacity = data.capacity
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                 or not 1 <= capacity <= MAX_CAPACITY):
        raise InvalidInput(f"capacity must be between 1 and {MAX_CAPACITY}", field="capacity")
    return {"join_mode": join_mode, "external_url": external, "capacity": capacity}


def _validated(data: EventInput) -> dict[str, object]:
    tags = sorted({rules.handle(t.lstrip("#"), "tags") for t in data.tags})
    if len(tags) > 10:
        raise InvalidInput("at most 10 tags", field="tags")
    description = rules.text(data.description or "", "description", max_length=50000,
                             required=False)
    return dict(
        title=event_fields.line(data.title, "title", max_length=200),
        **_times(data), **_joining(data),
        description_source=description,
        description_html=markdown_to_html(description) if description else "",
        online_url=rules.http_url(data.online_url, "online_url") if data.online_url else None,
        address=event_fields.address(data.address),
        visibility=rules.choice(data.visibility, "visibility", VISIBILITIES),
        status=rules.choice(data.status, "status", STATUSES),
        tags=tags, category=event_fields.category(data.category),
        accessibility=event_fields.accessibility(data.accessibility),
        contacts=sorted({rules.handle(c.lstrip("@"), "contacts") for c in data.contacts}),
        anonymous_participation=bool(data.anonymous_participation),
    )


def _check_contacts(ports: Ports, contacts: object) -> None:
    names = list(contacts) if isinstance(contacts, list) else []
    if len(names) > event_fields.MAX_CONTACTS:
        raise InvalidInput(f"at most {event_fields.MAX_CONTACTS} contacts", field="contacts")
    for name in names:
        person = ports.repo.get(Actor, name)
        if person is None or person.deleted or person.is_group:
            raise InvalidInput(f"contacts: no local profile @{name}", field="contacts")


def event_audience(event: Event, group: Actor) -> str:
    if event.visibility == "private":
        return "members"
    return "public" if event.visibility == "public" and group.visibility == "public" else "unlisted"


def create_event(ports: Ports, account: Account, group_name: str, data: EventInput, *,
                 profile: str | None = None) -> Event:
    group = existing_group(ports, group_name)
    organizer = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, organizer.name), "create_event")
    if not (data.timezone or "").strip():  # the group's zone is its events' default
        data = dataclasses.replace(data, timezone=group.timezone)
    values = _validated(data)
    _check_contacts(ports, values["contacts"])
    now = ports.clock.now()
    event = Event(uuid=rules.new_id(), group=group.name, organizer=organizer.name,
                  created_at=now, updated_at=now, draft=bool(data.draft),
                  **values)  # type: ignore[arg-type]
    changes = ChangeSet().put(event)
    if not event.draft:  # a draft is nobody's business but the moderators': no activity
        changes.counters["local_posts"] = 1
        changes.record(activities.new(ports, "Create", group.name, event, event.uuid,
                                      audience=event_audience(event, group)))
    ports.repo.commit(changes)
    return event


def editable_event(ports: Ports, account: Account, uuid: str,
                   profile: str | None = None) -> tuple[Event, Actor, Actor]:
    """The live event, its group and the editor's profile, if that profile may edit it."""
    event = ports.repo.get(Event, uuid)
    if event is None or event.deleted:
        raise NotFound(f"no event {uuid}")
    group = existing_group(ports, event.group)
    editor = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, editor.name), "edit_event")
    return event, group, editor


def save_event(ports: Ports, event: Event, group: Actor, values: dict[str, Any]) -> Event:
    """Commit new values of an event with the activity they cause: Create when a draft is
    published, Update of a published event, nothing for a draft."""
    if values.get("draft") and not event.draft:
        raise Conflict("a published event cannot become a draft again")
    # A draft's edits are nobody's revision: its first publication goes out as SEQUENCE 0.
    sequence = event.sequence if event.draft else event.sequence + 1
    updated = event.evolve(updated_at=ports.clock.now(), sequence=sequence, **values)
    changes = ChangeSet().put(updated)
    if updated.capacity is not None and updated.capacity != event.capacity:
        # Joins add to the stored count without bumping the version this put checks: the store
        # checks that the participants who joined since the read still fit (else a Conflict).
        changes.tally(updated, "participant_count", 0, limit=updated.capacity)
    if not updated.draft:
        kind = "Create" if event.draft else "Update"
        if event.draft:
            changes.counters["local_posts"] = 1
        activity = activities.new(ports, kind, group.name, updated, updated.uuid,
                                  audience=event_audience(updated, group))
        if updated.begins_on != event.begins_on:
            # The archive page of the year it left must drop it (publish/archive.py).
            activity.object["previous_begins_on"] = event.begins_on.isoformat()
        if set(updated.tags) != set(event.tags):
            # And the pages of the tags it lost (publish/artifacts.py).
            activity.object["previous_tags"] = list(event.tags)
        changes.record(activity)
    ports.repo.commit(changes)
    return updated


def update_event(ports: Ports, account: Account, uuid: str, data: EventInput, *,
                 profile: str | None = None) -> Event:
    """Replace every field of the event with `data` (the editor form sends them all)."""
    event, group, _ = editable_event(ports, account, uuid, profile)
    values: dict[str, Any] = _validated(data)
    _check_contacts(ports, values["contacts"])
    capacity = values["capacity"]
    if isinstance(capacity, int) and capacity < event.participant_count:
        raise Conflict(f"capacity cannot be lower than the number of participants "
                       f"({event.participant_count})")
    values["draft"] = bool(data.draft)
    return save_event(ports, event, group, values)


def patch_event(ports: Ports, account: Account, uuid: str, changes: dict[str, Any], *,
                profile: str | None = None) -> Event:
    """Change only the fields in `changes` (names of EventInput); the others keep their value."""
    unknown = set(changes) - INPUT_FIELDS
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    event, _, _ = editable_event(ports, account, uuid, profile)
    data = dataclasses.replace(input_of(event), **changes)
    return update_event(ports, account, uuid, data, profile=profile)
