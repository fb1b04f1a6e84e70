"""Pages that go stale with time alone, with no activity to re-render them: when an event
begins it leaves the "upcoming" listings (group page, home, /events/, feeds, tags) and enters
the group's past events; when it ends its page must say it is over and stop offering to take
part. A scheduled run (functions/outbox/clock.py, every CLOCK_MINUTES) renders exactly those
artifacts for the events that began or ended since the previous run; windows overlap a little,
and rendering is idempotent, so a late or repeated run does no harm.

Events of every visibility are found through the instance's index by start time (unlisted and
private ones too: an unlisted event's page must also stop offering to take part once it is over).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from affiche.domain.model import Event
from affiche.publish.artifacts import INSTANCE, Artifact

CLOCK_MINUTES = 15
WINDOW = timedelta(minutes=CLOCK_MINUTES + 5)
LONGEST = timedelta(days=31)  # events longer than this are not swept when they end
LIMIT = 1000


def _began(event: Event) -> list[Artifact]:
    return [("actor", event.group), *INSTANCE, *(("tag", t) for t in event.tags)]


def due(store: Any, since: datetime, until: datetime) -> list[Artifact]:
    """Artifacts of events that began or ended in (since, until], without duplicates."""
    planned: list[Artifact] = []
    for event in store.events_beginning_between(since - LONGEST, until + timedelta(seconds=1),
                                                LIMIT):
        if since < event.begins_on <= until and event.listed:
            planned += _began(event)
        if since < event.ends_on <= until:
            planned += [("event", event.uuid), ("actor", event.group)]
    return list(dict.fromkeys(planned))
