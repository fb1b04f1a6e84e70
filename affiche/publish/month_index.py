"""Each group's and each tag's months that hold a listed event: what their archive pages and
sitemaps link, read in one Query at any size.

The year page `/@{group}/events/{yyyy}/` links the months holding a listed event, the group page
and the sitemaps the years. They used to find them by reading the date index: the first and last
events, then one short read per month of each year (14 Queries per publish for a group spanning
a year, more as it spans more), so a publish cost more as the group grew older. Now one row per
(group, month) sits in the group's own partition `MONTHS#{group}` (sort key `yyyy-mm`, the local
month of the event's start, archive.local_month), and one Query reads them all. A tag keeps its
months in its directory item instead (tag_index.py), so a tag page, which a publish renders more
often than a group page, reads them with the publish's batch of single items.

The rows are derived data, kept like the tag index (tag_index.py) and written in the same batch:
the outbox puts the row of an event's month as it publishes a listed event (a put is idempotent,
so no read first); when a change takes an event out of a month (moved, unlisted, deleted) and the
month has no listed event left, the row goes. Every full build checks them (`missing`) and writes
what a failed publish, or data from before the index, left out.
"""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Event
from affiche.publish.archive import local_month, month_bounds

KIND = "month_entry"


def partition(group: str) -> str:
    return f"MONTHS#{group}"


def _key(pk: str, year: int, month: int) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": f"{year:04d}-{month:02d}"}}


def _partitions(event: Event) -> list[str]:
    """Where the event's month is listed while it is listed: its group's."""
    if not event.listed or event.is_remote:
        return []
    return [partition(event.group)]


def requests_for(event: Event) -> list[dict[str, Any]]:
    """The rows of the event's month while it is one of the listed events."""
    year, month = local_month(event)
    return [{"PutRequest": {"Item": {**_key(pk, year, month), "kind": {"S": KIND}}}}
            for pk in _partitions(event)]


def months(store: Any, group: str) -> list[tuple[int, int]]:
    """The (year, month) pairs of the group holding a listed event, oldest first: one Query.
    `store` is a DynamoRepository or the full build's SnapshotStore."""
    return _months(store, partition(group))


def _months(store: Any, pk: str) -> list[tuple[int, int]]:
    found = []
    for item in store.model.query(pk):
        year, month = item.sk.split("-")
        found.append((int(year), int(month)))
    return sorted(found)


def left_behind(event: Event, before: tuple[int, int], lost_tags: list[str]) -> None:
    """Drop the row of the month the event was in before the change (`before`) for its group,
    and the month from the directory item of each tag it had, when that month holds no listed
    event of it any more: a move, an unlisting, a deletion or a lost tag emptied it. A publish
    that leaves the event in its month with its tags reads nothing."""
    if event.is_remote:
        return
    stays = event.listed and local_month(event) == before
    emptied: list[str] = []
    from affiche.store.repository import DynamoRepository

    repo = DynamoRepository()
    start, end = month_bounds(*before)
    if not stays and not any(e.listed and local_month(e) == before
                             for e in repo.events_of_group_between(event.group, start, end)):
        emptied.append(partition(event.group))
    from affiche.publish import tag_index

    for tag in sorted(set(lost_tags) | (set() if stays else set(event.tags))):
        if not any(r.year == f"{before[0]:04d}" and r.month == f"{before[1]:02d}"
                   for r in tag_index.rows_between(repo, tag, start, end)):
            tag_index.forget_month(tag, *before)
    if emptied:
        from affiche.aws import client
        from affiche.config import get_settings

        ddb, table = client("dynamodb"), get_settings().table_name
        for pk in emptied:
            ddb.delete_item(TableName=table, Key=_key(pk, *before))


def missing(store: Any) -> list[dict[str, Any]]:
    """Rows the full build's snapshot lacks for its listed events, and rows of months that hold
    none any more (and the rows tags had before their months moved to tag_index's directory)."""
    have = {(i.pk, i.sk) for i in store.model.scan(store.model.kind == KIND)}
    wanted: set[tuple[str, str]] = set()
    for event in store.all_of_kind(Event.kind):
        for request in requests_for(event):
            item = request["PutRequest"]["Item"]
            wanted.add((item["pk"]["S"], item["sk"]["S"]))
    puts = [{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "kind": {"S": KIND}}}}
            for pk, sk in sorted(wanted - have)]
    drops = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
             for pk, sk in sorted(have - wanted)]
    return puts + drops
