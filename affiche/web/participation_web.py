"""What the participation routes and pages share: rate limits of anonymous participation, the
private calendar link and its ICS answer (one application layer, two faces)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from affiche.config import get_settings
from affiche.domain.model import Actor, Event
from affiche.web import ratelimit

ANONYMOUS_PER_ADDRESS = ratelimit.Limit("anon-participation", 20, 3600)
ANONYMOUS_PER_EMAIL = ratelimit.Limit("anon-participation-email", 5, 3600)


def limit_anonymous(address: str, email: str) -> None:
    """Count one anonymous participation attempt; RateLimited past either limit."""
    ratelimit.hit(ANONYMOUS_PER_ADDRESS, address)
    ratelimit.hit(ANONYMOUS_PER_EMAIL, email)


def feed_url(secret: str) -> str:
    return f"{get_settings().public_url}/api/feeds/{secret}.ics"


def calendar_response(profile: Actor, events: list[Event]) -> Response[str]:
    # icalendar costs a cold start dearly; only the feed route needs it.
    from affiche.activitypub.vocabulary import Urls
    from affiche.publish import calendar

    body = calendar.calendar(Urls(get_settings().public_url),
                             f"{profile.display_name} (@{profile.name})", events)
    # Private and personal: no shared cache may keep it.
    return Response(status_code=200, content_type="text/calendar; charset=utf-8",
                    body=body.decode(), headers={"Cache-Control": "private, no-store"})
