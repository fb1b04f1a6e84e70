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

A second fix keeps moto's stream reader from accumulating shard iterators (see below)."""

from __future__ import annotations

import copy
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
    _applied = True


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
