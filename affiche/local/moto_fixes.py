"""A fix to moto's DynamoDB transactions, applied wherever we run moto (local runner, tests).

moto backs up every table a transaction touches with `copy.deepcopy(table)` so that it can roll
back: the whole table, stream records included, on every TransactWriteItems call. That is O(table)
time per write, and each copy is kept forever, because moto's BaseModel registers every instance
it creates (deepcopy included) in a class-level list. A long-running `affiche dev` or a long test
module therefore grows by megabytes per write until the machine kills it.

The fix keeps moto's transaction logic and replaces only the backup: before the transaction we
remember the items it names (by key) and the length of each table's stream; when the transaction
fails we put those items back and drop the stream records it appended. That is exactly the state
moto's full copy would restore, for a cost proportional to the transaction.

Further fixes keep moto's stream reader from accumulating shard iterators, answer a Query from
its partition, and cut the emulator's cost per request (see below)."""

from __future__ import annotations

import base64
import bisect
import copy
import json
import threading
import types
from typing import Any

_real_deepcopy = copy.deepcopy
_applied = False


def apply() -> None:
    """Install the fix once per process (idempotent)."""
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as ddb
    from moto.dynamodb.models.table import Table

    def deepcopy_except_tables(value: Any, memo: Any = None) -> Any:
        # The transaction's "backup" becomes the live table itself: restoring it is a no-op,
        # and our own keyed snapshot (below) does the real rollback.
        return value if isinstance(value, Table) else _real_deepcopy(value, memo)

    ddb.copy = types.SimpleNamespace(deepcopy=deepcopy_except_tables)  # type: ignore[assignment]
    original = ddb.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshot = _snapshot(self, transact_items)
        try:
            original(self, transact_items)
        except BaseException:
            _restore(snapshot)
            raise

    ddb.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _keep_one_stream_iterator()
    _query_one_partition(ddb)
    _serialize_items_as_json()
    _list_moto_modules_once()
    _applied = True


_writes = [0]  # every write to any table bumps it: partition maps built before are stale
_query_lock = threading.Lock()


def _query_one_partition(ddb: Any) -> None:
    """moto answers every Query by sorting every item of the table, then keeping one partition:
    O(table) per query, so publishing slowed down in proportion to the instance (2,000 events:
    seconds per page) while DynamoDB reads only the partition. Queries now see only the items
    of their partition: the table's own map for the primary key, and a map per index built once
    after each write (moto's sorting and filtering are unchanged)."""
    from moto.dynamodb.models.table import Table

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        _count_writes(ddb.DynamoDBBackend, name)
    original_query = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        items = _partition(self, index_name, hash_key, kwargs.get("hash_key_conditions"))
        if items is None:
            return original_query(self, hash_key, *args, **kwargs)
        if window[0]:
            conditions = kwargs.get("hash_key_conditions")
            value = conditions[0][1] if conditions else hash_key
            items = _window(self, (index_name, repr(value)), items, args, kwargs)
        with _query_lock:
            self.all_items = lambda: items  # only for this call: moto reads it once
            _answering.query = True
            try:
                return original_query(self, hash_key, *args, **kwargs)
            finally:
                _answering.query = False
                del self.all_items

    Table.query = query  # type: ignore[method-assign]
    _answer_without_copies()
    _sizes_once_per_write()


_answering = threading.local()


def _answer_without_copies() -> None:
    """moto deep-copies every item a Query evaluates before its FilterExpression drops most of
    them (the members' agenda evaluates a group's 2,000 public events to find its few private
    ones). The copy guards against callers changing the items; a Query's are only serialised
    into the answer (projections make new items), so within a Query it is skipped."""
    import moto.dynamodb.models.table as table_module

    real = table_module.copy

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if getattr(_answering, "query", False):
            return value
        return real.deepcopy(value, memo)

    table_module.copy = types.SimpleNamespace(  # type: ignore[assignment]
        deepcopy=deepcopy, copy=real.copy)


def _sizes_once_per_write() -> None:
    """An item's size (for a Query's 1 MB page limit) walks every attribute; a listing's pages
    and the listings of one publish size the same items again. Sizes a Query computes are kept
    until the next write (writes size their items afresh: they may change them meanwhile)."""
    from moto.dynamodb.models.dynamo_type import Item

    real = Item.size
    cache: dict[str, Any] = {"writes": -1, "sizes": {}}

    def size(self: Any) -> int:
        if not getattr(_answering, "query", False):
            return int(real(self))
        if cache["writes"] != _writes[0]:
            cache["writes"], cache["sizes"] = _writes[0], {}
        sizes: dict[int, int] = cache["sizes"]
        if id(self) not in sizes:
            sizes[id(self)] = int(real(self))
        return sizes[id(self)]

    Item.size = size  # type: ignore[method-assign]


window = [True]  # tests turn it off to compare with moto's answer from the whole partition
_BOUNDS = {"EQ", "LT", "LE", "GT", "GE", "BETWEEN", "BEGINS_WITH"}
_OPERATORS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE", "between": "BETWEEN",
              "begins_with": "BEGINS_WITH"}


