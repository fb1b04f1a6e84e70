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
only once every record in it went through; one that fails again stays for the next replay.

Each entry says when it reached the queue, when its change last failed, how many attempts failed
and why (store/failure_notes.py, written by the outbox). Administrators replay from the CLI
(`affiche failures replay`, synchronous) or from the web (/app/admin/failures, /api/mod/failures):
the web functions may not write pages (that is the outbox's role, infra/template.yaml), so they
queue a replay request that the outbox runs with this same `replay` (`request_replay`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from affiche.aws import client
from affiche.config import get_settings
from affiche.store import failure_notes

log = logging.getLogger("affiche.outbox")
Handler = Callable[[dict[str, Any], Any], Any]
PEEK_LIMIT = 100  # entries listed at most (a page); the count says how many there are
# Listing receives messages (SQS has no other read), hiding each for this long, then shows them
# again at once. Not 0: each receive would hand back the same first messages, and a listing of
# more than ten could miss some. Short: a replay running meanwhile, or after a lister that died
# before showing them again, finds them after a few seconds.
PEEK_HIDE = 5
REPLAY_HIDE = 60  # while a replay runs the outbox on it
REPLAY_REQUEST = "affiche_replay_failures"  # a delivery-queue message asking the outbox to replay


@dataclass
class Failure:
    message_id: str
    receipt: str
    stream_arn: str
    keys: list[dict[str, Any]]  # the failed records' item keys (DynamoDB JSON)
    sequence: str  # the first failed record's sequence number
    queued_at: str = ""  # when it reached the failure queue (ISO 8601, UTC)
    failed_at: str = ""  # when its change last failed
    attempts: int = 0  # failed attempts, replays included
    reason: str = ""  # the last error: type and message (failure_notes.reason)

    def summary(self) -> dict[str, Any]:
        return {"id": self.message_id, "sequence": self.sequence,
                "items": [{k: next(iter(v.values())) for k, v in key.items()}
                          for key in self.keys],
                "queued_at": self.queued_at, "failed_at": self.failed_at,
                "attempts": self.attempts, "reason": self.reason or "unknown"}


def queue_url() -> str:
    name = f"{get_settings().table_name}-stream-failures"
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def _read(message: dict[str, Any]) -> Failure:
    body = json.loads(message["Body"])
    sent = message.get("Attributes", {}).get("SentTimestamp", "")
    queued = (datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat(timespec="seconds")
              if sent.isdigit() else "")
    if "record" in body:  # the local runner's StreamPoller
        record = body["record"]
        return Failure(message["MessageId"], message["ReceiptHandle"], body["streamArn"],
                       [record["dynamodb"]["Keys"]], record["dynamodb"]["SequenceNumber"],
                       queued)
    info = body["DDBStreamBatchInfo"]  # AWS Lambda's on-failure destination
    keys = [r["dynamodb"]["Keys"] for r in _stream_records(info)]
    invoked = (body.get("requestContext") or {}).get("approximateInvokeCount", 0)
    return Failure(message["MessageId"], message["ReceiptHandle"], info["streamArn"], keys,
                   info["startSequenceNumber"], queued or str(body.get("timestamp", "")),
                   attempts=int(invoked or 0))


def _with_notes(found: list[Failure]) -> list[Failure]:
    """Each failure with when, how often and why its change failed (the outbox's notes)."""
    notes = failure_notes.read([key for failure in found for key in failure.keys])
    told = []
    for failure in found:
        mine = [notes[k] for k in (failure_notes.note_id(key) for key in failure.keys)
                if k in notes]
        if mine:
            last = max(mine, key=lambda n: n["failed_at"])
            failure = replace(failure, failed_at=last["failed_at"], reason=last["reason"],
                              attempts=max(failure.attempts, *(n["attempts"] for n in mine)))
        told.append(failure)
    return told


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


def _receive(visibility: int, limit: int = PEEK_LIMIT) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    sqs = client("sqs")
    url = queue_url()
    while len(found) < limit:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       VisibilityTimeout=visibility, WaitTimeSeconds=0,
                                       AttributeNames=["SentTimestamp"]).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in found]
        if not fresh:
            break
        found.update((m["MessageId"], m) for m in fresh)
    return list(found.values())


def _show_again(messages: list[dict[str, Any]]) -> None:
    sqs = client("sqs")
    url = queue_url()
    entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
               for n, m in enumerate(messages)]
    for start in range(0, len(entries), 10):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries[start:start + 10])


def failures(limit: int = PEEK_LIMIT) -> list[Failure]:
    """What is in the failure queue now, at most `limit` entries (peeked: see PEEK_HIDE)."""
    received = _receive(PEEK_HIDE, limit)
    _show_again(received)
    return _with_notes([_read(m) for m in received])


def count() -> int:
    """How many entries the queue holds (SQS's approximate count: listing is bounded)."""
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(), AttributeNames=["ApproximateNumberOfMessages",
                                              "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


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


def replay(handler: Handler, only: Iterable[str] | None = None) -> tuple[int, int]:
    """Hand every failed change (or those whose message ids are in `only`) to the outbox
    `handler` again; (replayed, still failing)."""
    sqs = client("sqs")
    url = queue_url()
    done = failed = 0
    wanted = None if only is None else set(only)
    received = _receive(REPLAY_HIDE, limit=10_000)
    _show_again([m for m in received if wanted is not None and m["MessageId"] not in wanted])
    for message in received:
        if wanted is not None and message["MessageId"] not in wanted:
            continue
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
        for key in failure.keys:
            failure_notes.forget(key)
        done += 1
    return done, failed


def request_replay(ids: Iterable[str] = (), everything: bool = False) -> None:
    """Ask the outbox to replay these entries (or all): a message on the delivery queue, which
    the outbox consumes (functions/outbox/handler.py calls `run_request`)."""
    from affiche.activitypub.delivery import SqsQueue

    SqsQueue().send([json.dumps({REPLAY_REQUEST: {"ids": sorted(set(ids)),
                                                  "all": everything}})])


def replay_request(body: str) -> dict[str, Any] | None:
    """The replay request a delivery-queue message body holds, or None (a delivery)."""
    if REPLAY_REQUEST not in body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    request = parsed.get(REPLAY_REQUEST) if isinstance(parsed, dict) else None
    return request if isinstance(request, dict) else None


def run_request(request: dict[str, Any], handler: Handler) -> tuple[int, int]:
    ids = [str(i) for i in request.get("ids") or []]
    return replay(handler, None if request.get("all") else ids)


def replay_by(ports: Any, admin: Any, ids: Iterable[str] = (), everything: bool = False) -> None:
    """An administrator's replay from the web: allowed to administrators only, requested of the
    outbox, and on the audit log."""
    from affiche.domain import audit
    from affiche.domain.instance import require_admin
    from affiche.domain.ports import ChangeSet

    require_admin(admin)
    ids = sorted(set(ids))
    request_replay(ids, everything)
    what = "all" if everything else ", ".join(ids)
    ports.repo.commit(ChangeSet().put(audit.record(
        ports, admin, "failures.replay", "failures", what[:500], reason="replay requested")))
