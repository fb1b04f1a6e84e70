"""Taking part in events, as a declared state graph (Mobilizon's model: the role *is* the state).

A Participation item's `role` says where someone stands with an event. Every change goes through
`TRANSITIONS` (the same shape as membership.py):

    (none) --join-----> participant                      (free events; invite events: see below)
    (none) --invite---> invited --join | request--> participant     (an organiser invites)
                           \\--------leave----------> (none)        (the invitee declines)
    (none) --request--> not_approved --approve--> participant      (restricted events)
                              \\---------reject---> rejected
    (none) --register-> not_confirmed --confirm---------> participant   (anonymous, by email)
                              \\--------confirm_request--> not_approved (anonymous, restricted)
    participant --reject--> rejected --approve--> participant  (organisers change their mind)
    participant | not_approved | not_confirmed | invited --leave--> (none)

`None` is "no Participation item": leaving deletes it (Mobilizon does the same), so a person who
left may join again. A refused person stays "rejected" and cannot ask again; only an organiser
approving them moves them on. "organizer" is a role of the agreed interface that nothing here
creates yet (an event's organisers are its group's moderators and administrators, checked with
roles.PERMISSIONS["manage_participants"]).

Join modes (Mobilizon's joinMode): "free" joins at once, "restricted" asks the organisers,
"external" refuses with the registration URL, and "invite" lets in only the people an organiser
invited (`invite_to_event`, local profiles) and the organising group's members, who count as
invited. An invitation to any event takes the invitee past the organisers' approval.

Capacity is never overbooked (DESIGN.md principle 5): a transition that adds or removes a
participant commits the participation, a tally of the event's `participant_count` and the Activity
in one transaction. The tally adds to the stored count atomically, so simultaneous joins do not
refuse each other; one that adds participants carries the capacity as its limit, which the store
checks against the stored count, and the event's `version` as read (not bumped by tallies), so an
edit of the event meanwhile (a lower capacity, a cancellation) fails it too (ports.Tally). A failed
commit re-reads and decides again; the decision checks capacity first, so the place that went to
someone else answers EventFull ("full"), and a full event answers at once instead of retrying.
Retries are bounded: after `ATTEMPTS` lost races the answer is a plain Conflict asking to try
again. There is no waiting list: a join beyond capacity is refused.

The Activity (Join/Leave/Accept/Reject/Invite, object_kind "participation") is "private": the outbox
re-renders the event page (its count) and, through `target`, the group page, but who takes part
never reaches a public file or a public outbox. An anonymous participant's email stays on the
Participation item only: it is removed from the activity's snapshot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from affiche.domain.event_lifecycle import open_for_participation
from affiche.domain.groups import membership_of
from affiche.domain.model import Actor, Event, Participation
from affiche.domain.ports import ChangeSet
from affiche.domain.retry import back_off
from affiche.domain.roles import MEMBER_ROLES, authorize
from affiche.domain.state_graph import StateGraph

# (role before, action) -> role after; None is "no Participation item".
TRANSITIONS: dict[tuple[str | None, str], str | None] = {
    (None, "join"): "participant",
    (None, "request"): "not_approved",
    (None, "register"): "not_confirmed",
    (None, "invite"): "invited",
    ("invited", "join"): "participant",
    ("invited", "request"): "participant",  # the organisers' invitation is their approval
    ("invited", "leave"): None,  # declining
    ("not_confirmed", "confirm"): "participant",
    ("not_confirmed", "confirm_request"): "not_approved",
    ("not_approved", "approve"): "participant",
    ("not_approved", "reject"): "rejected",
    ("rejected", "approve"): "participant",
    ("participant", "reject"): "rejected",
    ("participant", "leave"): None,
    ("not_approved", "leave"): None,
    ("not_confirmed", "leave"): None,
}
STATES = ("participant", "not_approved", "not_confirmed", "rejected", "invited")
COUNTED = frozenset({"participant"})
ATTEMPTS = 20  # lost races before giving up; each round lets at least one contender through
MESSAGE_MAX = 2000
BATCH_MAX = 40  # answers committed in one transaction (DynamoDB takes 100 items; 2 per answer)
PAGE_MAX = 200
# A participant is part of the item's sort key, which DynamoDB caps at 1024 bytes.
PARTICIPANT_MAX_BYTES = 900


def check_graph(transitions: dict[tuple[str | None, str], str | None]) -> None:
    """Fail loudly when the graph is malformed: everything must be reachable from `None`
    (the one reusable state-graph type, affiche/domain/state_graph.py, checks it)."""
    StateGraph("participation", transitions)


check_graph(TRANSITIONS)

_STANDING: dict[str, str] = {
    "participant": "already takes part in",
    "not_approved": "has already asked to take part in",
    "not_confirmed": "has not confirmed their participation in",
    "rejected": "was refused by the organisers of",
    "invited": "is already invited to",
}
_MISSING = {"approve": "has not asked to take part in", "reject": "does not take part in",
            "leave": "does not take part in", "confirm": "has no participation to confirm in"}


def next_role(current: Participation | None, action: str, who: str, event: Event) -> str | None:
    """The role after `action`, or the DomainError explaining why the graph refuses it."""
    role = current.role if current else None
    if (role, action) in TRANSITIONS:
        return TRANSITIONS[(role, action)]
    raise _refusal(role, action, who, event)


def _refusal(role: str | None, action: str, who: str, event: Event) -> DomainError:
    what = f"“{event.title}”"
    if role is None:
        return NotFound(f"{who} {_MISSING.get(action, 'does not take part in')} {what}")
    return Conflict(f"{who} {_STANDING.get(role, 'is ' + role + ' in')} {what}")


def who_is(participant: str) -> str:
    if participant.startswith("anon:"):
        return "this visitor"
    return f"@{participant}" if rules.HANDLE.match(participant) else participant


# --- the event's own rules ----------------------------------------------------------------------

class EventFull(Conflict):
    """No place left. A Conflict (409), but never worth a retry."""


def existing_event(ports: Ports, uuid: str) -> Event:
    # An event id is a uuid: anything much longer cannot exist (and would overflow a key).
    event = ports.repo.get(Event, uuid) if len(uuid) <= 100 else None
    # Drafts (the editor's) are nobody's business but the organisers'.
    if event is None or event.deleted or event.draft:
        raise NotFound(f"no event {uuid}")
    return event


def is_organiser(ports: Ports, actor: Actor, event: Event) -> bool:
    from affiche.domain.roles import allowed

    return allowed(membership_of(ports, event.group, actor.name), "manage_participants")


def _is_member(ports: Ports, actor: Actor, event: Event) -> bool:
    mine = membership_of(ports, event.group, actor.name)
    return mine is not None and mine.role in MEMBER_ROLES


def check_open(ports: Ports, event: Event) -> None:
    """Refuse taking part in an event that is cancelled, over or registers elsewhere."""
    # The same rule as the page's "Participate" button (event_lifecycle), with its reason.
    if not open_for_participation(event, ports.clock.now()):
        reason = "is cancelled" if event.status == "cancelled" else "is over"
        raise Conflict(f"“{event.title}” {reason}")
    if event.join_mode == "external":
        url = event.external_url
        where = f" at {url}" if url else " on the organisers' own site (see the event page)"
        raise PermissionDenied(f"registration for “{event.title}” happens elsewhere: "
                               f"register{where}")


def check_may_join(ports: Ports, actor: Actor, event: Event, *, invited: bool = False) -> None:
    check_open(ports, event)
    if len(actor.name.encode()) > PARTICIPANT_MAX_BYTES:
        raise InvalidInput("this actor's id is too long to take part", field="profile")
    if actor.is_group:
        raise InvalidInput("a group cannot take part in an event; act as a person", field="profile")
    if event.visibility == "private" and not _is_member(ports, actor, event):
        raise PermissionDenied(f"only members of @{event.group} can take part in this event")
    if event.join_mode == "invite" and not invited and not _is_member(ports, actor, event):
        raise PermissionDenied(f"“{event.title}” is by invitation: only people its organisers "
                               f"invited and members of @{event.group} can take part")


def places_left(event: Event) -> int | None:
    return None if event.capacity is None else max(event.capacity - event.participant_count, 0)


def _check_capacity(event: Event, adding: int) -> None:
    left = places_left(event)
    if adding > 0 and left is not None and adding > left:
        raise EventFull(f"“{event.title}” is full ({event.capacity} places)"
                        if left == 0 else f"only {left} places are left in “{event.title}”")


# --- one or more transitions, committed atomically -----------------------------------------------

@dataclass
class Change:
    """Transitions of one event about to be committed: each participation before and after."""

    event: Event
    moves: list[tuple[Participation | None, Participation | None]]
    activity: str  # Join | Leave | Accept | Reject
    actor: str  # who performs it: the participant, or the organiser (a profile name)
    answer: str = ""  # the organisers' message with an Accept or Reject, mailed from the stream

    @property
    def delta(self) -> int:
        return sum(_counted(after) - _counted(before) for before, after in self.moves)

    @property
    def participations(self) -> list[Participation]:
        return [p for before, after in self.moves if (p := after or before) is not None]

    def changeset(self, ports: Ports) -> ChangeSet:
        _check_capacity(self.event, self.delta)
        changes = ChangeSet()
        for before, after in self.moves:
            if after is not None:
                changes.put(after)
            elif before is not None:
                changes.deletes.append(before)
        if self.delta:
            # Atomic, limited by the capacity on the stored count: two joins racing for the
            # last place cannot both commit, and joins with places left never clash.
            changes.tally(self.event, "participant_count", self.delta,
                          limit=self.event.capacity if self.delta > 0 else None)
            self.event = self.event.evolve(
                participant_count=self.event.participant_count + self.delta)
        for participation in self.participations:
            activity = activities.new(ports, self.activity, self.actor, participation,
                                      participation.key, audience="private",
                                      target=self.event.group)
            activity.object.pop("email", None)  # an anonymous participant's address stays put
            if self.answer:
                activity.object["answer"] = self.answer
            changes.record(activity)
        return changes


def _counted(participation: Participation | None) -> int:
    return int(participation is not None and participation.role in COUNTED)


def apply(ports: Ports, uuid: str, decide: Callable[[Event], Change],
          extra: Callable[[ChangeSet], None] | None = None) -> Change:
    """Read, decide, commit; a lost race decides again from a fresh read (bounded)."""
    for attempt in range(ATTEMPTS):
        change = decide(existing_event(ports, uuid))  # refusals (a full event) escape at once
        changes = change.changeset(ports)
        if extra:
            extra(changes)
        try:
            ports.repo.commit(changes)
            return change
        except Conflict:
            if attempt == ATTEMPTS - 1:
                break
            back_off(min(attempt, 4))
    raise Conflict("too many people are answering this event at the same moment; try again")


def participation_of(ports: Ports, uuid: str, participant: str) -> Participation | None:
    return ports.repo.get(Participation, f"{uuid}|{participant}")


def _moved(before: Participation, role: str | None, ports: Ports,
           message: str | None = None) -> Participation | None:
    if role is None:
        return None
    changes: dict[str, Any] = {"role": role, "updated_at": ports.clock.now()}
    if message is not None:
        changes["message"] = message
    return before.evolve(**changes)


# --- the participant's side ----------------------------------------------------------------------

def message_text(value: str) -> str:
    """A message to or from the organisers: several lines of plain text, no control characters."""
    value = rules.text(value, "message", max_length=MESSAGE_MAX, required=False)
    if any((ord(c) < 32 and c not in "\n\r\t") or c == "\x7f" for c in value):
        raise InvalidInput("message must not contain control characters", field="message")
    return value


def join_event(ports: Ports, actor: Actor, uuid: str, *, message: str = "",
               join_activity_id: str | None = None) -> Participation:
    """Take part at once (free events) or ask the organisers (restricted events).
    `join_activity_id` is a remote person's Join, kept so that our answer can echo it."""
    message = message_text(message)

    unread = [True]  # the first attempt only

    def decide(event: Event) -> Change:
        # Mostly, only someone without a participation joins (see TRANSITIONS): the first
        # attempt assumes so and lets the put's "must not exist yet" condition check it, one read
        # fewer per join; when that loses (an invitation, a second join), the next attempt reads
        # the participation and decides with it. Invite-only and full events always read it (so
        # joining a full event twice says "already takes part", not "full").
        guess = (unread and unread.pop() and event.join_mode != "invite"
                 and places_left(event) != 0)
        before = None if guess else participation_of(ports, event.uuid, actor.name)
        check_may_join(ports, actor, event, invited=before is not None and before.role == "invited")
        action = "request" if event.join_mode == "restricted" else "join"
        role = next_role(before, action, who_is(actor.name), event)
        assert role is not None
        if role in COUNTED:
            _check_capacity(event, 1)
        now = ports.clock.now()
        after = Participation(event=event.uuid, participant=actor.name, role=role,
                              created_at=now, updated_at=now, message=message,
                              begins_on=event.begins_on, join_activity_id=join_activity_id)
        if before is not None:
            after = before.evolve(role=role, updated_at=now, message=message or before.message,
                                  join_activity_id=join_activity_id or before.join_activity_id)
        return Change(event, [(before, after)], "Join", actor.name)

    # The organisers hear of a request from the change stream (affiche/notify/rules).
    return apply(ports, uuid, decide).participations[0]


