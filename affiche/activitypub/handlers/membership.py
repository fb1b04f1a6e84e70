"""Group membership from remote people: Join and Leave of our groups, and their answers to our
Invites (Mobilizon's model: the Invite's object is the group, its target the invitee).

Each goes through the same domain service a local person uses (affiche.domain.membership), with
the remote person as the acting `Actor`:
- `Join` of `{public_url}/@group/`: request_to_join_as (an open group accepts at once and the
  fan-out sends the group's Accept{Join}; a moderated one waits for its administrators);
- `Leave` of our group (or `Undo{Join}` of it): leave_as;
- `Accept{Invite}` / `Reject{Invite}` by the invitee: accept_invitation_as / decline_invitation_as.
  The Invite is read embedded (its `object` is our group) or by the id we gave it.
- `Invite` from a remote group to one of our people: receive_invitation (their answer goes back
  through the fan-out).
- a remote group's `Accept{Join}` / `Reject{Join}` of one of our people's Join of it (by our id,
  or embedded as a Join or Mobilizon's `Member`): remote_join_answered; its `Remove` of one of
  our people: removed_by_remote_group. Only the group's own server may send either.
`Accept` and `Reject` by id alone (Mastodon answers a Follow that way) are told apart by the
activity of ours they name.
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.handlers import ANY, InboundContext, Outcome, register
from affiche.activitypub.handlers.support import (
    id_of,
    local_name,
    local_path,
    ports,
    same_host,
)
from affiche.domain import membership
from affiche.domain.errors import DomainError
from affiche.domain.model import Activity, Actor, is_remote_name


def local_group(url: str | None) -> str | None:
    """The name of the group of ours `url` designates, else None."""
    name = local_name(url)
    if name is None:
        return None
    found = ports().repo.get(Actor, name)
    return name if found is not None and found.is_group and not found.deleted else None


def join_group(activity: dict[str, Any], group: str, context: InboundContext) -> Outcome:
    context_ports = ports()
    person = resolve_actor(context_ports.repo, context.signer)
    if person.is_group:
        return Outcome("ignored", "only people can join a group")
    message = activity.get("participationMessage") or activity.get("content") or ""
    text = message[:membership.MESSAGE_MAX] if isinstance(message, str) else ""
    try:
        joined = membership.request_to_join_as(context_ports, person, group, text)
    except DomainError as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"{person.name} is {joined.role} of @{group}")


def leave_group(group: str, context: InboundContext) -> Outcome:
    context_ports = ports()
    person = context_ports.repo.get(Actor, context.signer)
    if person is None:
        return Outcome("ignored", "not a member here")
    try:
        membership.leave_as(context_ports, person, group)
    except DomainError as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"{person.name} left @{group}")


def our_activity(value: Any) -> Activity | None:
    """The activity of ours an id names (`{public_url}/activities/{id}`), when we have it."""
    activity_id = local_path(id_of(value), "activities/")
    return ports().repo.get(Activity, activity_id) if activity_id else None


def _invited_group(inner: Any) -> str | None:
    if isinstance(inner, dict) and inner.get("object") is not None:
        return local_group(id_of(inner.get("object")))
    ours = our_activity(inner)
    if ours is None or ours.type != "Invite" or ours.object_kind != "membership":
        return None
    return str(ours.object.get("group") or "") or None


def answer_invitation(activity: dict[str, Any], context: InboundContext,
                      accepted: bool) -> Outcome:
    inner = activity.get("object")
    group = _invited_group(inner)
    if group is None:
        return Outcome("ignored", "no invitation of ours is named")
    if isinstance(inner, dict) and id_of(inner.get("target")) not in (None, context.signer):
        return Outcome("ignored", "one can only answer one's own invitation")
    context_ports = ports()
    person = context_ports.repo.get(Actor, context.signer)
    if person is None:
        return Outcome("ignored", "we invited no such person")
    try:
        if accepted:
            membership.accept_invitation_as(context_ports, person, group)
        else:
            membership.decline_invitation_as(context_ports, person, group)
    except DomainError as error:
        return Outcome("ignored", str(error))
    verb = "accepted" if accepted else "declined"
    return Outcome("handled", f"{person.name} {verb} the invitation to @{group}")


@register("Accept", "Invite")
def accept_invite(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return answer_invitation(activity, context, accepted=True)


@register("Reject", "Invite")
def reject_invite(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return answer_invitation(activity, context, accepted=False)


def _our_group_join(inner: Any) -> tuple[str, str] | None:
    """(remote group id, our person) of a Join one of our people sent to a group of another
    server, named by our id for it, or embedded: a Join, or Mobilizon's `Member` (its Accept's
    object), whose actor is our person and object the group. None when it is something else."""
    ours = our_activity(inner)
    if ours is not None:
        if ours.type != "Join" or ours.object_kind != "membership":
            return None
        group, person = str(ours.object.get("group") or ""), ours.actor
    elif isinstance(inner, dict) and inner.get("type") in {"Join", "Member"}:
        group = id_of(inner.get("object")) or ""
        person = local_name(id_of(inner.get("actor"))) or ""
    else:
        return None
    if not person or not is_remote_name(group):
        return None
    found = ports().repo.get(Actor, group)
    return (group, person) if found is not None and found.is_group else None


def answer_our_group_join(activity: dict[str, Any], context: InboundContext,
                          accepted: bool) -> Outcome | None:
    """Accept{Join} / Reject{Join} of one of our people's Join of a remote group; None when the
    answer is about something else. Only the group's own server may answer."""
    found = _our_group_join(activity.get("object"))
    if found is None:
        return None
    group_id, person = found
    if not same_host(group_id, context.signer):
        return Outcome("ignored", "only the group's own server may answer a Join of it")
    context_ports = ports()
    group = context_ports.repo.get(Actor, group_id)
    assert group is not None
    try:
        membership.remote_join_answered(context_ports, group, person, accepted)
    except DomainError as error:
        return Outcome("ignored", str(error))
    verb = "accepted" if accepted else "refused"
    return Outcome("handled", f"@{person}'s request to join {group_id} was {verb}")


