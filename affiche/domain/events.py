"""Events: created and edited by a group's moderators and administrators."""

from __future__ import annotations

from dataclasses import dataclass, field

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotFound
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Account, Actor, Address, Event
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
    """What a person fills in; times are ISO 8601, wall-clock in `timezone` when no offset."""

    title: str
    begins_on: str
    ends_on: str
    timezone: str
    description: str = ""
    online_url: str | None = None
    address: dict[str, str] | None = None
    capacity: int | None = None
    visibility: str = "public"
    status: str = "confirmed"
    join_mode: str = "free"
    tags: list[str] = field(default_factory=list)
    anonymous_participation: bool = False  # when the instance allows it too


def _validated(data: EventInput) -> dict[str, object]:
    zone = rules.timezone(data.timezone)
    begins = rules.local_datetime(data.begins_on, "begins_on", zone)
    ends = rules.local_datetime(data.ends_on, "ends_on", zone)
    if ends <= begins:
        raise InvalidInput("ends_on must be after begins_on", field="ends_on")
    if data.capacity is not None and not 1 <= data.capacity <= MAX_CAPACITY:
        raise InvalidInput(f"capacity must be between 1 and {MAX_CAPACITY}", field="capacity")
    address = None
    if data.address:
        unknown = set(data.address) - (set(Address().to_dict()) - {"version"})
        if unknown:
            raise InvalidInput(f"address has unknown fields: {', '.join(sorted(unknown))}",
                               field="address")
        address = {k: rules.text(v, f"address.{k}", max_length=200, required=False)
                   for k, v in data.address.items() if v}
    tags = sorted({rules.handle(t.lstrip("#"), "tags") for t in data.tags})
    if len(tags) > 10:
        raise InvalidInput("at most 10 tags", field="tags")
    return dict(
        title=rules.text(data.title, "title", max_length=200),
        begins_on=begins, ends_on=ends, timezone=data.timezone,
        description_source=rules.text(data.description, "description", max_length=50000,
                                      required=False),
        description_html=markdown_to_html(data.description) if data.description else "",
        online_url=rules.http_url(data.online_url, "online_url") if data.online_url else None,
        address=address or None, capacity=data.capacity,
        visibility=rules.choice(data.visibility, "visibility", VISIBILITIES),
        status=rules.choice(data.status, "status", STATUSES),
        join_mode=rules.choice(data.join_mode, "join_mode", JOIN_MODES),
        tags=tags,
        anonymous_participation=bool(data.anonymous_participation),
    )


def event_audience(event: Event, group: Actor) -> str:
    if event.visibility == "private":
        return "members"
    return "public" if event.visibility == "public" and group.visibility == "public" else "unlisted"


def create_event(ports: Ports, account: Account, group_name: str, data: EventInput, *,
                 profile: str | None = None) -> Event:
    group = existing_group(ports, group_name)
    organizer = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, organizer.name), "create_event")
    now = ports.clock.now()
    event = Event(uuid=rules.new_id(), group=group.name, organizer=organizer.name,
                  created_at=now, updated_at=now, **_validated(data))  # type: ignore[arg-type]
    changes = ChangeSet().put(event)
    changes.counters["local_posts"] = 1
    changes.record(activities.new(ports, "Create", group.name, event, event.uuid,
                                  audience=event_audience(event, group)))
    ports.repo.commit(changes)
    return event


def update_event(ports: Ports, account: Account, uuid: str, data: EventInput, *,
                 profile: str | None = None) -> Event:
    event = ports.repo.get(Event, uuid)
    if event is None or event.deleted:
        raise NotFound(f"no event {uuid}")
    group = existing_group(ports, event.group)
    editor = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, editor.name), "edit_event")
    values = _validated(data)
    capacity = values["capacity"]
    if isinstance(capacity, int) and capacity < event.participant_count:
        raise InvalidInput("capacity cannot be lower than the number of participants",
                           field="capacity")
    updated = event.evolve(updated_at=ports.clock.now(), **values)
    changes = ChangeSet().put(updated)
    changes.record(activities.new(ports, "Update", group.name, updated, uuid,
                                  audience=event_audience(updated, group)))
    ports.repo.commit(changes)
    return updated
