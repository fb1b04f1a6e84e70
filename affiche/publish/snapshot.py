"""The whole table read in bulk (one paged Scan) and answered from memory: the full build's store.

A full build renders thousands of artifacts; through DynamoRepository each would read its object
with a GetItem and its listings with a Query (4,081 GetItem for 2,000 events). SnapshotStore is the
same DynamoRepository, every read method unchanged, over a stand-in for the pynamodb model that
serves `get`, `query`, the two GSIs' `query` and `scan` from the items of one Scan, with the
table's key order. Writes (the instance actor's key made on a first build) go to the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from affiche.store.repository import DynamoRepository

Row = dict[str, Any]


class _Item:
    """What DynamoRepository reads of a pynamodb Item."""

    __slots__ = (
        "data",
        "gsi1pk",
        "gsi1sk",
        "gsi2pk",
        "gsi2sk",
        "kind",
        "member_count",  # table.COUNTS
        "months",
        "participant_count",
        "pk",
        "sk",
        "total",
        "version",
    )

    pk: str
    sk: str
    kind: str
    data: str
    version: int | None
    gsi1pk: str | None
    gsi1sk: str | None
    gsi2pk: str | None
    gsi2sk: str | None
    total: int | None
    member_count: int | None
    participant_count: int | None
    months: set[str] | None

    def __init__(self, raw: Row) -> None:
        for name in self.__slots__:
            value = raw.get(name)
            if value is not None:
                value = (int(value["N"]) if "N" in value else set(value["SS"]) if "SS" in value
                         else value.get("S"))
            setattr(self, name, value)


class _Condition:
    def __init__(self, test: Callable[[_Item], bool]) -> None:
        self.test = test

    def __or__(self, other: _Condition) -> _Condition:
        return _Condition(lambda item: self.test(item) or other.test(item))


class _Attribute:
    """`model.gsi1sk >= x` and friends: a predicate on one attribute of an item."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _on(self, test: Callable[[Any], bool]) -> _Condition:
        return _Condition(lambda item: (v := getattr(item, self.name)) is not None and test(v))

    def __ge__(self, other: str) -> _Condition:
        return self._on(lambda v: v >= other)

    def __gt__(self, other: str) -> _Condition:
        return self._on(lambda v: v > other)

    def __le__(self, other: str) -> _Condition:
        return self._on(lambda v: v <= other)

    def __lt__(self, other: str) -> _Condition:
        return self._on(lambda v: v < other)

    def __eq__(self, other: object) -> _Condition:  # type: ignore[override]
        return self._on(lambda v: v == other)

    def __ne__(self, other: object) -> _Condition:  # type: ignore[override]
        return self._on(lambda v: v != other)

    __hash__ = object.__hash__

    def does_not_exist(self) -> _Condition:
        return _Condition(lambda item: getattr(item, self.name) is None)

    def between(self, low: str, high: str) -> _Condition:
        return self._on(lambda v: low <= v <= high)

    def startswith(self, prefix: str) -> _Condition:
        return self._on(lambda v: v.startswith(prefix))


class _Index:
    """One key layout (the table's pk/sk, gsi1, gsi2): partitions of items in range-key order."""

    def __init__(self, items: list[_Item], hash_name: str, range_name: str) -> None:
        self.partitions: dict[str, list[_Item]] = {}
        self.range_name = range_name
        for item in items:
            key = getattr(item, hash_name)
            if key is not None and getattr(item, range_name) is not None:
                self.partitions.setdefault(key, []).append(item)
        for rows in self.partitions.values():
            rows.sort(key=lambda item: getattr(item, range_name))

    def query(self, hash_key: str, range_key_condition: _Condition | None = None,
              filter_condition: _Condition | None = None, *, scan_index_forward: bool | None = None,
              limit: int | None = None, **_: Any) -> Iterator[_Item]:
        rows = self.partitions.get(hash_key, [])
        found = 0
        for item in (rows if scan_index_forward is not False else reversed(rows)):
            if limit is not None and found >= limit:
                return
            if range_key_condition is not None and not range_key_condition.test(item):
                continue
            if filter_condition is not None and not filter_condition.test(item):
                continue
            found += 1
            yield item


class _Model:
    """The part of the pynamodb model DynamoRepository's reads use."""

    class DoesNotExist(Exception):
        pass

    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.by_key = {(i.pk, i.sk): i for i in items}
        self.main = _Index(items, "pk", "sk")
        self.gsi1 = _Index(items, "gsi1pk", "gsi1sk")
        self.gsi2 = _Index(items, "gsi2pk", "gsi2sk")
        for name in ("pk", "sk", "kind", "gsi1sk", "gsi2pk", "gsi2sk"):
            setattr(self, name, _Attribute(name))

    def get(self, pk: str, sk: str, **_: Any) -> _Item:
        try:
            return self.by_key[(pk, sk)]
        except KeyError:
            raise self.DoesNotExist from None

    def query(self, hash_key: str, *args: Any, **kwargs: Any) -> Iterator[_Item]:
        return self.main.query(hash_key, *args, **kwargs)

    def batch_get(self, keys: list[tuple[str, str]], **_: Any) -> Iterator[_Item]:
        return (self.by_key[key] for key in keys if key in self.by_key)

    def scan(self, condition: _Condition | None = None, **_: Any) -> Iterator[_Item]:
        return (i for i in self.items if condition is None or condition.test(i))


def scan_table() -> list[Row]:
    """Every item of the table, by pages of the Scan (1 MB each): a few requests per thousand."""
    from affiche.aws import client
    from affiche.config import get_settings

    rows: list[Row] = []
    for page in client("dynamodb").get_paginator("scan").paginate(
            TableName=get_settings().table_name, ConsistentRead=True):
        rows.extend(page["Items"])
    return rows


class SnapshotStore(DynamoRepository):
    """DynamoRepository's reads over a snapshot of the table taken at `load()`."""

    # Batched point reads go to the table (Renderer.prime): the snapshot has them in memory.
    read_points = None  # type: ignore[assignment]

    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.table = DynamoRepository()  # writes go to the table itself
        self.model = _Model([_Item(row) for row in rows])  # type: ignore[assignment]

    @classmethod
    def load(cls) -> SnapshotStore:
        return cls(scan_table())

    def counter(self, name: str) -> int:
        from affiche.store.keys import MAIN

        item = self.model.by_key.get((f"STATS#{name}", MAIN))  # type: ignore[attr-defined]
        return int(item.total or 0) if item is not None else 0

    def counters(self, names: list[str]) -> dict[str, int]:
        return {name: self.counter(name) for name in names}

    def commit(self, changes: Any) -> None:
        self.table.commit(changes)

