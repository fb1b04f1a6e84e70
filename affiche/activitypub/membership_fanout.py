"""Fan-out of group membership activities that concern a remote person (Mobilizon's model).

Membership activities have audience "members": they never go to followers nor to an outbox;
each goes to the one remote person it concerns, at their personal inbox:
- an administrator's `Invite` of a remote person -> `Invite` (actor: the inviter, object: the
  group, target: the invitee), which they answer with Accept/Reject{Invite} (handlers/membership);
- a remote person's `Join` of an open group, or an administrator's approval of their request
  -> the group's `Accept{Join}`; a refusal -> `Reject{Join}`;
- an administrator removing a remote member -> the group's `Remove` (object: the member,
  origin: the group).
What a remote person did themselves (their Accept, Leave) sends nothing back.

And the other way, one of our people in a remote group's flow: their `Join` of it, their answer
to its Invite (`Accept`/`Reject` echoing the Invite's id) and their `Leave` go to that group's
inbox (the group's answers come back through handlers/membership.py).
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.activitypub.fanout import Delivery, register_planner
from affiche.domain.model import Activity, Actor, Membership, is_remote_name
from affiche.domain.ports import Repository


def _document(activity: Activity, membership: Membership, urls: ap.Urls) -> dict[str, Any] | None:
    group = urls.actor(membership.group)
    join = {"type": "Join", "actor": membership.member, "object": group}
    if activity.type == "Invite" and not is_remote_name(activity.actor):
        return {"type": "Invite", "actor": urls.actor(activity.actor), "object": group,
                "target": membership.member}
    if activity.actor != membership.group:
        return None
    if activity.type == "Accept" and membership.role == "member":
        return {"type": "Accept", "actor": group, "object": join}
    if activity.type == "Reject" and membership.role == "rejected":
        return {"type": "Reject", "actor": group, "object": join}
    if activity.type == "Remove":
        return {"type": "Remove", "actor": group, "object": membership.member, "origin": group,
                "target": group}
    return None


def _remote_join_accepted(activity: Activity, membership: Membership) -> bool:
    """A remote person's own Join of an open group: the group answers it at once."""
    return (activity.type == "Join" and activity.actor == membership.member
            and membership.role == "member")


def _to_remote_group(activity: Activity, membership: Membership, repo: Repository,
                     urls: ap.Urls) -> list[Delivery]:
    """Our person's answer to a remote group's Invite, or their Leave of it."""
    group = repo.get(Actor, membership.group)
    if activity.actor != membership.member or group is None or not group.inbox:
        return []
    me = urls.actor(membership.member)
    if activity.type in {"Accept", "Reject"} and membership.activity_id:
        obj: dict[str, Any] | str = membership.activity_id
    elif activity.type in {"Accept", "Reject"}:
        obj = {"type": "Invite", "object": membership.group, "target": me}
    elif activity.type in {"Leave", "Join"}:
        obj = membership.group
    else:
        return []
    doc = {"@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": activity.type,
           "actor": me, "object": obj, "to": [membership.group], "cc": [],
           "published": activity.published.isoformat()}
    if activity.type == "Join" and membership.message:
        doc["participationMessage"] = membership.message  # Mobilizon's name for it
    return [Delivery(doc, membership.member, (group.inbox,))]


@register_planner("membership")
def _membership(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    membership = Membership.from_dict(activity.object)
    if is_remote_name(membership.group):
        return _to_remote_group(activity, membership, repo, urls)
    if not is_remote_name(membership.member):
        return []
    person = repo.get(Actor, membership.member)
    if person is None or person.deleted or not person.inbox:
        return []
    if _remote_join_accepted(activity, membership):
        doc: dict[str, Any] | None = {
            "type": "Accept", "actor": urls.actor(membership.group),
            "object": {"type": "Join", "actor": membership.member,
                       "object": urls.actor(membership.group)}}
        sender = membership.group
    else:
        doc = _document(activity, membership, urls)
        sender = activity.actor
    if doc is None:
        return []
    doc = {"@context": ap.CONTEXT, "id": urls.activity(activity.id), **doc,
           "to": [membership.member], "cc": [], "published": activity.published.isoformat()}
    return [Delivery(doc, sender, (person.inbox,))]
