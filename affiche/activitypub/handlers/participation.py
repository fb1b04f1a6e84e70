"""Join, Leave and Undo{Join} of our events by remote people (Mobilizon's participation).

A remote person takes part through the same domain service as a local one
(affiche.domain.participation), as the `Actor` named by their ActivityPub id:
- `Join` of `{public_url}/events/{uuid}/` (by id, or an embedded Event): join_event, keeping
  Mobilizon's `participationMessage` as the message and the Join's id, which our answer echoes.
  A free event answers with the group's `Accept` (the fan-out sends it); a restricted one waits
  for the organisers, as Mobilizon does.
- When the rules refuse (full, cancelled, over, private...), nothing is stored and the group
  answers with a `Reject` of the Join that says why; the inbound item is processed, with the
  reason. The same Join sent again by a participant is accepted again.
- `Leave` of our event, or `Undo{Join}`: leave_event; the place becomes free again.
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.handlers import ANY, InboundContext, Outcome, register
from affiche.activitypub.handlers.membership import (
    join_group,
    leave_group,
    local_group,
    our_activity,
)
from affiche.activitypub.handlers.support import id_of, local_name, local_path, ports, same_host
from affiche.domain import remote_participation
from affiche.domain.errors import DomainError, NotFound
from affiche.domain.participation import MESSAGE_MAX, join_event, leave_event


def local_event(url: str | None) -> str | None:
    """The uuid of the event of ours `url` designates (`{public_url}/events/{uuid}/`)."""
    uuid = local_path(url, "events/")
    return uuid if uuid and len(uuid) <= 100 else None


def _message(activity: dict[str, Any]) -> str:
    value = activity.get("participationMessage")
    if not isinstance(value, str):
        return ""
    # A stranger's text: keep printable characters and line breaks, within our limit.
    kept = "".join(c for c in value if c in "\n\t" or (ord(c) >= 32 and c != "\x7f"))
    return kept.replace("\r", "")[:MESSAGE_MAX]


@register("Join", ANY)
@register("Join", "Event")
def join(activity: dict[str, Any], context: InboundContext) -> Outcome:
    group = local_group(id_of(activity.get("object")))
    if group is not None:
        return join_group(activity, group, context)
    uuid = local_event(id_of(activity.get("object")))
    if uuid is None:
        return Outcome("ignored", "only our events can be joined")
    context_ports = ports()
    person = resolve_actor(context_ports.repo, context.signer)
    join_id = id_of(activity.get("id")) or None
    try:
        taken = join_event(context_ports, person, uuid, message=_message(activity),
                           join_activity_id=join_id)
    except NotFound as error:
        return Outcome("ignored", str(error))
    except DomainError as error:
        return _refused(person, uuid, join_id, str(error))
    return Outcome("handled", f"{person.name} is {taken.role} in event {uuid}")


def _refused(person: Any, uuid: str, join_id: str | None, reason: str) -> Outcome:
    context_ports = ports()
    try:
        if remote_participation.accept_again(context_ports, person, uuid, join_id):
            return Outcome("handled", "already takes part: accepted again")
        remote_participation.refuse_join(context_ports, person, uuid, join_id, reason)
    except NotFound as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"refused: {reason}")


def _leave(uuid: str | None, context: InboundContext) -> Outcome:
    if uuid is None:
        return Outcome("ignored", "only our events can be left")
    context_ports = ports()
    person = resolve_actor(context_ports.repo, context.signer)
    try:
        leave_event(context_ports, person, uuid)
    except DomainError as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"{person.name} left event {uuid}")


@register("Leave", ANY)
@register("Leave", "Event")
def leave(activity: dict[str, Any], context: InboundContext) -> Outcome:
    target = id_of(activity.get("object"))
    group = local_group(target)
    if group is not None:
        return leave_group(group, context)
    return _leave(local_event(target), context)


@register("Undo", "Join")
def undo_join(activity: dict[str, Any], context: InboundContext) -> Outcome:
    inner = activity.get("object") or {}
    if id_of(inner.get("actor")) not in (None, context.signer):
        return Outcome("ignored", "one can only undo one's own Join")
    target = id_of(inner.get("object"))
    group = local_group(target)
    if group is not None:
        return leave_group(group, context)
    return _leave(local_event(target), context)


def undo_join_by_id(join_id: str, context: InboundContext) -> Outcome | None:
    """`Undo` of a Join given by id alone: the participation that kept that Join's id, else
    None (the Undo is about something else)."""
    context_ports = ports()
    found = next((p for p in context_ports.repo.participations_of(context.signer)
                  if p.join_activity_id == join_id), None)
    if found is None:
        return None
    return _leave(found.event, context)


@register("Undo", ANY)
def undo_by_id(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """An Undo naming its object by id only: Mobilizon and others may undo a Join that way."""
    inner = id_of(activity.get("object"))
    outcome = undo_join_by_id(inner, context) if inner else None
    return outcome or Outcome("ignored", "no Join of this actor has that id")


def _our_join(inner: Any) -> tuple[str, str] | None:
    """(event id, our person) of a Join one of our people sent to another server, named by our
    id for it or embedded (actor: our person, object: the remote event), else None."""
    from affiche.domain.model import is_remote_name

    person: str | None
    ours = our_activity(inner)
    if ours is not None:
        if ours.type != "Join" or ours.object_kind != "participation":
            return None
        event, person = str(ours.object.get("event", "")), ours.actor
    elif isinstance(inner, dict) and inner.get("type") == "Join":
        event, person = id_of(inner.get("object")) or "", local_name(id_of(inner.get("actor")))
    else:
        return None
    return (event, person) if person and is_remote_name(event) else None


def answer_our_join(activity: dict[str, Any], context: InboundContext,
                    accepted: bool) -> Outcome | None:
    """Accept{Join} / Reject{Join} of one of our people's Join of a remote event
    (affiche.domain.remote_event_participation); None when the answer is about something else.
    Only the event's own server may answer (the signer's host is the event's host)."""
    from affiche.domain import remote_event_participation as remote_join
    from affiche.domain.model import Event

    found = _our_join(activity.get("object"))
    if found is None:
        return None
    uri, person = found
    if not same_host(uri, context.signer):
        return Outcome("ignored", "only the event's own server may answer a Join of it")
    context_ports = ports()
    event = context_ports.repo.get(Event, uri)
    if event is None:
        return Outcome("ignored", "no such remote event here")
    try:
        remote_join.answered(context_ports, event, person, accepted)
    except DomainError as error:
        return Outcome("ignored", str(error))
    verb = "accepted" if accepted else "declined"
    return Outcome("handled", f"@{person}'s participation in {uri} was {verb}")
