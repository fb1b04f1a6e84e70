"""Feed the handlers what Lambda's event source mappings would: DynamoDB stream batches and SQS
batches, honouring `batchItemFailures` (partial batch responses) the way AWS does.

- Stream: records are handed over in order; when a batch reports a failure, the shard is read again
  from the failed sequence number after a back-off. After MAX_STREAM_ATTEMPTS the record goes to
  the on-failure destination (the stream-failures queue, as in the template) and is skipped.
- SQS: messages reported failed are left in the queue; they come back after their visibility
  timeout, and the queue's redrive policy moves them to the dead-letter queue.

Idle pollers do not spin: the emulator wakes them (journal.Recorder) when a write reaches the
table or a message a queue, and they look again on their own only every IDLE_LOOK seconds (for
what no request announces: a message whose visibility timeout or delay ends). Polling 25 times a
second cost an idle `affiche dev` ~9 % of a core; a wake-up also starts a publish sooner.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from affiche.aws import client

log = logging.getLogger("affiche.local")
Handler = Callable[[dict[str, Any], Any], Any]
BATCH_SIZE = 100
MAX_STREAM_ATTEMPTS = 5
IDLE_LOOK = 2.0  # seconds between looks of an idle stream or queue poller nobody woke


def _lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """boto3's get_records shape -> the Lambda event record shape (epoch seconds, ARN)."""
    converted = dict(record)
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = created.timestamp()
    converted["dynamodb"] = ddb
    converted["eventSourceARN"] = stream_arn
    return converted


def _failed_ids(response: Any) -> list[str]:
    if not isinstance(response, dict):
        return []
    return [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]


class Poller(threading.Thread):
    def __init__(self, name: str, interval: float) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.stopping = threading.Event()
        self.idle = threading.Event()  # set whenever a poll found nothing to do
        self.wakeup = threading.Event()  # cuts the wait between polls short

    def wake(self) -> None:
        """Look again now (something may have arrived, or someone waits for `idle`)."""
        self.wakeup.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            # Cleared before the poll: a wake-up during the poll makes the next one start at once.
            self.wakeup.clear()
            try:
                busy = self.poll_once()
            except Exception:  # a poller must survive a bad batch and go on (logged with trace)
                log.exception("%s: poll failed", self.name)
                busy = False
            if busy:
                self.idle.clear()
            else:
                self.idle.set()
                self.wakeup.wait(self.interval)

    def poll_once(self) -> bool:
        raise NotImplementedError


