"""The derived indexes publishing reads (tag_index.py, month_index.py), kept as each event
activity is published, before its pages are rendered, and repaired by every full build.

Both indexes' rows for one change, and the months of its tags' directory items, go out in one
TransactWriteItems (an ADD to a set needs an update, which BatchWriteItem cannot make): a publish
pays one write request for its indexes, whatever the number of tags.
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
    index_event(event, lost)
    month_index.left_behind(event, _month_before(event, previous), lost)


def index_event(event: Event, lost: list[str] | tuple[str, ...] = ()) -> None:
    """Write what the indexes hold of `event` (after a change that took `lost` tags from it)."""
    rows = tag_index.requests_for(event, lost) + month_index.requests_for(event)
    _transact([_transact_item(r) for r in rows] + tag_index.directory_updates(event))
    tag_index.left_without_rows(rows)


TRANSACTION_ITEMS = 100  # TransactWriteItems' limit
RETRIES = 5


def _transact_item(request: dict[str, Any]) -> dict[str, Any]:
    if "PutRequest" in request:
        return {"Put": {"Item": request["PutRequest"]["Item"]}}
    return {"Delete": {"Key": request["DeleteRequest"]["Key"]}}


def _transact(items: list[dict[str, Any]]) -> None:
    """Write `items` in transactions of at most 100 (each idempotent: a retried publish writes
    them again). Two publishes adding to one tag's directory item at once may cancel one
    transaction: it is sent again after a short wait."""
    from affiche.aws import client
    from affiche.config import get_settings
    from affiche.domain.retry import back_off
    from affiche.store.faults import lost_to_another_transaction

    ddb, table = client("dynamodb"), get_settings().table_name
    for start in range(0, len(items), TRANSACTION_ITEMS):
        chunk = [{kind: {**body, "TableName": table} for kind, body in item.items()}
                 for item in items[start:start + TRANSACTION_ITEMS]]
        for attempt in range(RETRIES):
            try:
                ddb.transact_write_items(TransactItems=chunk)
                break
            except ddb.exceptions.TransactionCanceledException as error:
                if attempt == RETRIES - 1 or not lost_to_another_transaction(error):
                    raise
                back_off(attempt)


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