@register("Remove", ANY)
def remove(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """A remote group removes one of our people (Mobilizon: actor the moderator, object the
    person, origin the group). Only a signer of the group's own server may."""
    person = local_name(id_of(activity.get("object")))
    group_id = id_of(activity.get("origin")) or id_of(activity.get("target"))
    if person is None or group_id is None:
        return Outcome("ignored", "a Remove must name one of our people and the group")
    if not same_host(group_id, context.signer):
        return Outcome("ignored", "only the group's own server may remove its members")
    context_ports = ports()
    group = context_ports.repo.get(Actor, group_id)
    if group is None or not group.is_group:
        return Outcome("ignored", "none of our people is in this group")
    try:
        membership.removed_by_remote_group(context_ports, group, person)
    except DomainError as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"@{person} was removed from {group_id}")


def _answer_by_id(activity: dict[str, Any], context: InboundContext, accepted: bool) -> Outcome:
    from affiche.activitypub.handlers.participation import answer_our_join

    # A remote group's server answering one of our people's Join of it (before events: an
    # embedded Join of a remote group would otherwise read as one of a remote event).
    to_group = answer_our_group_join(activity, context, accepted)
    if to_group is not None:
        return to_group
    # A remote event's server answering one of our people's Join (embedded or by id).
    answered = answer_our_join(activity, context, accepted)
    if answered is not None:
        return answered
    ours = our_activity(activity.get("object"))
    if ours is not None and ours.type == "Invite":
        return answer_invitation(activity, context, accepted)
    if ours is None or ours.type == "Follow":
        from affiche.activitypub.handlers.follow import accept_follow, reject_follow

        return (accept_follow if accepted else reject_follow)(activity, context)
    return Outcome("ignored", f"nothing to answer in our {ours.type}")


@register("Accept", ANY)
def accept_by_id(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return _answer_by_id(activity, context, accepted=True)


@register("Reject", ANY)
def reject_by_id(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return _answer_by_id(activity, context, accepted=False)


@register("Invite", ANY)
@register("Invite", "Group")
def invite(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """A remote group (its `object`) invites one of our people (its `target`). The inviter is
    the signer: the group itself or one of its administrators, on the group's server."""
    member = local_name(id_of(activity.get("target")))
    group_id = id_of(activity.get("object"))
    if member is None or group_id is None or not same_host(group_id, context.signer):
        return Outcome("ignored", "an Invite must name a group of the inviter's server and "
                                  "one of our people")
    context_ports = ports()
    try:
        group = resolve_actor(context_ports.repo, group_id)
        inviter = resolve_actor(context_ports.repo, context.signer)
    except FetchError as error:
        return Outcome("ignored", f"the group could not be fetched ({error.reason})")
    try:
        membership.receive_invitation(context_ports, inviter, group, member,
                                      id_of(activity.get("id")))
    except DomainError as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"@{member} is invited to {group.name}")
