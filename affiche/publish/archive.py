"""A group's past events: the few recent ones its page lists, and static archive pages: one per
month holding its events (/@{group}/events/{yyyy}/{mm}/, with the sitemap of those events), and
one per year linking its months that have one (/@{group}/events/{yyyy}/). A month page is touched
only by activities about events of that month (artifacts.touched_by), so publishing an event
re-renders a page as long as a month's events, whatever the size of the group, and never shifts
the pages of other months.

An event belongs to the year of its start in its own time zone (a New Year's party in Auckland
is in the year its guests say). Queries run on the UTC start times the store keeps, with a day
of margin either side, then filter on the local year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from affiche.domain.model import Event

RECENT_PAST = 5
MARGIN = timedelta(days=1)


def local_year(event: Event) -> int:
    return event.begins_on.astimezone(ZoneInfo(event.timezone)).year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """UTC bounds wide enough to hold every event whose local start is in `year`."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    return start - MARGIN, end + MARGIN


def local_month(event: Event) -> tuple[int, int]:
    begins = event.begins_on.astimezone(ZoneInfo(event.timezone))
    return begins.year, begins.month


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """UTC bounds wide enough to hold every event whose local start is in that month."""
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start - MARGIN, end + MARGIN


def months_of(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    """The archive months (year, "mm") an event activity touches, as `years_of` the years."""
    months = []
    for field in ("begins_on", "previous_begins_on"):
        value = snapshot.get(field)
        if value:
            begins = datetime.fromisoformat(str(value))
            local = begins.astimezone(ZoneInfo(str(snapshot.get("timezone") or "UTC")))
            months.append((str(local.year), f"{local.month:02d}"))
    return list(dict.fromkeys(months))


def years_of(snapshot: dict[str, Any]) -> list[str]:
    """The archive years an event activity touches: the event's year now, and its year before
    the change when an edit moved it (activities carry `previous_begins_on` for that)."""
    years = []
    for field in ("begins_on", "previous_begins_on"):
        value = snapshot.get(field)
        if value:
            begins = datetime.fromisoformat(str(value))
            zone = ZoneInfo(str(snapshot.get("timezone") or "UTC"))
            years.append(str(begins.astimezone(zone).year))
    return list(dict.fromkeys(years))
