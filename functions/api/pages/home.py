"""My space (`/app/`): my groups, invitations waiting for me, and my agenda."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import discussions, follows, membership
from affiche.domain.model import Actor, Discussion, Membership, is_remote_name
from affiche.domain.roles import MEMBER_ROLES
from functions.api.pages.common import Page, html, member
from functions.api.pages.event_views import hidden_events_of
from functions.api.pages.views import COMMON, groups_by_name

router = APIGatewayHttpRouter()


def home_context(page: Page) -> dict[str, Any]:
    memberships = membership.groups_of(page.ports, page.me)
    return {"memberships": [m for m in memberships if m.role != "invited"],
            "invitations": [m for m in memberships if m.role == "invited"],
            "groups": groups_by_name(page.ports, memberships),
            "events": follows.upcoming_for(page.ports, page.me), **COMMON,
            "members_events": hidden_events_of(page.ports, page.me),
            "remote_threads": _remote_threads(page, memberships)}


def _remote_threads(page: Page, memberships: list[Membership]) -> list[Discussion]:
    """The latest threads of the groups of other servers I am a member of (our copies)."""
    found: list[Discussion] = []
    for item in memberships:
        if is_remote_name(item.group) and item.role in MEMBER_ROLES:
            me = page.ports.repo.get(Actor, item.member)
            if me is not None:
                found += discussions.latest(page.ports, me, item.group)
    return sorted(found, key=lambda d: d.last_reply_at, reverse=True)


@router.get("/app/", include_in_schema=False)
@html(router)
def home() -> Response[str]:
    page = member(router)
    return page.render("app/home.html", **home_context(page))