class StreamPoller(Poller):
    """Reads the table's stream from LATEST: what exists before start is covered by a full build."""

    def __init__(self, table: str, handler: Handler, on_failure_queue: str | None = None,
                 interval: float = IDLE_LOOK, on_change: Callable[[], None] | None = None) -> None:
        super().__init__("stream-poller", interval)
        self.handler = handler
        self.on_failure_queue = on_failure_queue
        self.on_change = on_change
        self.streams = client("dynamodbstreams")
        self.arn = client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.iterators: dict[str, str] = {}
        self.attempts: dict[str, int] = {}
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        for shard in shards:
            self.iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST",
            )["ShardIterator"]

    def poll_once(self) -> bool:
        busy = False
        for shard_id, iterator in list(self.iterators.items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)
            records = response.get("Records", [])
            next_iterator = response.get("NextShardIterator") or iterator
            if records:
                busy = True
                next_iterator = self._deliver(shard_id, records, next_iterator)
            self.iterators[shard_id] = next_iterator
        return busy

    def _deliver(self, shard_id: str, records: list[dict[str, Any]], next_iterator: str) -> str:
        event = {"Records": [_lambda_stream_record(r, self.arn) for r in records]}
        try:
            failed = _failed_ids(self.handler(event, None))
        except Exception:  # Lambda retries a batch whose function raised, from its first record
            log.exception("stream batch failed as a whole")
            failed = [records[0]["dynamodb"]["SequenceNumber"]]
        if self.on_change:
            self.on_change()
        if not failed:
            return next_iterator
        sequence = failed[0]
        self.attempts[sequence] = self.attempts.get(sequence, 0) + 1
        if self.attempts[sequence] >= MAX_STREAM_ATTEMPTS:
            self._give_up(sequence, records)
            kind = "AFTER_SEQUENCE_NUMBER"
        else:
            time.sleep(min(0.1 * 2 ** self.attempts[sequence], 2.0))
            kind = "AT_SEQUENCE_NUMBER"
        return str(self.streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard_id, ShardIteratorType=kind, SequenceNumber=sequence,
        )["ShardIterator"])

    def catch_up(self, items: list[dict[str, Any]]) -> None:
        """Hand the outbox, as the INSERTs they were, items written before a crash whose effects
        may not have happened (affiche/local/journal.py). Its steps are idempotent; what still
        fails goes to the failure queue like any record that exhausted its retries."""
        for start in range(0, len(items), BATCH_SIZE):
            records: list[dict[str, Any]] = [{
                "eventID": f"catch-up-{start + n}", "eventName": "INSERT",
                "eventSource": "aws:dynamodb", "eventSourceARN": self.arn,
                "dynamodb": {"Keys": {"pk": item["pk"], "sk": item["sk"]}, "NewImage": item,
                             "SequenceNumber": str(start + n + 1),
                             "StreamViewType": "NEW_AND_OLD_IMAGES"},
            } for n, item in enumerate(items[start:start + BATCH_SIZE])]
            try:
                failed = set(_failed_ids(self.handler({"Records": records}, None)))
            except Exception:  # the whole batch failed
                log.exception("catch-up batch failed")
                failed = {r["dynamodb"]["SequenceNumber"] for r in records}
            for record in records:
                if record["dynamodb"]["SequenceNumber"] in failed:
                    self._give_up(record["dynamodb"]["SequenceNumber"], records)

    def _give_up(self, sequence: str, records: list[dict[str, Any]]) -> None:
        log.error("stream record %s failed %d times: sent to the failure queue", sequence,
                  MAX_STREAM_ATTEMPTS)
        self.attempts.pop(sequence, None)
        if self.on_failure_queue:
            record = _lambda_stream_record(
                next(r for r in records if r["dynamodb"]["SequenceNumber"] == sequence), self.arn)
            # Where the record sits, not what it holds (like AWS's on-failure record): a replay
            # re-reads the item, and an outgoing mail's secret link stays out of the queue.
            record["dynamodb"] = {k: v for k, v in record["dynamodb"].items()
                                  if k not in ("NewImage", "OldImage")}
            client("sqs").send_message(QueueUrl=self.on_failure_queue, MessageBody=json.dumps(
                {"streamArn": self.arn, "record": record}, default=str))


class QueuePoller(Poller):
    def __init__(self, queue_url: str, handler: Handler, interval: float = IDLE_LOOK) -> None:
        super().__init__("queue-poller", interval)
        self.queue_url = queue_url
        self.handler = handler
        self.sqs = client("sqs")
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def poll_once(self) -> bool:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
            AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": self.arn,
            "awsRegion": self.arn.split(":")[3],
        } for m in messages]}
        failed = set(_failed_ids(self.handler(event, None)))
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        return True


class SchedulePoller(Poller):
    """Calls a scheduled handler every `interval` seconds, as an EventBridge schedule would
    (the reminders: infra/template.yaml ReminderFunction). A run that fails is logged by
    Poller.run and the next run tries again."""

    def __init__(self, name: str, handler: Handler, interval: float) -> None:
        super().__init__(name, interval)
        self.handler = handler
        # Between runs nothing is pending: `Instance.wait_idle` must not wait for the next run.
        self.idle = _AlwaysSet()

    def wake(self) -> None:
        return None  # a schedule runs on time, not when someone looks

    def poll_once(self) -> bool:
        self.handler({"source": "aws.scheduler", "detail-type": "Scheduled Event",
                      "time": datetime.now().astimezone().isoformat()}, None)
        return False  # then wait `interval`: one run per period


class RunFlag(threading.Event):
    """An idle flag set except while its poller runs: `clear` from outside (wait_idle) is ignored,
    so waiting on it waits for a run under way, not for the poller's next look."""

    def __init__(self) -> None:
        super().__init__()
        self.set()

    def clear(self) -> None:
        return None

    @contextmanager
    def running(self) -> Iterator[None]:
        super().clear()
        try:
            yield
        finally:
            self.set()


class _AlwaysSet(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.set()

    def clear(self) -> None:
        return None