def leave_event(ports: Ports, actor: Actor, uuid: str) -> None:
    """Stop taking part (or withdraw a request); the place becomes free again."""

    def decide(event: Event) -> Change:
        before = participation_of(ports, event.uuid, actor.name)
        next_role(before, "leave", who_is(actor.name), event)
        return Change(event, [(before, None)], "Leave", actor.name)

    apply(ports, uuid, decide)


def forget_participant(ports: Ports, participant: str) -> None:
    """Withdraw a retired profile from every event (one transaction per event): places are
    freed, and refused participations, which no transition leaves, are deleted outright."""
    for found in ports.repo.participations_of(participant):
        if (found.role, "leave") in TRANSITIONS:
            def decide(event: Event, found: Participation = found) -> Change:
                before = participation_of(ports, event.uuid, found.participant)
                if before is None:
                    raise NotFound("already gone")
                return Change(event, [(before, None)], "Leave", participant)

            try:
                apply(ports, found.event, decide)
                continue
            except NotFound:  # the event (or the participation) is gone already
                pass
        # Version 0: delete whatever is there, without condition.
        ports.repo.commit(ChangeSet(deletes=[found.evolve(version=0)]))


# --- the organisers' side ------------------------------------------------------------------------

def invite_to_event(ports: Ports, organiser: Actor, uuid: str, handle: str) -> Participation:
    """An organiser invites a local profile (`name` or `@name`): the invitee may then take part
    in an invite-only event, or skip the approval of a restricted one. Takes no place yet."""
    name = rules.handle(handle.strip().removeprefix("@").split("@")[0], "handle")
    person = ports.repo.get(Actor, name)
    if person is None or person.deleted or person.is_group:
        raise NotFound(f"no profile @{name}")

    def decide(event: Event) -> Change:
        authorize(membership_of(ports, event.group, organiser.name), "manage_participants")
        check_open(ports, event)
        before = participation_of(ports, event.uuid, name)
        role = next_role(before, "invite", who_is(name), event)
        assert role is not None
        now = ports.clock.now()
        after = Participation(event=event.uuid, participant=name, role=role, created_at=now,
                              updated_at=now, begins_on=event.begins_on)
        return Change(event, [(before, after)], "Invite", organiser.name)

    return apply(ports, uuid, decide).participations[0]  # mailed from the change stream


