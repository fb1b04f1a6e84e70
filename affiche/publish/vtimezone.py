"""VTIMEZONE components (RFC 5545 3.6.5) computed from the IANA database, one RDATE a line.

icalendar's `add_missing_timezones` lists every transition of an observance in one RDATE
property (`RDATE:19770403T030000,19780402T030000,...`); several calendar parsers read only its
first value, then keep standard time all year, and a July event in New York shows an hour off.
Here each observance (standard or daylight, with its offsets and abbreviation) has its first
onset as DTSTART and every later onset on an RDATE line of its own, which every parser reads.

The window covers the years of the calendar's events (from the January before the first to the
December after the last): the calendar's own times resolve with it, and the bytes depend only on
the events, so the full build and the incremental renderer write the same file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

STEP = timedelta(hours=12)  # no zone changes its offset twice within 12 hours


@dataclass(frozen=True)
class Onset:
    at: datetime  # the first instant (UTC) of the new offset
    before: timedelta  # offset in force until then
    after: timedelta
    name: str
    daylight: bool


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, str, bool]:
    local = instant.astimezone(zone)
    dst = local.dst()
    return local.utcoffset() or timedelta(0), local.tzname() or "", bool(dst)


def _first_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first second in (low, high] whose offset differs from low's (one change inside)."""
    start = _state(zone, low)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _state(zone, middle) == start:
            low = middle
        else:
            high = middle
    return high


def onsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[Onset]:
    """Every change of offset, name or daylight flag in [start, end) (aware UTC datetimes)."""
    found: list[Onset] = []
    previous = start
    state = _state(zone, start)
    while previous < end:
        following = min(previous + STEP, end)
        if _state(zone, following) != state:
            at = _first_change(zone, previous, following)
            new = _state(zone, at)
            found.append(Onset(at, state[0], new[0], new[1], new[2]))
            state = new
            previous = at
        else:
            previous = following
    return found


def _wall(at: datetime, offset: timedelta) -> datetime:
    """The onset as RFC 5545 wants it: local time in the offset in force before it, no zone."""
    return (at + offset).replace(tzinfo=None)


def vtimezone(name: str, years: Iterable[int]) -> Timezone:
    """The VTIMEZONE of IANA zone `name` for the span of `years`."""
    zone = ZoneInfo(name)
    spread = sorted(set(years))
    start = datetime(spread[0] - 1, 1, 1, tzinfo=UTC)
    end = datetime(spread[-1] + 2, 1, 1, tzinfo=UTC)
    offset, tzname, daylight = _state(zone, start)
    # The observance in force when the window opens, so every instant in it has an offset.
    groups: dict[tuple[bool, str, timedelta, timedelta], list[datetime]] = {
        (daylight, tzname, offset, offset): [_wall(start, offset)]}
    for onset in onsets(zone, start, end):
        key = (onset.daylight, onset.name, onset.before, onset.after)
        groups.setdefault(key, []).append(_wall(onset.at, onset.before))
    tz = Timezone()
    tz.add("tzid", name)
    for (is_daylight, tzname, before, after), starts in sorted(
            groups.items(), key=lambda item: item[1][0]):
        observance = TimezoneDaylight() if is_daylight else TimezoneStandard()
        observance.add("dtstart", starts[0])
        for onset_at in starts[1:]:
            observance.add("rdate", onset_at)  # one property a line (module docstring)
        if tzname:
            observance.add("tzname", tzname)
        observance.add("tzoffsetfrom", before)
        observance.add("tzoffsetto", after)
        tz.add_component(observance)
    return tz
