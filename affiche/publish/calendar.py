"""iCalendar (RFC 5545) for one event, a group's events and the instance's events.

What calendar apps need to import an event right and keep it current: local times with a TZID
and a VTIMEZONE of one RDATE a line (vtimezone.py), a SEQUENCE that grows with every change
(Event.sequence) so a moved or cancelled event replaces the copy, STATUS:CANCELLED, one
CATEGORIES line, a plain-text DESCRIPTION, URL, LOCATION and GEO. icalendar escapes text
values (RFC 5545 3.3.11: commas, semicolons, backslashes, line breaks) and folds long lines.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC
from zoneinfo import ZoneInfo

from icalendar import Calendar, vText
from icalendar import Event as VEvent

from affiche.activitypub.vocabulary import Urls
from affiche.domain.model import Event
from affiche.domain.text import text_of
from affiche.publish.vtimezone import vtimezone

UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal",
             "Etc/Universal", "GMT", "Etc/GMT", "Etc/Greenwich", "Greenwich"}


def _zone(event: Event) -> ZoneInfo | None:
    """The event's zone, or None for UTC (written as UTC times, needing no VTIMEZONE)."""
    return None if event.timezone in UTC_NAMES else ZoneInfo(event.timezone)


def _vevent(urls: Urls, event: Event) -> VEvent:
    zone = _zone(event)
    vevent = VEvent()
    vevent.add("uid", urls.event(event.uuid))
    vevent.add("summary", event.title)
    # Local wall-clock times with TZID, so calendars show the organiser's time zone correctly.
    vevent.add("dtstart", event.begins_on.astimezone(zone or UTC))
    vevent.add("dtend", event.ends_on.astimezone(zone or UTC))
    vevent.add("dtstamp", event.updated_at.astimezone(UTC))
    vevent.add("created", event.created_at.astimezone(UTC))
    vevent.add("last-modified", event.updated_at.astimezone(UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("url", urls.event(event.uuid))
    vevent.add("status", event.status.upper())
    description = text_of(event.description_html)
    if event.online_url:
        description = f"{description}\n\n{event.online_url}".strip()
    if description:
        vevent.add("description", description)
    if event.place:
        vevent.add("location", vText(event.place.one_line()))
    elif event.online_url:
        vevent.add("location", vText(event.online_url))
    if event.tags:
        vevent.add("categories", list(event.tags))  # one property, comma-separated values
    if event.coordinates:
        vevent.add("geo", event.coordinates)  # RFC 5545 GEO: latitude;longitude
    return vevent


END = b"END:VCALENDAR\r\n"
# VEVENT blocks already written, by the event's whole state: a group's and the instance's feeds
# hold 50 events each, and a publish changes one of them. Serialising with icalendar costs about
# a millisecond an event; a warm outbox container writes the others from here.
_VEVENTS: OrderedDict[str, bytes] = OrderedDict()
VEVENTS_KEPT = 4096


def _vevent_ical(urls: Urls, event: Event) -> bytes:
    key = json.dumps([urls.base, event.to_dict()], sort_keys=True, default=str)
    found = _VEVENTS.get(key)
    if found is None:
        found = _VEVENTS[key] = _vevent(urls, event).to_ical()
        if len(_VEVENTS) > VEVENTS_KEPT:
            _VEVENTS.popitem(last=False)
    else:
        _VEVENTS.move_to_end(key)
    return found


def calendar(urls: Urls, name: str, events: Iterable[Event]) -> bytes:
    """The calendar's properties, its time zones, then its events: the same bytes icalendar
    writes for the whole Calendar (a component's text is its own lines between BEGIN and END)."""
    cal = Calendar()
    cal.add("prodid", "-//affiche//affiche//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    years: dict[str, set[int]] = {}
    vevents = []
    for event in events:
        zone = _zone(event)
        if zone is not None:
            years.setdefault(event.timezone, set()).update(
                (event.begins_on.astimezone(zone).year, event.ends_on.astimezone(zone).year))
        vevents.append(_vevent_ical(urls, event))
    for zone_name in sorted(years):
        cal.add_component(vtimezone(zone_name, years[zone_name]))
    head = cal.to_ical()
    return head[:-len(END)] + b"".join(vevents) + END
