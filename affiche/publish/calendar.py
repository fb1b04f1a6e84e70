"""iCalendar (RFC 5545) for one event, a group's events and the instance's events."""

from __future__ import annotations

from collections.abc import Iterable

from icalendar import Calendar, vText
from icalendar import Event as VEvent

from affiche.activitypub.vocabulary import Urls
from affiche.domain.model import Event
from affiche.domain.text import plain_text


def _vevent(urls: Urls, event: Event) -> VEvent:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(event.timezone)
    vevent = VEvent()
    vevent.add("uid", urls.event(event.uuid))
    vevent.add("summary", event.title)
    # Local wall-clock times with TZID, so calendars show the organiser's time zone correctly.
    vevent.add("dtstart", event.begins_on.astimezone(zone))
    vevent.add("dtend", event.ends_on.astimezone(zone))
    vevent.add("dtstamp", event.updated_at)
    vevent.add("created", event.created_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("url", urls.event(event.uuid))
    vevent.add("status", event.status.upper())
    description = plain_text(event.description_html)
    if event.online_url:
        description = f"{description}\n\n{event.online_url}".strip()
    if description:
        vevent.add("description", description)
    if event.place:
        vevent.add("location", vText(event.place.one_line()))
    elif event.online_url:
        vevent.add("location", vText(event.online_url))
    for tag in event.tags:
        vevent.add("categories", tag)
    if event.coordinates:
        vevent.add("geo", event.coordinates)  # RFC 5545 GEO: latitude;longitude
    return vevent


def calendar(urls: Urls, name: str, events: Iterable[Event]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//affiche//affiche//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(_vevent(urls, event))
    cal.add_missing_timezones()
    return cal.to_ical()
