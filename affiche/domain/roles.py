"""Group roles, ordered as Mobilizon orders them, and what each may do."""

from __future__ import annotations

from affiche.domain.errors import PermissionDenied
from affiche.domain.model import Membership

# Pending or refused states first; a higher index can do everything a lower one can.
ORDER = ("rejected", "not_approved", "invited", "member", "moderator", "administrator", "creator")
MEMBER_ROLES = {"member", "moderator", "administrator", "creator"}


def rank(role: str | None) -> int:
    return ORDER.index(role) if role in ORDER else -1


def at_least(membership: Membership | None, role: str) -> bool:
    return membership is not None and rank(membership.role) >= rank(role)


def require(membership: Membership | None, role: str, action: str) -> Membership:
    if membership is None or not at_least(membership, role):
        raise PermissionDenied(f"only a group {role} or above can {action}")
    return membership
