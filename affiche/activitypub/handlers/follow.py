"""Follow, Undo{Follow}, Accept{Follow}, Reject{Follow}.

- `Follow` of one of our groups: the group auto-accepts (DESIGN.md §4); follows.follow_as stores
  the follow and records the group's `Accept`, which the outbox fan-out delivers, echoing the
  Follow. A second `Follow` of the same pair (Mastodon re-sends when it never saw our Accept) is
  answered with a fresh Accept rather than an error.
- `Undo{Follow}`: the follower stops following.
- `Accept{Follow}` / `Reject{Follow}`: a remote group answers one of our people's follows.
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.handlers import ANY, InboundContext, Outcome, register
from affiche.activitypub.handlers.support import id_of, local_name, ports
from affiche.domain import follows
from affiche.domain.errors import Conflict, NotFound
from affiche.domain.model import Actor, Follow


@register("Follow", ANY)
def follow(activity: dict[str, Any], context: InboundContext) -> Outcome:
    name = local_name(id_of(activity.get("object")))
    context_ports = ports()
    group = context_ports.repo.get(Actor, name) if name else None
    if group is None or not group.is_group or group.deleted:
        return Outcome("ignored", "only our groups can be followed")
    follower = resolve_actor(context_ports.repo, context.signer)
    follow_id = id_of(activity.get("id")) or context.activity_id
    try:
        follows.follow_as(context_ports, follower, group.name, activity_id=follow_id)
    except Conflict:
        follows.accept_again(context_ports, group.name, follower.name, follow_id)
        return Outcome("handled", "already following: accepted again")
    return Outcome("handled", f"{follower.name} follows @{group.name}")


@register("Undo", "Follow")
def undo_follow(activity: dict[str, Any], context: InboundContext) -> Outcome:
    inner = activity.get("object") or {}
    if id_of(inner.get("actor")) != context.signer:
        return Outcome("ignored", "one can only undo one's own follow")
    name = local_name(id_of(inner.get("object")))
    context_ports = ports()
    follower = context_ports.repo.get(Actor, context.signer)
    if name is None or follower is None:
        return Outcome("ignored", "no such follow here")
    try:
        follows.unfollow_as(context_ports, follower, name)
    except NotFound as error:
        return Outcome("ignored", str(error))
    return Outcome("handled", f"{follower.name} no longer follows @{name}")


def _answer(activity: dict[str, Any], context: InboundContext, accepted: bool) -> Outcome:
    inner = activity.get("object")
    context_ports = ports()
    group = context.signer
    follower = local_name(id_of(inner.get("actor"))) if isinstance(inner, dict) else None
    if follower is None:  # the Follow given by id only: find it among the group's followers
        wanted = id_of(inner)
        follower = next((f.follower for f in context_ports.repo.followers_of(group)
                         if f.activity_id and wanted and wanted.endswith(f.activity_id)), None)
    existing = context_ports.repo.get(Follow, f"{group}|{follower}") if follower else None
    if existing is None:
        return Outcome("ignored", "we sent no such follow")
    follows.answer_from_group(context_ports, group, existing.follower, accepted)
    verb = "accepted" if accepted else "refused"
    return Outcome("handled", f"{group} {verb} the follow of @{existing.follower}")


@register("Accept", "Follow")
def accept_follow(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return _answer(activity, context, accepted=True)


@register("Reject", "Follow")
def reject_follow(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return _answer(activity, context, accepted=False)
