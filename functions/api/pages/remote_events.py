"""Taking part in an event of another server from my agenda (/app/remote-events?uri=...).

The agenda at /app/ lists events of remote groups our people follow; this page shows one of them
with where I stand (pending / going / declined) and the Participate / Leave forms. The use cases
are affiche.domain.remote_event_participation; the Join and Leave go out through the fan-out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import remote_event_participation as remote_join
from affiche.domain.errors import NotFound
from affiche.domain.model import Actor, Event
from affiche.domain.participation import participation_of
from affiche.domain.profiles import acting_profile
from functions.api.pages.common import Page, html, member

router = APIGatewayHttpRouter()


def page_url(uri: str) -> str:
    return "/app/remote-events?uri=" + quote(uri, safe="")


def _event(page: Page, uri: str) -> Event:
    event = remote_join.remote_event(page.ports, uri)
    # Members-only copies never reach the agenda; neither does this page show them.
    if not event.is_public:
        raise NotFound("no event of another server with this address is in your agenda")
    return event


def _context(page: Page, event: Event, profile: Actor) -> dict[str, Any]:
    taken = participation_of(page.ports, event.uuid, profile.name)
    group = page.ports.repo.get(Actor, event.group)
    return {"event": event, "group": group, "profile": profile, "participation": taken,
            "state": remote_join.STATE_NAMES.get(taken.role) if taken else None}


@router.get("/app/remote-events", include_in_schema=False)
@html(router)
def remote_event_page() -> Response[str]:
    page = member(router)
    event = _event(page, (page.query("uri") or "").strip())
    profile = acting_profile(page.ports, page.me, None)
    return page.render("app/remote_event.html", **_context(page, event, profile))


def _answer(action: str) -> Response[str]:
    page = member(router)
    uri = page.form.get("uri")
    event = _event(page, uri)
    profile = acting_profile(page.ports, page.me, page.form.optional("profile"))
    with page.errors_in("app/remote_event.html", form="remote-event",
                        context=lambda: _context(page, event, profile)):
        if action == "join":
            remote_join.join(page.ports, profile, uri)
            flash = "Request sent: the organisers answer from their server."
        else:
            remote_join.leave(page.ports, profile, uri)
            flash = "You no longer take part in this event."
    return page.redirect(page_url(uri), flash=flash)


@router.post("/app/remote-events/participate", include_in_schema=False)
@html(router)
def participate() -> Response[str]:
    return _answer("join")


@router.post("/app/remote-events/leave", include_in_schema=False)
@html(router)
def leave() -> Response[str]:
    return _answer("leave")
