"""Events of remote groups our people follow, kept as a light cache for their agenda.

A remote event is an `Event` whose `uuid` is its ActivityPub id and whose `group` is the remote
group's id; `Event.listed` is false for it, so it never reaches a public page, tag or feed here.
Only what the agenda shows is kept (title, times, place, link, status); the description is
sanitised like everything else that comes from outside.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from affiche.activitypub.actors import _single_line
from affiche.domain.model import Event
from affiche.domain.text import sanitize

PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
MAX_CONTENT = 100_000  # characters of a remote description we keep (ours allow 50,000 of Markdown)
STATUSES = {"TENTATIVE": "tentative", "CONFIRMED": "confirmed", "CANCELLED": "cancelled"}


class NotAnEvent(ValueError):
    """The object cannot be read as an event (no id, no name or no start time)."""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _zone(value: Any) -> str:
    try:
        ZoneInfo(value)
    except (TypeError, ValueError, KeyError, OSError):
        return "UTC"
    return str(value)


def _address(location: Any) -> dict[str, str] | None:
    if isinstance(location, list):
        location = next((p for p in location if isinstance(p, dict)), None)
    if not isinstance(location, dict):
        return None
    found_address = location.get("address")
    postal: dict[str, Any] = found_address if isinstance(found_address, dict) else {}
    fields = {"name": location.get("name"), "street": postal.get("streetAddress"),
              "locality": postal.get("addressLocality"), "postal_code": postal.get("postalCode"),
              "region": postal.get("addressRegion"), "country": postal.get("addressCountry")}
    found = {k: _single_line(v, 200) for k, v in fields.items() if _single_line(v, 200)}
    for key in ("latitude", "longitude"):
        if isinstance(location.get(key), int | float):
            found[key] = str(location[key])
    return found or None


def _audience(obj: dict[str, Any]) -> str:
    def as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    if PUBLIC & set(map(str, as_list(obj.get("to")))):
        return "public"
    if PUBLIC & set(map(str, as_list(obj.get("cc")))):
        return "unlisted"
    return "private"


def event_from_object(obj: dict[str, Any], group: str, now: datetime) -> Event:
    """Our cached copy of a remote `Event` object published by the remote group `group`."""
    event_id, title, begins = obj.get("id"), _single_line(obj.get("name"), 200), _time(
        obj.get("startTime"))
    if not isinstance(event_id, str) or not event_id.startswith(("https://", "http://")):
        raise NotAnEvent("the event has no id")
    if not title or begins is None:
        raise NotAnEvent("the event has no name or no start time")
    ends = _time(obj.get("endTime"))
    ends = ends if ends is not None and ends > begins else begins + timedelta(hours=1)
    content = obj.get("content")
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    return Event(uuid=event_id, group=group, organizer=str(obj.get("attributedTo") or group),
                 title=title, begins_on=begins, ends_on=ends, timezone=_zone(obj.get("timezone")),
                 created_at=now, updated_at=now,
                 description_html=sanitize(content[:MAX_CONTENT]) if isinstance(
                     content, str) else "",
                 online_url=url if url and url != event_id else None,
                 address=_address(obj.get("location")), visibility=(
                     "unlisted" if _audience(obj) != "private" else "private"),
                 status=STATUSES.get(str(obj.get("status", "")).upper(), "confirmed"))
