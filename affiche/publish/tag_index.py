"""Each tag's listed events by start time: what a tag page shows, read in two requests at any size.

Tag pages used to pick their events out of the 50 soonest of the instance, so with 2,000 events
`/tags/music/` showed 4 of 389 and a tag whose events all came later lost its page. Now one row per
(listed event, tag) sits in gsi2 under `TAG#{tag}` by the event's start (keys.py), and the page
reads its first rows with one Query and the events with one BatchGetItem.

The rows are derived data, kept by the outbox as it publishes each event activity (the activity
names the event's tags and, after an edit, the ones it lost), and checked by every full build,
which writes any that are missing (data from before the index, or a publish that failed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from affiche.domain.model import Activity, Event

KIND = "tag_entry"
PAGE = 50  # events a tag page lists, soonest first (as the home page)


def row_key(uuid: str, tag: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EVENT#{uuid}"}, "sk": {"S": f"TAG#{tag}"}}


def _row(event: Event, tag: str) -> dict[str, dict[str, str]]:
    return {**row_key(event.uuid, tag), "kind": {"S": KIND}, "gsi2pk": {"S": f"TAG#{tag}"},
            "gsi2sk": {"S": f"{event.begins_on.isoformat()}#{event.uuid}"}}


def requests_for(event: Event, lost: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The writes that make the index agree with `event`: a row per tag while it is listed,
    none for the tags it lost or once it is unlisted, private, a draft or deleted."""
    keep = set(event.tags) if event.listed and not event.is_remote else set()
    gone = (set(lost) | set(event.tags)) - keep
    return ([{"PutRequest": {"Item": _row(event, tag)}} for tag in sorted(keep)]
            + [{"DeleteRequest": {"Key": row_key(event.uuid, tag)}} for tag in sorted(gone)])


def record(activity: Activity) -> None:
    """Index the event of an event activity (the outbox, before it renders the tag pages)."""
    if activity.object_kind != "event":
        return
    snapshot = dict(activity.object)
    lost = [str(t) for t in snapshot.pop("previous_tags", [])]
    snapshot.pop("previous_begins_on", None)
    event = Event.from_dict(snapshot)
    write(requests_for(event, lost))


def write(requests: list[dict[str, Any]]) -> None:
    from affiche.aws import client
    from affiche.config import get_settings

    ddb, table = client("dynamodb"), get_settings().table_name
    for start in range(0, len(requests), 25):  # BatchWriteItem takes at most 25
        batch: dict[str, Any] = {table: requests[start:start + 25]}
        while batch:
            batch = ddb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}


def upcoming_tagged(store: Any, tag: str, now: datetime, limit: int = PAGE) -> list[Event]:
    """The listed events carrying `tag` that begin at or after `now`, soonest first. `store` is
    a DynamoRepository or the full build's SnapshotStore (same model interface)."""
    from affiche.store.repository import from_item

    model = store.model
    rows = list(model.gsi2.query(f"TAG#{tag}", model.gsi2sk >= now.isoformat(), limit=limit))
    if not rows:
        return []
    found = {}
    for item in model.batch_get([(f"EVENT#{r.gsi2sk.split('#', 1)[1]}", "A") for r in rows]):
        event = from_item(item)
        if isinstance(event, Event):
            found[event.uuid] = event
    events = [found.get(r.gsi2sk.split("#", 1)[1]) for r in rows]
    # A row a failed publish left behind is no reason to list an event that lost the tag.
    return [e for e in events if isinstance(e, Event) and e.listed and tag in e.tags
            and e.begins_on >= now]


def missing(store: Any) -> list[dict[str, Any]]:
    """Rows the full build's snapshot lacks for its listed events (and rows to drop)."""
    from affiche.domain.model import Event as EventKind

    have = {(i.pk, i.sk): i.gsi2sk for i in store.model.scan(store.model.kind == KIND)}
    wanted: dict[tuple[str, str], str] = {}
    for event in store.all_of_kind(EventKind.kind):
        if event.listed:
            for tag in event.tags:
                wanted[(f"EVENT#{event.uuid}", f"TAG#{tag}")] = (
                    f"{event.begins_on.isoformat()}#{event.uuid}")
    puts = [{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "kind": {"S": KIND},
                                     "gsi2pk": {"S": sk}, "gsi2sk": {"S": when}}}}
            for (pk, sk), when in sorted(wanted.items()) if have.get((pk, sk)) != when]
    drops = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
             for pk, sk in sorted(set(have) - set(wanted))]
    return puts + drops
