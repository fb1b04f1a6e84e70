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