def answer_request(ports: Ports, organiser: Actor, uuid: str, participant: str, approve: bool,
                   message: str = "") -> Participation:
    """Approve or reject one participant (see `answer_requests`)."""
    return answer_requests(ports, organiser, uuid, [participant], approve, message)[0]


def answer_requests(ports: Ports, organiser: Actor, uuid: str, participants: Iterable[str],
                    approve: bool, message: str = "") -> list[Participation]:
    """Approve or reject several participants at once, all or nothing: approving more people
    than there are places left refuses the whole answer. `message` goes to each of them."""
    names = list(dict.fromkeys(p.strip() for p in participants))
    if not names or not all(names):
        raise InvalidInput("choose at least one participant", field="participants")
    if any(len(n.encode()) > PARTICIPANT_MAX_BYTES for n in names):
        raise InvalidInput("a participant's name is too long", field="participants")
    if len(names) > BATCH_MAX:
        raise InvalidInput(f"answer at most {BATCH_MAX} participants at once",
                           field="participants")
    message = message_text(message)
    action = "approve" if approve else "reject"

    def decide(event: Event) -> Change:
        authorize(membership_of(ports, event.group, organiser.name), "manage_participants")
        moves: list[tuple[Participation | None, Participation | None]] = []
        for name in names:
            before = participation_of(ports, event.uuid, name)
            role = next_role(before, action, who_is(name), event)
            assert before is not None
            moves.append((before, _moved(before, role, ports)))
        return Change(event, moves, "Accept" if approve else "Reject", organiser.name,
                      answer=message)

    # Each person hears the answer (with `message`) from the change stream (affiche/notify).
    return apply(ports, uuid, decide).participations


