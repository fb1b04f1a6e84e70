"""Each tag's listed events by start time: what a tag page shows, read in two requests at any size.

Tag pages used to pick their events out of the 50 soonest of the instance, so with 2,000 events
`/tags/music/` showed 4 of 389 and a tag whose events all came later lost its page. Now one row per
(listed event, tag) sits in gsi2 under `TAG#{tag}` by the event's start (keys.py), and the page
reads its rows with one Query and the events it shows with one BatchGetItem.

Each row also carries its event's local month (the sort key ends in it), so the tag page links
one archive page per year (`/tags/{tag}/{yyyy}/`, like a group's) and each year page one page per
month (`/tags/{tag}/{yyyy}/{mm}/`) from the rows alone: every listed event with the tag is
reachable at any size, a page reads the events it lists and no more, and a change touches the tag
page and the year and month pages of the event (before and after an edit), never the others.

A directory item per tag that has rows (`TAGS` / `TAG#{tag}`) lists the tags for `/tags/` and
the sitemap in one Query, whatever the number of events, and holds the tag's local months
("yyyy-mm") holding a listed event (a string set, `months`): the tag page links its years and
each year page its months from that one item, read with the other single items of a publish
(Renderer.prime) rather than by a Query of their own. Publishing adds the event's month with the
rows (indexes.py, one transaction: ADD never loses a concurrent publish's month), takes it away
when a change empties it (month_index.left_behind), and drops the item when a change takes away
the tag's last row.

The rows are derived data, kept by the outbox as it publishes each event activity (the activity
names the event's tags and, after an edit, the ones it lost), and checked by every full build,
which writes any that are missing (data from before the index, or a publish that failed).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from affiche.domain.model import Event
from affiche.publish.archive import local_month

KIND = "tag_entry"
DIRECTORY_KIND = "tag_name"
DIRECTORY = "TAGS"
PAGE = 50  # events a tag page lists, soonest first (as the home page)


def row_key(uuid: str, tag: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"EVENT#{uuid}"}, "sk": {"S": f"TAG#{tag}"}}


def sort_key(event: Event) -> str:
    """Start time first (the order pages list), then the uuid, then the local month."""
    year, month = local_month(event)
    return f"{event.begins_on.isoformat()}#{event.uuid}#{year}-{month:02d}"


@dataclass(frozen=True)
class Row:
    begins: str  # UTC start, ISO 8601: compared as text with another ISO time in UTC
    uuid: str
    year: str  # the event's local year and month (archive.local_month)
    month: str

    @classmethod
    def parse(cls, value: str) -> Row:
        begins, uuid, *rest = value.split("#")
        # Rows written before the local month was added: the UTC year and month (or the local
        # year alone), until a full build rewrites them.
        local = rest[0] if rest else begins[:7]
        return cls(begins, uuid, local[:4], local[5:7] or begins[5:7])


def directory_key(tag: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": DIRECTORY}, "sk": {"S": f"TAG#{tag}"}}


def _named(tag: str, months: set[str]) -> dict[str, Any]:
    """The whole directory item (full builds' repairs)."""
    item: dict[str, Any] = {**directory_key(tag), "kind": {"S": DIRECTORY_KIND}}
    if months:
        item["months"] = {"SS": sorted(months)}
    return {"PutRequest": {"Item": item}}


def _month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def directory_updates(event: Event) -> list[dict[str, Any]]:
    """Transaction items naming each tag of a listed event in the directory, with its month."""
    if not event.listed or event.is_remote:
        return []
    month = _month_text(*local_month(event))
    return [{"Update": {"Key": directory_key(tag),
                        "UpdateExpression": "SET #kind = :kind ADD #months :month",
                        "ExpressionAttributeNames": {"#kind": "kind", "#months": "months"},
                        "ExpressionAttributeValues": {":kind": {"S": DIRECTORY_KIND},
                                                      ":month": {"SS": [month]}}}}
            for tag in sorted(set(event.tags))]


def forget_month(tag: str, year: int, month: int) -> None:
    """Take a month that holds no listed event with the tag any more out of its directory item
    (unless the item went with the tag's last row)."""
    from affiche.aws import client
    from affiche.config import get_settings

    ddb = client("dynamodb")
    # No directory item: the tag has no row left, and no month to take out.
    with suppress(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(TableName=get_settings().table_name, Key=directory_key(tag),
                        UpdateExpression="DELETE #months :month",
                        ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeNames={"#months": "months"},
                        ExpressionAttributeValues={":month": {"SS": [_month_text(year, month)]}})


def months(store: Any, tag: str) -> list[tuple[int, int]]:
    """The (year, month) pairs holding a listed event with the tag, oldest first, from its
    directory item. `store` is a DynamoRepository or the full build's SnapshotStore."""
    try:
        item = store.model.get(DIRECTORY, f"TAG#{tag}")
    except store.model.DoesNotExist:
        return []
    return months_in(item.months)


def months_in(values: Any) -> list[tuple[int, int]]:
    """The (year, month) pairs of a directory item's `months` set (None when it has none)."""
    pairs = (str(value).split("-") for value in values or ())
    return sorted((int(year), int(month)) for year, month in pairs)


def _row(event: Event, tag: str) -> dict[str, dict[str, str]]:
    return {**row_key(event.uuid, tag), "kind": {"S": KIND}, "gsi2pk": {"S": f"TAG#{tag}"},
            "gsi2sk": {"S": sort_key(event)}}


def requests_for(event: Event, lost: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The writes that make the index agree with `event`: a row per tag while it is listed,
    none for the tags it lost or once it is unlisted, private, a draft or deleted."""
    keep = set(event.tags) if event.listed and not event.is_remote else set()
    gone = (set(lost) | set(event.tags)) - keep
    return ([{"PutRequest": {"Item": _row(event, tag)}} for tag in sorted(keep)]
            + [{"DeleteRequest": {"Key": row_key(event.uuid, tag)}} for tag in sorted(gone)])


def left_without_rows(requests: list[dict[str, Any]]) -> None:
    """Drop the directory entry of each tag that lost a row and has none left."""
    from affiche.aws import client
    from affiche.config import get_settings

    ddb, table = client("dynamodb"), get_settings().table_name
    # Only the rows of events (the batch may carry other indexes' rows: publish/indexes.py)
    lost = sorted({r["DeleteRequest"]["Key"]["sk"]["S"] for r in requests if "DeleteRequest" in r
                   and r["DeleteRequest"]["Key"]["pk"]["S"].startswith("EVENT#")})
    for sk in lost:
        left = ddb.query(TableName=table, IndexName="gsi2", Limit=1, Select="COUNT",
                         KeyConditionExpression="gsi2pk = :tag",
                         ExpressionAttributeValues={":tag": {"S": sk}})
        if not left.get("Count"):
            ddb.delete_item(TableName=table, Key={"pk": {"S": DIRECTORY}, "sk": {"S": sk}})


def names(store: Any) -> list[str]:
    """Every tag that has a page, in alphabetical order: one Query of the directory."""
    return [item.sk.split("#", 1)[1] for item in store.model.query(DIRECTORY)]


def write(requests: list[dict[str, Any]]) -> None:
    """Write index rows in BatchWriteItem requests (this index's and others', publish/indexes.py),
    then drop the directory entry of each tag left without rows."""
    from affiche.aws import client
    from affiche.config import get_settings

    ddb, table = client("dynamodb"), get_settings().table_name
    for start in range(0, len(requests), 25):  # BatchWriteItem takes at most 25
        batch: dict[str, Any] = {table: requests[start:start + 25]}
        while batch:
            batch = ddb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    left_without_rows(requests)


def rows(store: Any, tag: str) -> list[Row]:
    """Every row of `tag`, soonest first (the scheduled jobs and tests; pages read bounded
    slices: `upcoming_rows`, `rows_between`). `store` is a DynamoRepository or the full
    build's SnapshotStore."""
    return [Row.parse(r.gsi2sk) for r in store.model.gsi2.query(f"TAG#{tag}")]


def upcoming_rows(store: Any, tag: str, now: datetime, limit: int = PAGE) -> list[Row]:
    """The rows of the `limit` soonest events with `tag` beginning at or after `now`: one
    Query of at most `limit` rows, whatever the number the tag has."""
    found = store.model.gsi2.query(f"TAG#{tag}", store.model.gsi2sk >= now.isoformat(),
                                   limit=limit)
    return [Row.parse(r.gsi2sk) for r in found]


def rows_between(store: Any, tag: str, start: datetime, end: datetime) -> list[Row]:
    """The rows of the events with `tag` beginning in [start, end): a month page's."""
    found = store.model.gsi2.query(f"TAG#{tag}",
                                   store.model.gsi2sk.between(start.isoformat(), end.isoformat()))
    return [Row.parse(r.gsi2sk) for r in found]


def events_of(store: Any, tag: str, wanted: list[Row]) -> list[Event]:
    """The events of `wanted`, in its order, that still carry `tag` and are listed (one
    BatchGetItem per 100 rows)."""
    found = store.get_many(Event, [r.uuid for r in wanted])
    return listed_with(tag, [found.get(r.uuid) for r in wanted])


def listed_with(tag: str, events: list[Event | None]) -> list[Event]:
    """Those of `events` that still carry `tag` and are listed: a row a failed publish left
    behind is no reason to list an event that lost the tag."""
    return [e for e in events if isinstance(e, Event) and e.listed and tag in e.tags]


def missing(store: Any) -> list[dict[str, Any]]:
    """Rows and directory entries the full build's snapshot lacks for its listed events (and
    those to drop)."""
    from affiche.domain.model import Event as EventKind

    have = {(i.pk, i.sk): i.gsi2sk for i in store.model.scan(store.model.kind == KIND)}
    wanted: dict[tuple[str, str], str] = {}
    for event in store.all_of_kind(EventKind.kind):
        if event.listed and not event.is_remote:  # as requests_for: ours only
            for tag in event.tags:
                wanted[(f"EVENT#{event.uuid}", f"TAG#{tag}")] = sort_key(event)
    puts = [{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "kind": {"S": KIND},
                                     "gsi2pk": {"S": sk}, "gsi2sk": {"S": when}}}}
            for (pk, sk), when in sorted(wanted.items()) if have.get((pk, sk)) != when]
    drops = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
             for pk, sk in sorted(set(have) - set(wanted))]
    named = {item.sk: set(item.months or ()) for item in store.model.query(DIRECTORY)}
    used: dict[str, set[str]] = {}
    for event in store.all_of_kind(EventKind.kind):
        if event.listed and not event.is_remote:
            for tag in event.tags:
                used.setdefault(f"TAG#{tag}", set()).add(_month_text(*local_month(event)))
    names = [_named(sk.split("#", 1)[1], months) for sk, months in sorted(used.items())
             if named.get(sk) != months]
    unused = [{"DeleteRequest": {"Key": {"pk": {"S": DIRECTORY}, "sk": {"S": sk}}}}
              for sk in sorted(set(named) - set(used))]
    return puts + drops + names + unused
