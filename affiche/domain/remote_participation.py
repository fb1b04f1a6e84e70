"""Answers to a remote person's Join that no participation change carries.

A remote person asks through an activity, not a form: when the rules refuse (full, cancelled,
over, private, by invitation...) nothing is stored, yet their server waits for an answer, so the
organising group records a `Reject` of their Join; when they send the same Join again (they
never saw our Accept), the group records a fresh `Accept`. Both are "private" activities about a
Participation snapshot that is not stored: the fan-out (affiche/activitypub/participation_fanout)
sends them to that person only, and the notify rules never mail a remote person.
"""

from __future__ import annotations

from affiche.domain import activities
from affiche.domain.context import Ports
from affiche.domain.model import Actor, Participation
from affiche.domain.participation import existing_event, participation_of
from affiche.domain.ports import ChangeSet


def refuse_join(ports: Ports, actor: Actor, uuid: str, join_activity_id: str | None,
                reason: str) -> None:
    """Record the group's `Reject` of `actor`'s Join of event `uuid`, saying why."""
    event = existing_event(ports, uuid)  # NotFound: not an event of ours, nobody to answer for
    now = ports.clock.now()
    refused = Participation(event=event.uuid, participant=actor.name, role="rejected",
                            created_at=now, updated_at=now, begins_on=event.begins_on,
                            join_activity_id=join_activity_id)
    activity = activities.new(ports, "Reject", event.group, refused, refused.key,
                              audience="private", target=event.group)
    activity.object["answer"] = reason
    ports.repo.commit(ChangeSet().record(activity))


def accept_again(ports: Ports, actor: Actor, uuid: str, join_activity_id: str | None) -> bool:
    """A participant's server sent its Join again: answer it again. False when `actor` does
    not take part (yet), so there is nothing to accept."""
    event = existing_event(ports, uuid)
    current = participation_of(ports, uuid, actor.name)
    if current is None or current.role != "participant":
        return False
    echoed = current.evolve(join_activity_id=join_activity_id or current.join_activity_id)
    activity = activities.new(ports, "Accept", event.group, echoed, echoed.key,
                              audience="private", target=event.group)
    ports.repo.commit(ChangeSet().record(activity))
    return True
