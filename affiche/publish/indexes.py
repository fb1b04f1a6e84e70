"""The derived indexes publishing reads (tag_index.py, month_index.py), kept as each event
activity is published, before its pages are rendered, and repaired by every full build.

Both indexes' rows for one change go out in one BatchWriteItem: a publish pays one write request
for its indexes, whatever the number of tags.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from affiche.domain.model import Activity, Event
from affiche.publish import month_index, tag_index


def record(activity: Activity) -> None:
    """Make the indexes agree with the event of an event activity."""
    if activity.object_kind != "event":
        return
    snapshot = dict(activity.object)
    lost = [str(t) for t in snapshot.pop("previous_tags", [])]
    previous = snapshot.pop("previous_begins_on", None)
    event = Event.from_dict(snapshot)
    tag_index.write(tag_index.requests_for(event, lost) + month_index.requests_for(event))
    month_index.left_behind(event, _month_before(event, previous), lost)


def _month_before(event: Event, previous: Any) -> tuple[int, int]:
    """The local month the event was in before the change (its start before a move)."""
    begins = datetime.fromisoformat(str(previous)) if previous else event.begins_on
    local = begins.astimezone(ZoneInfo(event.timezone or "UTC"))
    return local.year, local.month


def repairs(store: Any) -> list[dict[str, Any]]:
    """What a full build writes: rows its snapshot lacks, rows nothing justifies any more."""
    return tag_index.missing(store) + month_index.missing(store)


def write(requests: list[dict[str, Any]]) -> None:
    tag_index.write(requests)
