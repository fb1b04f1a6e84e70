"""The change stream's failure queue, and its replay by an administrator.

When the outbox function cannot finish a change's effects (pages to the bucket, deliveries queued,
mail) after its retries, the record's position lands in `<table>-stream-failures` (the template's
StreamFailureQueue; the local runner's StreamPoller does the same) and the stream moves on. A
message is either the local runner's, holding the record itself, or AWS's on-failure record,
which holds only where the batch sits in the stream (kept there 24 hours).

A replay reads each failed record's keys, re-reads the activity *as stored now* and hands the outbox
function the INSERT it missed. Every step of the outbox is idempotent (pages re-rendered,
deliveries de-duplicated by receivers on the activity id, the mail ledger), so a record replayed
twice, or one that half-succeeded before, sends nobody anything twice. A message leaves the queue
only once every record in it went through; one that fails again stays for the next replay."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from affiche.aws import client
from affiche.config import get_settings

log = logging.getLogger("affiche.outbox")
Handler = Callable[[dict[str, Any], Any], Any]
PEEK_ROUNDS = 10  # SQS hands out at most 10 messages per receive


@dataclass
class Failure:
    message_id: str
    receipt: str
    stream_arn: str
    keys: list[dict[str, Any]]  # the failed records' item keys (DynamoDB JSON)
    sequence: str  # the first failed record's sequence number

    def summary(self) -> dict[str, Any]:
        return {"id": self.message_id, "sequence": self.sequence,
                "items": [{k: next(iter(v.values())) for k, v in key.items()}
                          for key in self.keys]}


def queue_url() -> str:
    name = f"{get_settings().table_name}-stream-failures"
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def _read(message: dict[str, Any]) -> Failure:
    body = json.loads(message["Body"])
    if "record" in body:  # the local runner's StreamPoller
        record = body["record"]
        return Failure(message["MessageId"], message["ReceiptHandle"], body["streamArn"],
                       [record["dynamodb"]["Keys"]], record["dynamodb"]["SequenceNumber"])
    info = body["DDBStreamBatchInfo"]  # AWS Lambda's on-failure destination
    keys = [r["dynamodb"]["Keys"] for r in _stream_records(info)]
    return Failure(message["MessageId"], message["ReceiptHandle"], info["streamArn"], keys,
                   info["startSequenceNumber"])


def _stream_records(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records between the batch's first and last sequence numbers, while the stream keeps
    them (24 hours on AWS): after that only the activity ids are gone, not the activities."""
    streams = client("dynamodbstreams")
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"], ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    last = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=100)
        for record in page.get("Records", []):
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return found
            found.append(record)
        if not page.get("Records"):
            return found
        iterator = page.get("NextShardIterator")
    return found


def _receive(visibility: int) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    sqs = client("sqs")
    url = queue_url()
    for _ in range(PEEK_ROUNDS):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       VisibilityTimeout=visibility,
                                       WaitTimeSeconds=0).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in found]
        if not fresh:
            break
        found.update((m["MessageId"], m) for m in fresh)
    return list(found.values())


def failures() -> list[Failure]:
    """What is in the failure queue now (left in it: listing does not hide anything)."""
    return [_read(m) for m in _receive(visibility=0)]


def _as_insert(failure: Failure, key: dict[str, Any]) -> dict[str, Any] | None:
    item = client("dynamodb").get_item(TableName=get_settings().table_name, Key=key,
                                       ConsistentRead=True).get("Item")
    if item is None:
        return None  # removed since (an expired inbound copy...): nothing left to do
    return {"eventID": f"replay-{failure.message_id}", "eventName": "INSERT",
            "eventSource": "aws:dynamodb", "eventSourceARN": failure.stream_arn,
            "awsRegion": get_settings().aws_region,
            "dynamodb": {"Keys": key, "NewImage": item, "SequenceNumber": failure.sequence,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def replay(handler: Handler) -> tuple[int, int]:
    """Hand every failed change to the outbox `handler` again; (replayed, still failing)."""
    sqs = client("sqs")
    url = queue_url()
    done = failed = 0
    for message in _receive(visibility=60):
        failure = _read(message)
        records = [r for r in (_as_insert(failure, key) for key in failure.keys) if r]
        try:
            answer = handler({"Records": records}, None) if records else {}
        except Exception:  # the whole batch failed (Powertools raises then): keep the message
            log.exception("replay of %s failed", failure.message_id)
            answer = {"batchItemFailures": [{"itemIdentifier": failure.sequence}]}
        if isinstance(answer, dict) and answer.get("batchItemFailures"):
            failed += 1
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=failure.receipt,
                                          VisibilityTimeout=0)
            continue
        sqs.delete_message(QueueUrl=url, ReceiptHandle=failure.receipt)
        done += 1
    return done, failed
