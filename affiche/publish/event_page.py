"""What an event page shows beyond the event itself, computed once for the static page (the
renderer) and for the members' page of a private event or a draft (the API function).

Whether the page offers to take part is decided here: never for a cancelled event nor one that
is over; an event with external registration links there instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from affiche.domain.event_fields import ACCESSIBILITY_NAMES, category_name
from affiche.domain.event_lifecycle import open_for_participation
from affiche.domain.model import Event

OSM_ZOOM = 17


def map_url(event: Event) -> str | None:
    """A plain link to OpenStreetMap at the event's coordinates: nothing is fetched from a
    third party while the page loads."""
    where = event.coordinates
    if where is None:
        return None
    lat, lon = (f"{value:.6f}".rstrip("0").rstrip(".") for value in where)
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map={OSM_ZOOM}/{lat}/{lon}"


def call_to_action(event: Event, now: datetime) -> dict[str, str] | None:
    """The page's invitation to take part, or None when there is nothing left to join."""
    if not open_for_participation(event, now):
        return None
    if event.join_mode == "external" and event.external_url:
        return {"href": event.external_url, "label": "Register on the organiser's site"}
    return {"href": f"/app/events/{event.uuid}/participate", "label": "Participate"}


def event_page_context(event: Event, now: datetime) -> dict[str, Any]:
    over = event.is_over(now)
    return {
        "over": over,
        "cta": call_to_action(event, now),
        "map_url": map_url(event),
        "category_label": category_name(event.category) if event.category else None,
        "accessibility_labels": [ACCESSIBILITY_NAMES[a] for a in event.accessibility
                                 if a in ACCESSIBILITY_NAMES],
    }
