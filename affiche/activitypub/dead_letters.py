"""The dead-letter queue of deliveries, for administrators: list what was given up, and replay it.

A dead letter is a DeliveryMessage JSON with its `reason` (HTTP 410, gave up after two days,
domain unavailable...), or, when the queue's redrive policy moved a message that crashed the
consumer 8 times, the message as it was (no reason). Listing peeks: messages are received and
made visible again at once. Replaying puts a message back on the delivery queue as new (attempt
0, first queued now) and clears its domain's failure record (the administrator says "try it
now"), then deletes it from the dead-letter queue.

Used by `affiche deliveries dead|replay` and by the moderation function
(GET /api/mod/deliveries/dead, POST /api/mod/deliveries/replay).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from affiche.activitypub.delivery import DeliveryMessage

PEEK_LIMIT = 1000


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    reason: str
    inbox: str
    activity_id: str
    activity_type: str
    sender: str
    attempts: int
    first_queued: str
    body: str

    def summary(self) -> dict[str, Any]:
        return {"id": self.message_id, "reason": self.reason or "failed too many times",
                "inbox": self.inbox, "activity": self.activity_id, "type": self.activity_type,
                "sender": self.sender, "attempts": self.attempts,
                "first_queued": self.first_queued}


def _letter(message_id: str, body: str) -> DeadLetter:
    try:
        message = DeliveryMessage.from_json(body)
    except (ValueError, KeyError, TypeError):
        raw = json.loads(body) if body.startswith("{") else {}
        return DeadLetter(message_id, str(raw.get("reason", "unreadable message")), "", "", "",
                          "", 0, "", body)
    activity = message.activity
    kind = activity.get("type")
    return DeadLetter(message_id, message.reason, message.inbox, str(activity.get("id", "")),
                      kind if isinstance(kind, str) else json.dumps(kind), message.sender,
                      message.attempt, message.first_queued, body)


def _queues() -> tuple[Any, str, str]:
    from affiche.activitypub.delivery_consumer import dead_letter_queue_url
    from affiche.aws import client
    from affiche.config import get_settings

    queue = get_settings().delivery_queue_url
    return client("sqs"), queue, dead_letter_queue_url(queue)


def _receive_all(sqs: Any, url: str, limit: int,
                 hide_for: int) -> list[tuple[dict[str, Any], DeadLetter]]:
    found: dict[str, tuple[dict[str, Any], DeadLetter]] = {}
    while len(found) < limit:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                  VisibilityTimeout=hide_for).get("Messages", [])
        fresh = [m for m in got if m["MessageId"] not in found]
        if not fresh:
            break
        for m in fresh:
            found[m["MessageId"]] = (m, _letter(m["MessageId"], m["Body"]))
    return list(found.values())


def _show_again(sqs: Any, url: str, messages: Iterable[dict[str, Any]]) -> None:
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
               for i, m in enumerate(messages)]
    for start in range(0, len(entries), 10):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries[start:start + 10])


def list_dead(limit: int = 100) -> list[DeadLetter]:
    """Dead letters, oldest first as SQS hands them out (at most `limit`)."""
    sqs, _queue, dlq = _queues()
    received = _receive_all(sqs, dlq, min(limit, PEEK_LIMIT), hide_for=30)
    _show_again(sqs, dlq, (m for m, _ in received))
    return [letter for _, letter in received]


def replay(select: Callable[[DeadLetter], bool] = lambda letter: True,
           now: datetime | None = None) -> list[DeadLetter]:
    """Put the selected dead letters back on the delivery queue as new; returns them."""
    from affiche.activitypub.delivery import SqsQueue
    from affiche.activitypub.delivery_consumer import DynamoDomainHealth

    sqs, queue, dlq = _queues()
    received = _receive_all(sqs, dlq, PEEK_LIMIT, hide_for=60)
    chosen = [(m, letter) for m, letter in received if letter.inbox and select(letter)]
    taken = {letter.message_id for _, letter in chosen}
    _show_again(sqs, dlq, (m for m, letter in received if letter.message_id not in taken))
    stamp = (now or datetime.now(UTC)).isoformat()
    health = DynamoDomainHealth()
    for host in {urlsplit(letter.inbox).hostname or "" for _, letter in chosen}:
        health.clear(host)
    for message, letter in chosen:
        fresh = replace(DeliveryMessage.from_json(letter.body), attempt=0, first_queued=stamp,
                        not_before="", error="", reason="")
        SqsQueue(queue).send([fresh.to_json()])
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
    return [letter for _, letter in chosen]


def selector(ids: Iterable[str] = (), domain: str | None = None,
             everything: bool = False) -> Callable[[DeadLetter], bool]:
    """Which dead letters a replay takes: all of them, these message ids, or one domain's."""
    wanted = set(ids)

    def select(letter: DeadLetter) -> bool:
        if everything:
            return True
        if domain and (urlsplit(letter.inbox).hostname or "") == domain.lower():
            return True
        return letter.message_id in wanted

    return select


def replay_by(ports: Any, admin: Any, ids: Iterable[str] = (), domain: str | None = None,
              everything: bool = False) -> list[DeadLetter]:
    """An administrator's replay (API and page): allowed to administrators only, and on the
    audit log. The entry is written after the letters are queued: they live in SQS, outside the
    table's transaction, and a replay that queued nothing is no action to record."""
    from affiche.domain import audit
    from affiche.domain.instance import require_admin
    from affiche.domain.ports import ChangeSet

    require_admin(admin)
    replayed = replay(selector(ids, domain, everything))
    if replayed:
        what = "all" if everything else domain or ", ".join(sorted(set(ids)))
        ports.repo.commit(ChangeSet().put(audit.record(
            ports, admin, "deliveries.replay", "deliveries", what[:500],
            reason=f"{len(replayed)} queued again")))
    return replayed
