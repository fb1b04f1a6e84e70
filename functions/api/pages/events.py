"""Taking part in an event. Participation (Join/Leave, capacity, approval) is a later issue:
until its domain service exists this page only says so, instead of a dead link on event pages."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain.errors import NotFound
from affiche.domain.model import Event
from functions.api.pages.common import html, member

router = APIGatewayHttpRouter()


@router.get("/app/events/<uuid>/participate", include_in_schema=False)
@html(router)
def participate(uuid: str) -> Response[str]:
    page = member(router)
    event = page.ports.repo.get(Event, uuid)
    if event is None or not event.is_public:
        raise NotFound(f"no event {uuid}")
    return page.render(
        "app/message.html", heading="Taking part is coming soon",
        paragraphs=[f"Registering for “{event.title}” from this site is not available yet.",
                    "Until then, follow the group to keep the event in your agenda."],
        links=[(f"/events/{uuid}/", "Back to the event"),
               (f"/app/groups/{event.group}/follow", "Follow the group")])
