"""Checks for the event editor's fields: category, accessibility, place and coordinates, dates.

Kept apart from events.py (the services) so the lists a form shows (categories, flags, zones)
and the rules that refuse bad input are read in one place. Everything here is pure.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from affiche.domain import rules
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Address

# Mobilizon 5.x's event categories (lib/mobilizon/events/categories.ex), same spelling on the
# wire ("category" of an Event), so a federated event keeps its category both ways.
CATEGORIES = (
    "ARTS", "BOOK_CLUBS", "BUSINESS", "CAUSES", "COMEDY", "CRAFTS", "FOOD_DRINK", "HEALTH",
    "MUSIC", "AUTO_BOAT_AIR", "COMMUNITY", "FAMILY_EDUCATION", "FASHION_BEAUTY", "FILM_MEDIA",
    "GAMES", "LANGUAGE_CULTURE", "LEARNING", "LGBTQ", "MOVEMENTS_POLITICS", "NETWORKING",
    "PARTY", "PERFORMING_VISUAL_ARTS", "PETS", "PHOTOGRAPHY", "OUTDOORS_ADVENTURE",
    "SPIRITUALITY_RELIGION_BELIEFS", "SCIENCE_TECH", "SPORTS", "THEATRE", "MEETING",
)
# Mobilizon's accessibility metadata (mz:accessibility:wheelchairAccessible,
# mz:accessibility:live:sign_language, mz:accessibility:subtitles), as flags.
ACCESSIBILITY = ("wheelchair", "sign_language", "subtitles")
ACCESSIBILITY_NAMES = {"wheelchair": "Wheelchair accessible",
                       "sign_language": "Sign language interpretation",
                       "subtitles": "Subtitles"}
# An event without a zone takes its group's (Actor.timezone), else the instance's default, UTC.
DEFAULT_TIMEZONE = "UTC"
# Far enough for any real calendar; near year 1 or 9999 converting a wall-clock time to UTC
# overflows datetime (OverflowError), and the archive pages are per year.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000
MAX_CONTACTS = 10
ADDRESS_TEXT = ("name", "street", "locality", "postal_code", "region", "country")


def category_name(category: str) -> str:
    return category.replace("_", " ").title().replace("Lgbtq", "LGBTQ")


def line(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    """Single-line text: no newlines nor control characters (they break headers, ICS, feeds)."""
    return rules.line(value, field, max_length=max_length, required=required)


def category(value: str | None) -> str | None:
    if not value:
        return None
    return rules.choice(value.strip().upper(), "category", CATEGORIES)


def accessibility(flags: list[str]) -> list[str]:
    for flag in flags:
        rules.choice(flag, "accessibility", ACCESSIBILITY)
    return [flag for flag in ACCESSIBILITY if flag in flags]


def _coordinate(value: Any, field: str, limit: float) -> float | None:
    if value is None or value == "":
        return None
    word = field.rsplit(".", 1)[-1]  # the message is read next to the "Latitude" field too
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{word} must be a number", field=field) from error
    if isinstance(value, bool) or not math.isfinite(number) or not -limit <= number <= limit:
        raise InvalidInput(f"{word} must be between -{limit:g} and {limit:g}", field=field)
    return number


def address(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored form of a place: its non-empty text parts, and both coordinates or none."""
    if not data:
        return None
    unknown = set(data) - (set(Address().to_dict()) - {"version"})
    if unknown:
        raise InvalidInput(f"address has unknown fields: {', '.join(sorted(unknown))}",
                           field="address")
    place: dict[str, Any] = {}
    for key in ADDRESS_TEXT:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"address.{key} must be text", field=f"address.{key}")
        if value:
            place[key] = line(value, f"address.{key}", max_length=200, required=False)
    lat = _coordinate(data.get("latitude"), "address.latitude", 90)
    lon = _coordinate(data.get("longitude"), "address.longitude", 180)
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="address")
    if lat is not None:
        place.update(latitude=lat, longitude=lon)
    return {k: v for k, v in place.items() if v not in ("", None)} or None


def timezone_name(value: str | None) -> str:
    name = (value or "").strip() or DEFAULT_TIMEZONE
    rules.timezone(name)
    return name


def moment(value: str, field: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 time (wall-clock in `zone` without offset) as UTC, within the years we take."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be an ISO 8601 date and time", field=field)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(f"{field} must be an ISO 8601 date and time", field=field) from error
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise InvalidInput(f"{field} must be between the years {EARLIEST_YEAR} and "
                           f"{LATEST_YEAR}", field=field)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def wall_clock(when: datetime, zone: str) -> str:
    """`when` as the editor shows it: local time in `zone`, minutes, no offset."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
