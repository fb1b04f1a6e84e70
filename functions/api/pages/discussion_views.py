"""The group dashboard's "latest discussions" block (the dashboard lives in pages/groups.py)."""

from __future__ import annotations

from affiche.domain import discussions
from affiche.domain.context import Ports
from affiche.domain.model import Actor, Discussion, Membership
from affiche.domain.roles import allowed

LATEST = 5


def latest_discussions(ports: Ports, group: str, mine: Membership) -> list[Discussion]:
    """The group's most recently active threads, as the viewer's member profile sees them."""
    me = ports.repo.get(Actor, mine.member)
    if me is None or not allowed(mine, "discuss"):
        return []
    return discussions.latest(ports, me, group, LATEST)
