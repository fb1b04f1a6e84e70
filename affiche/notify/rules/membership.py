"""Group membership mails, decided from the membership activities (domain/membership.py records
them with the Membership as snapshot: the membership after the change, or before it when the
change deleted it):

| activity | who acted        | mail                                 | to                       |
|----------|------------------|--------------------------------------|--------------------------|
| Invite   | an administrator | membership_invited                   | the invitee              |
| Accept   | the invitee      | membership_invitation_accepted       | who invited them         |
| Accept   | the group        | membership_approved                  | the member               |
| Reject   | the invitee      | membership_invitation_declined       | who invited them         |
| Reject   | the group        | membership_rejected                  | who asked                |
| Join     | the person       | join_request (moderated group)       | the group's administrators |
| Join     | the person       | membership_joined (open group)       | the new member           |
| Leave    | the member       | membership_left                      | the member               |
| Remove   | the group        | membership_removed                   | the former member        |
| Update   | the group        | membership_role_changed              | the member               |

Remote people get nothing here: they are told over ActivityPub (notify.address_of skips them).
These mails answer what someone did: they cannot be switched off."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Activity, Actor, Membership
from affiche.domain.roles import ADMIN_ROLES
from affiche.notify import Mail, rule

GONE = {"Leave", "Remove"}  # the snapshot is the membership before it was deleted


def _mail(activity: Activity, repo: Any, recipient: str | None, template: str) -> list[Mail]:
    from affiche.domain.membership import who_is

    if not recipient:
        return []
    membership = Membership.from_dict(activity.object)
    group = repo.get(Actor, membership.group)
    deleted = activity.type in GONE or (activity.type == "Reject" and membership.role == "invited")
    remote = group is not None and group.is_remote
    context = {"name": recipient, "group": membership.group,
               "group_display": group.display_name if group else membership.group,
               # A group of another server has its pages there; here it is in My space.
               "group_handle": (group.handle if remote and group else f"@{membership.group}"),
               "group_path": "/app/" if remote else f"/app/groups/{membership.group}/",
               "member": who_is(membership.member), "actor": activity.actor,
               "role": "" if deleted else membership.role, "message": membership.message}
    return [Mail(template, context, recipient=recipient)]


def _member(activity: Activity) -> str:
    return str(activity.object.get("member"))


def _by_the_invitee(activity: Activity) -> bool:
    return activity.actor == _member(activity)


@rule("Invite", "membership")
def invited(activity: Activity, repo: Any) -> list[Mail]:
    return _mail(activity, repo, _member(activity), "membership_invited")


def _answer(activity: Activity, repo: Any, to_inviter: str, to_member: str) -> list[Mail]:
    """An invitee answering tells whoever invited them; administrators answering a request tell
    the person who asked."""
    if _by_the_invitee(activity):
        return _mail(activity, repo, activity.object.get("invited_by"), to_inviter)
    return _mail(activity, repo, _member(activity), to_member)


@rule("Accept", "membership")
def accepted(activity: Activity, repo: Any) -> list[Mail]:
    return _answer(activity, repo, "membership_invitation_accepted", "membership_approved")


@rule("Reject", "membership")
def rejected(activity: Activity, repo: Any) -> list[Mail]:
    return _answer(activity, repo, "membership_invitation_declined", "membership_rejected")


@rule("Join", "membership")
def joined(activity: Activity, repo: Any) -> list[Mail]:
    if activity.object.get("role") != "not_approved":
        return _mail(activity, repo, _member(activity), "membership_joined")
    group = str(activity.object.get("group"))
    admins = [m.member for m in repo.memberships_of_group(group) if m.role in ADMIN_ROLES]
    return [mail for admin in admins for mail in _mail(activity, repo, admin, "join_request")]


@rule("Leave", "membership")
def left(activity: Activity, repo: Any) -> list[Mail]:
    return _mail(activity, repo, _member(activity), "membership_left")


@rule("Remove", "membership")
def removed(activity: Activity, repo: Any) -> list[Mail]:
    return _mail(activity, repo, _member(activity), "membership_removed")


@rule("Update", "membership")
def role_changed(activity: Activity, repo: Any) -> list[Mail]:
    return _mail(activity, repo, _member(activity), "membership_role_changed")