def participants(ports: Ports, organiser: Actor, uuid: str, *,
                 role: str | None = None) -> list[Participation]:
    """Everyone with a participation, requests first then by arrival (organisers only)."""
    event = existing_event(ports, uuid)
    authorize(membership_of(ports, event.group, organiser.name), "manage_participants")
    if role is not None:
        rules.choice(role, "role", STATES)
    found = [p for p in ports.repo.participations_of_event(uuid) if role in (None, p.role)]
    order = {"not_approved": 0, "participant": 1, "invited": 2, "not_confirmed": 3,
             "rejected": 4}
    return sorted(found, key=lambda p: (order.get(p.role, 9), p.created_at, p.participant))


CSV_INJECTION = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with "=" (or +, -, @) as a formula: defuse it.
    return "'" + value if value.startswith(CSV_INJECTION) else value


def participants_csv(ports: Ports, organiser: Actor, uuid: str) -> str:
    """The participant list as CSV, for the organisers (no email addresses)."""
    found = participants(ports, organiser, uuid)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["participant", "name", "state", "message", "since"])
    for p in found:
        name = p.display_name or _display_name(ports, p.participant)
        writer.writerow([_cell("anonymous" if p.participant.startswith("anon:")
                               else p.participant),
                         _cell(name), p.role, _cell(p.message), p.created_at.isoformat()])
    return out.getvalue()


def _display_name(ports: Ports, participant: str) -> str:
    if participant.startswith("anon:"):
        return ""
    person = ports.repo.get(Actor, participant)
    return person.display_name if person else ""


def my_participations(ports: Ports, actor: Actor) -> list[tuple[Participation, Event]]:
    """The actor's participations with their events, soonest first (deleted events left out)."""
    found = []
    for participation in ports.repo.participations_of(actor.name):
        event = ports.repo.get(Event, participation.event)
        if event is not None and not event.deleted:
            found.append((participation, event))
    return sorted(found, key=lambda pe: pe[1].begins_on)
