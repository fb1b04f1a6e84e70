"""The moto transaction fix keeps moto's semantics: a cancelled transaction leaves items and the
stream exactly as they were; a successful one is applied and streamed; no table copy is made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain.errors import Conflict
from affiche.domain.model import InstanceSettings
from affiche.domain.ports import ChangeSet
from affiche.store.repository import DynamoRepository


def stream_records() -> list[dict]:
    settings = get_settings()
    arn = client("dynamodb").describe_table(TableName=settings.table_name)["Table"][
        "LatestStreamArn"]
    streams = client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def test_a_cancelled_transaction_changes_nothing_and_streams_nothing(aws: Path) -> None:
    repo = DynamoRepository()
    repo.commit(ChangeSet(claims={"email:a@example.org": "one"}))
    before = stream_records()
    # When a transaction writes a new item, then fails on a taken claim
    with pytest.raises(Conflict):
        repo.commit(ChangeSet(puts=[InstanceSettings(registration_mode="closed")],
                              claims={"email:a@example.org": "two"}))
    # Then neither write is visible, and the stream holds nothing new
    assert repo.get(InstanceSettings, InstanceSettings.key) is None
    assert repo.claim_owner("email:a@example.org") == "one"
    assert stream_records() == before


def test_a_successful_transaction_is_applied_and_streamed(aws: Path) -> None:
    from moto.dynamodb.models.table import Table

    tables_before = len(Table.instances_tracked)  # type: ignore[attr-defined]
    repo = DynamoRepository()
    for n in range(5):
        repo.commit(ChangeSet(claims={f"email:{n}@example.org": str(n)}))
    assert repo.claim_owner("email:4@example.org") == "4"
    inserted = [json.loads(r["dynamodb"]["NewImage"]["data"]["S"]) for r in stream_records()]
    assert {"owner": "4"} in inserted
    # No copy of the table was made (moto would keep every copy alive)
    assert len(Table.instances_tracked) == tables_before  # type: ignore[attr-defined]


def _pages(request: dict) -> list[list[tuple[str, str]]]:
    """Every page of a Query, as (pk, sk) pairs, following LastEvaluatedKey."""
    ddb = client("dynamodb")
    pages, start = [], None
    while True:
        answer = ddb.query(**request, **({"ExclusiveStartKey": start} if start else {}))
        pages.append([(i["pk"]["S"], i["sk"]["S"]) for i in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


def test_a_query_answered_from_its_window_pages_as_moto_does(aws: Path) -> None:
    """moto_fixes._window hands moto only the part of a partition a Query can reach; the pages
    (ties of sort key values included, both directions, limits, filters) are moto's own."""
    import random

    from affiche.local import moto_fixes

    ddb, table = client("dynamodb"), get_settings().table_name
    draw = random.Random(8)
    for n in range(120):
        ddb.put_item(TableName=table, Item={
            "pk": {"S": f"ITEM#{draw.randrange(1000):03d}-{n}"}, "sk": {"S": "MAIN"},
            "kind": {"S": "x"}, "data": {"S": "{}"}, "gsi1pk": {"S": "PART"},
            "gsi1sk": {"S": f"2027-{draw.randrange(1, 13):02d}-{draw.randrange(1, 4):02d}"},
            "odd": {"BOOL": n % 2 == 1}})
    base = {"TableName": table, "IndexName": "gsi1"}
    cases = []
    for limit in (None, 1, 7, 25):
        for forward in (True, False):
            for condition, values in (("gsi1pk = :p", {}),
                                      ("gsi1pk = :p AND gsi1sk >= :a", {":a": "2027-04"}),
                                      ("gsi1pk = :p AND gsi1sk < :a", {":a": "2027-04-02"}),
                                      ("gsi1pk = :p AND gsi1sk BETWEEN :a AND :b",
                                       {":a": "2027-03-02", ":b": "2027-09"}),
                                      ("gsi1pk = :p AND begins_with(gsi1sk, :a)",
                                       {":a": "2027-05"})):
                request = {**base, "KeyConditionExpression": condition,
                           "ExpressionAttributeValues": {":p": {"S": "PART"}, **{
                               k: {"S": v} for k, v in values.items()}},
                           "ScanIndexForward": forward, **({"Limit": limit} if limit else {})}
                cases.append(request)
                cases.append({**request, "FilterExpression": "odd = :t",
                              "ExpressionAttributeValues": {
                                  **request["ExpressionAttributeValues"], ":t": {"BOOL": True}}})
    try:
        for request in cases:
            moto_fixes.window[0] = True
            windowed = _pages(request)
            moto_fixes.window[0] = False
            assert windowed == _pages(request), request
    finally:
        moto_fixes.window[0] = True
    # A write is seen by the next Query (the sorted partitions are kept until a write)
    ddb.put_item(TableName=table, Item={"pk": {"S": "ITEM#new"}, "sk": {"S": "MAIN"},
                                        "gsi1pk": {"S": "PART"}, "gsi1sk": {"S": "2026"}})
    assert _pages({**cases[0], "Limit": 1})[0] == [("ITEM#new", "MAIN")]