def _window(table: Any, partition: tuple[str | None, str], items: list[Any],
            args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The part of a partition a Query can reach: the items its sort key condition keeps, from
    its ExclusiveStartKey on, and no more than its Limit (with every item sharing a sort key
    value at either end, whose order moto decides). DynamoDB reads only those; moto sorted and
    sized the whole partition on every page (a group with 2,000 events: 0.1 s per Query, most of
    a publish). moto then answers from this window exactly as from the whole partition."""
    comparison, bounds, limit, start, forward = (list(args[:5]) + [None] * 5)[:5]
    comparison = _OPERATORS.get(comparison, comparison)
    conditions = kwargs.get("range_key_conditions") or []
    if (len(args) < 5 or len(conditions) > 1 or comparison not in _BOUNDS | {None}
            or set(kwargs) - {"index_name", "hash_key_conditions", "range_key_conditions"}):
        return items  # a legacy QueryFilter, or a key this table does not have: moto's way
    attr = _range_attr(table, partition[0])
    if attr is None:
        return items
    try:
        rows, keys = _sorted(table, partition, attr, items)
        lo, hi = _bounds(keys, comparison, [b.cast_value for b in bounds or []])
        if start is not None and attr in start:
            from moto.dynamodb.models.dynamo_type import DynamoType

            after = DynamoType(start[attr]).cast_value
            lo, hi = ((max(lo, bisect.bisect_left(keys, after)), hi) if forward is not False
                      else (lo, min(hi, bisect.bisect_right(keys, after))))
            ties = bisect.bisect_right(keys, after) - bisect.bisect_left(keys, after)
        else:
            ties = 0
        if limit:
            if forward is not False and lo + limit + ties < hi:
                hi = bisect.bisect_right(keys, keys[lo + limit + ties - 1])
            elif forward is False and hi - limit - ties > lo:
                lo = bisect.bisect_left(keys, keys[hi - limit - ties])
        # And the item after the window, in or out of the condition: moto looks at it before
        # it stops, and gives a LastEvaluatedKey only when there is one.
        if forward is not False and hi < len(keys):
            hi = bisect.bisect_right(keys, keys[hi])
        elif forward is False and lo > 0:
            lo = bisect.bisect_left(keys, keys[lo - 1])
    except TypeError:  # sort key values of mixed types: let moto compare them its own way
        return items
    return [row[2] for row in rows[lo:hi]]


def _sorted(table: Any, partition: tuple[str | None, str], attr: str,
            items: list[Any]) -> tuple[list[tuple[Any, int, Any]], list[Any]]:
    """The partition in sort key order, with its keys: kept until the next write, since the
    pages of one listing (and the listings of one publish) read the same partitions."""
    cache = table.__dict__.get("_affiche_sorted")
    if cache is None or cache[0] != _writes[0]:
        cache = (_writes[0], {})
        table.__dict__["_affiche_sorted"] = cache
    name = (*partition, attr)
    if name not in cache[1]:
        rows = sorted((item.attrs[attr].cast_value, n, item) for n, item in enumerate(items)
                      if attr in item.attrs)
        cache[1][name] = (rows, [row[0] for row in rows])
    found: tuple[list[tuple[Any, int, Any]], list[Any]] = cache[1][name]
    return found


def _range_attr(table: Any, index_name: str | None) -> str | None:
    if not index_name:
        return str(table.range_key_attr) if table.range_key_attr else None
    index = {i.name: i for i in table.all_indexes()}.get(index_name)
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"] if index else []
    return ranges[0] if len(ranges) == 1 else None


def _bounds(keys: list[Any], comparison: str | None, values: list[Any]) -> tuple[int, int]:
    """The slice of sorted `keys` a sort key condition keeps."""
    lo, hi = 0, len(keys)
    if comparison is None:
        return lo, hi
    first = values[0]
    if comparison in ("EQ", "GE", "BETWEEN"):
        lo = bisect.bisect_left(keys, first)
    if comparison == "GT":
        lo = bisect.bisect_right(keys, first)
    if comparison in ("EQ", "LE"):
        hi = bisect.bisect_right(keys, first)
    if comparison == "LT":
        hi = bisect.bisect_left(keys, first)
    if comparison == "BETWEEN":
        hi = bisect.bisect_right(keys, values[1])
    if comparison == "BEGINS_WITH":
        lo = bisect.bisect_left(keys, first)
        hi = lo
        while hi < len(keys) and keys[hi].startswith(first):
            hi += 1
    return lo, max(lo, hi)


def _count_writes(cls: Any, name: str) -> None:
    original = getattr(cls, name)

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        _writes[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            _writes[0] += 1

    setattr(cls, name, counted)


def _partition(table: Any, index_name: str | None, hash_key: Any,
               conditions: list[tuple[str, Any]] | None) -> list[Any] | None:
    """The items whose (index) hash key is `hash_key`, or None when the query is not the
    single-hash-key kind this table uses (then moto's full path answers)."""
    if not index_name:
        if not table.range_key_attr:
            return None
        return list(table.items.get(hash_key, {}).values())
    index = {i.name: i for i in table.all_indexes()}.get(index_name)
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"] if index else []
    if len(hashes) != 1 or (conditions and len(conditions) != 1):
        return None
    value = conditions[0][1] if conditions else hash_key
    cache = table.__dict__.get("_affiche_partitions")
    if cache is None or cache[0] != _writes[0]:
        cache = (_writes[0], {})
        table.__dict__["_affiche_partitions"] = cache
    maps = cache[1]
    if hashes[0] not in maps:
        grouped: dict[Any, list[Any]] = {}
        for item in _all_items_of(table):
            key = item.attrs.get(hashes[0])
            if key is not None:
                grouped.setdefault(key, []).append(item)
        maps[hashes[0]] = grouped
    return list(maps[hashes[0]].get(value, []))


def _all_items_of(table: Any) -> list[Any]:
    """Every item, unsorted (moto's all_items sorts them; the query sorts its partition)."""
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for by_range in table.items.values() for item in by_range.values()]


def _keep_one_stream_iterator() -> None:
    """moto makes a new shard iterator on every GetRecords, records or not, and keeps each one
    forever (with 472 random bytes): a poller idling at 20 polls a second grew the emulator by
    1.6 MB a minute. An empty read now hands back the same iterator, and a read that moves on
    forgets the one it used (AWS expires them after 15 minutes; a reader never reuses one)."""
    from moto.dynamodbstreams.models import ShardIterator

    original_get = ShardIterator.get

    def get(self: Any, limit: int = 1000) -> dict[str, Any]:
        if self.stream_shard.get(self.sequence_number, 1) == []:
            return {"NextShardIterator": self.arn, "Records": []}
        answer: dict[str, Any] = original_get(self, limit)
        self.streams_backend.shard_iterators.pop(self.arn, None)
        return answer

    ShardIterator.get = get  # type: ignore[method-assign]


def _key_values(table: Any, op: dict[str, Any]) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    key = op.get("Key") or op.get("Item") or {}
    if table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    saved: list[tuple[Any, ...]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        op = next(iter(entry.values()))
        table = backend.tables.get(op.get("TableName"))
        keys = _key_values(table, op) if table is not None else None
        if keys is None:
            continue
        hash_value, range_value = keys
        item = table.get_item(hash_value, range_value)
        saved.append(("item", table, hash_value, range_value, _real_deepcopy(item)))
        shard = table.stream_shard
        if shard is not None and id(shard) not in streams:
            streams[id(shard)] = (shard, len(shard.items))
    saved.extend(("stream", shard, length) for shard, length in streams.values())
    return saved


def _restore(snapshot: list[tuple[Any, ...]]) -> None:
    for entry in snapshot:
        if entry[0] == "stream":
            _, shard, length = entry
            del shard.items[length:]  # a cancelled transaction never reaches the stream
            continue
        _, table, hash_value, range_value, item = entry
        holder = table.items[hash_value] if table.range_key_attr else table.items
        key = range_value if table.range_key_attr else hash_value
        if item is None:
            holder.pop(key, None)
        else:
            holder[key] = item


# Item operations answered with the items as stored: their JSON is the result itself.
_PLAIN_JSON_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


def _serialize_items_as_json() -> None:
    """moto 5 serialises every answer by walking botocore's model of the operation, member by
    member, each attribute value of each item included: under load that was the largest cost of
    the emulator (about a quarter of its time, all of it under its lock). An item operation's
    result is already DynamoDB's wire format (`DynamoResult` converts the items), with no
    timestamp to convert (binary values are base64-encoded), so `json.dumps` writes it. Other
    operations (DescribeTable's dates, ...) keep moto's serializer;
    tests/local/test_emulator_parallel.py compares both."""
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in _PLAIN_JSON_OPERATIONS or not plain_json[0]:
            return original(self, context)
        try:
            body = json.dumps(_doubles(self.result), separators=(",", ":"), default=_base64)
        except TypeError:  # a value moto's serializer converts in some other way
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def _doubles(result: Any) -> Any:
    """The result with the model's doubles as floats: capacity units and size estimates, which
    moto counts in ints, live in these two top-level members only (items hold no numbers)."""
    if not isinstance(result, dict):
        return result
    fixed = {k: _floats(v) for k, v in result.items()
             if k in ("ConsumedCapacity", "ItemCollectionMetrics")}
    return {**result, **fixed} if fixed else result


def _floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _base64(value: Any) -> str:
    """Binary attribute values (B, BS) travel base64-encoded, as moto's serializer writes them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


plain_json = [True]  # tests turn it off to compare with moto's own serializer


def _list_moto_modules_once() -> None:
    """moto's server finds the service of every request by listing its own package folder
    (`os.listdir` and a `stat` per entry, about 70 per request); the folder does not change."""
    from moto import backends

    modules = list(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
