"""Group roles, ordered as Mobilizon orders them, and the one table of what each may do.

Every authorisation decision about a group goes through `authorize(membership, action)`; the API's
route x role test (tests/functions/test_permissions.py) walks the same table."""

from __future__ import annotations

from affiche.domain.errors import PermissionDenied
from affiche.domain.model import Membership

# Pending or refused states first; a higher index can do everything a lower one can.
ORDER = ("rejected", "not_approved", "invited", "member", "moderator", "administrator", "creator")
MEMBER_ROLES = frozenset({"member", "moderator", "administrator", "creator"})
ADMIN_ROLES = frozenset({"administrator", "creator"})

# action -> the lowest role allowed to do it (Mobilizon's permissions).
PERMISSIONS: dict[str, str] = {
    "view_group_dashboard": "member",
    "view_members": "member",
    "view_members_only_content": "member",
    "create_event": "moderator",
    "edit_event": "moderator",
    "create_post": "moderator",
    "edit_post": "moderator",
    "invite_member": "administrator",
    "review_join_request": "administrator",
    "remove_member": "administrator",
    "change_role": "administrator",
    "appoint_administrator": "administrator",
    "edit_group": "administrator",
    "upload_group_image": "administrator",
    "moderate_comments": "moderator",
    "manage_participants": "moderator",
    "discuss": "member",
    "moderate_discussions": "moderator",
    # Resources and the group's activity are every member's (Mobilizon: any member manages them).
    "view_resources": "member",
    "manage_resources": "member",
    "view_group_activity": "member",
}

DESCRIPTIONS: dict[str, str] = {
    "view_group_dashboard": "see this group's dashboard",
    "view_members": "see this group's members",
    "view_members_only_content": "see this group's members-only content",
    "create_event": "create events",
    "edit_event": "edit events",
    "create_post": "publish posts",
    "edit_post": "edit posts",
    "invite_member": "invite members",
    "review_join_request": "approve or reject join requests",
    "remove_member": "remove members",
    "change_role": "change members' roles",
    "appoint_administrator": "make someone an administrator",
    "edit_group": "change the group's settings",
    "upload_group_image": "change the group's images",
    "moderate_comments": "delete comments or close them on events",
    "manage_participants": "see and answer the participants of its events",
    "discuss": "read and write in this group's discussions",
    "moderate_discussions": "rename, close or delete discussions, or delete their replies",
    "view_resources": "see this group's resources",
    "manage_resources": "add, rename, move or delete this group's resources",
    "view_group_activity": "see this group's activity",
}


def rank(role: str | None) -> int:
    return ORDER.index(role) if role in ORDER else -1


def at_least(membership: Membership | None, role: str) -> bool:
    return membership is not None and rank(membership.role) >= rank(role)


def allowed(membership: Membership | None, action: str) -> bool:
    return at_least(membership, PERMISSIONS[action])


def authorize(membership: Membership | None, action: str) -> Membership:
    """The membership, when its role may do `action`; PermissionDenied otherwise."""
    if membership is None or not allowed(membership, action):
        role = PERMISSIONS[action]
        raise PermissionDenied(f"only a group {role} or above can {DESCRIPTIONS[action]}")
    return membership
