"""Outbound delivery: one queue message per target inbox (DESIGN.md §1, §4), and its consumer.

The outbox's stream consumer decides who receives an activity and calls `enqueue`; the queue's
consumer (functions/outbox, SQS event source) signs each message with the sender's key at send
time, POSTs it, and retries with back-off until it lands or reaches the dead-letter queue.

A message names the sending local actor, not its key: keys are read when sending, so a message
that waits in the queue across a key rotation is still signed with the current key. The consuming
side lives in delivery_consumer.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

SQS_BATCH = 10  # SendMessageBatch takes at most ten entries


@dataclass(frozen=True)
class DeliveryMessage:
    """What one queue message carries: one activity for one inbox."""

    activity: dict[str, Any]
    sender: str  # the local actor (name) whose key signs the request, or "" for the instance actor
    inbox: str  # the remote inbox URL (a shared inbox when the server has one)
    attempt: int = 0  # deliveries tried so far
    first_queued: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    not_before: str = ""  # ISO time of the next try (a back-off longer than SQS's 15 min delay)
    error: str = ""  # why the last try failed
    reason: str = ""  # dead letters only: why delivery was given up

    def to_json(self) -> str:
        data: dict[str, Any] = {"activity": self.activity, "sender": self.sender,
                                "inbox": self.inbox, "attempt": self.attempt,
                                "first_queued": self.first_queued}
        data.update({k: v for k, v in (("not_before", self.not_before), ("error", self.error),
                                       ("reason", self.reason)) if v})
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> DeliveryMessage:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("activity"), dict):
            raise ValueError("not a delivery message")
        return cls(activity=data["activity"], sender=str(data["sender"]),
                   inbox=str(data["inbox"]), attempt=int(data.get("attempt", 0)),
                   first_queued=data.get("first_queued") or datetime.now(UTC).isoformat(),
                   not_before=str(data.get("not_before") or ""),
                   error=str(data.get("error") or ""), reason=str(data.get("reason") or ""))


class MessageQueue(Protocol):
    def send(self, bodies: list[str], delay_seconds: int = 0) -> None: ...


class SqsQueue:
    """MessageQueue over the delivery queue named by the settings."""

    def __init__(self, queue_url: str | None = None) -> None:
        from affiche.config import get_settings

        self.queue_url = queue_url or get_settings().delivery_queue_url

    def send(self, bodies: list[str], delay_seconds: int = 0) -> None:
        from affiche.aws import client

        sqs = client("sqs")
        for start in range(0, len(bodies), SQS_BATCH):
            chunk = bodies[start:start + SQS_BATCH]
            answer = sqs.send_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "MessageBody": body, "DelaySeconds": delay_seconds}
                for i, body in enumerate(chunk)])
            if answer.get("Failed"):  # never drop silently: the stream record is retried
                raise RuntimeError(f"could not queue {len(answer['Failed'])} deliveries: "
                                   f"{answer['Failed'][0].get('Message', '')}")


def unique_inboxes(inboxes: Iterable[str]) -> list[str]:
    """Each inbox once, in first-seen order (followers on one server share its shared inbox)."""
    return list(dict.fromkeys(i for i in inboxes if i))


def federates(inbox: str) -> bool:
    """Whether the instance's federation policy lets us deliver to `inbox` (not blocked; listed
    when in allow-list mode): checked when queueing and again when sending."""
    from urllib.parse import urlsplit

    from affiche.activitypub import blocklist

    return blocklist.refusal(urlsplit(inbox).hostname or "") is None


def enqueue(activity: dict[str, Any], *, sender: str, inboxes: Iterable[str],
            queue: MessageQueue | None = None) -> int:
    """Queue `activity` for each distinct inbox; returns how many messages were queued."""
    targets = [inbox for inbox in unique_inboxes(inboxes) if federates(inbox)]
    if not targets:
        return 0
    bodies = [DeliveryMessage(activity, sender, inbox).to_json() for inbox in targets]
    (queue or SqsQueue()).send(bodies)
    return len(bodies)
