"""One of our people taking part in an event of another server (a remote group we follow).

We only know such an event as the cached copy in our agenda (affiche.activitypub.remote_events:
an `Event` keyed by its ActivityPub id). Its organisers decide elsewhere, so we keep *our side*
of the flow in the same `Participation` item and state graph as local events
(affiche.domain.participation.TRANSITIONS), without touching the copy's count or capacity,
which are the remote server's to keep:

    (none) --request--> not_approved   we sent a Join; the remote server has not answered
    not_approved --approve--> participant   its Accept{Join}
    not_approved --reject---> rejected      its Reject{Join}
    any --leave--> (none)                   we sent a Leave

The Join and Leave reach the event's server through the change stream (the "participation"
planner of affiche.activitypub.participation_fanout sends them to the organising group's inbox),
never inline. `Activity.target` is the remote group, so the planner knows where to deliver.
"""

from __future__ import annotations

from affiche.domain import activities
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound
from affiche.domain.model import Actor, Event, Participation, is_remote_name
from affiche.domain.participation import TRANSITIONS, participation_of
from affiche.domain.ports import ChangeSet

STATE_NAMES = {"not_approved": "pending", "participant": "going", "rejected": "declined"}


def remote_event(ports: Ports, uri: str) -> Event:
    """The cached copy of a remote event, else NotFound."""
    event = ports.repo.get(Event, uri) if is_remote_name(uri or "") else None
    if event is None or event.deleted:
        raise NotFound("no event of another server with this address is in your agenda")
    return event


def _moved(ports: Ports, person: Actor, event: Event, action: str,
           before: Participation | None) -> str | None:
    role = before.role if before else None
    if (role, action) not in TRANSITIONS:
        raise Conflict(f"{person.handle} cannot {action} “{event.title}” now "
                       f"({STATE_NAMES.get(role or '', 'not taking part')})")
    return TRANSITIONS[(role, action)]


def join(ports: Ports, person: Actor, uri: str) -> Participation:
    """Ask to take part: a pending participation and its Join, in one commit."""
    if person.is_remote or person.is_group:
        raise InvalidInput("only one of our people can join an event of another server")
    event = remote_event(ports, uri)
    if event.status == "cancelled":
        raise Conflict(f"“{event.title}” is cancelled")
    before = participation_of(ports, event.uuid, person.name)
    role = _moved(ports, person, event, "request", before)
    now = ports.clock.now()
    item = Participation(event=event.uuid, participant=person.name, role=str(role),
                         created_at=now, updated_at=now, begins_on=event.begins_on)
    activity = activities.new(ports, "Join", person.name, item, item.key, audience="private",
                              target=event.group)
    ports.repo.commit(ChangeSet().put(item).record(activity))
    return item


def leave(ports: Ports, person: Actor, uri: str) -> None:
    """Stop taking part (or withdraw the request): the item goes, a Leave is sent."""
    event = remote_event(ports, uri)
    before = participation_of(ports, event.uuid, person.name)
    if before is None:
        raise NotFound(f"{person.handle} does not take part in “{event.title}”")
    if before.role == "rejected":
        # A refusal is the organisers' word; leaving it only forgets it here.
        ports.repo.commit(ChangeSet(deletes=[before]))
        return
    _moved(ports, person, event, "leave", before)
    activity = activities.new(ports, "Leave", person.name, before, before.key,
                              audience="private", target=event.group)
    ports.repo.commit(ChangeSet(deletes=[before]).record(activity))


def answered(ports: Ports, event: Event, participant: str, accepted: bool) -> Participation:
    """The event's server answered our Join: pending -> going (Accept) or declined (Reject).
    Nothing is sent back, so the change is stored without an Activity."""
    before = participation_of(ports, event.uuid, participant)
    if before is None:
        raise NotFound(f"@{participant} did not ask to take part in “{event.title}”")
    action = "approve" if accepted else "reject"
    if (before.role, action) not in TRANSITIONS:
        if before.role == ("participant" if accepted else "rejected"):
            return before  # a repeated answer
        raise Conflict(f"@{participant} is {before.role} in “{event.title}”")
    after = before.evolve(role=str(TRANSITIONS[(before.role, action)]),
                          updated_at=ports.clock.now())
    ports.repo.commit(ChangeSet().put(after))
    return after
