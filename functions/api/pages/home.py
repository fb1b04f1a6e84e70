"""My space (`/app/`): my groups, invitations waiting for me, and my agenda."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import follows, membership
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
            "members_events": hidden_events_of(page.ports, page.me)}


@router.get("/app/", include_in_schema=False)
@html(router)
def home() -> Response[str]:
    page = member(router)
    return page.render("app/home.html", **home_context(page))

