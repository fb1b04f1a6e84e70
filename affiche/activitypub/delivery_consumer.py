"""Outbound delivery, the consuming half: sign, POST, retry with back-off, dead-letter.

functions/outbox hands each SQS batch of DeliveryMessages to `consume_batch`. Each message is one
activity for one inbox; its fate, decided by `Deliverer.handle`:

    send --2xx--------------------------------> delivered
    send --4xx (not 429), redirect, blocked URL, no sender key--> dead letter (with the reason)
    send --5xx, 429, timeout, refused, DNS----> re-queued with attempt+1 after a back-off
                                               (DELAY_BASE * 2^attempt, at most MAX_BACKOFF,
                                               at least what Retry-After asks)
         ... past MAX_AGE (about two days) since first queued --> dead letter
    domain marked unavailable ----------------> dead letter "domain unavailable" (one probe per
                                               PROBE_INTERVAL still tries, and a success clears
                                               the mark)

SQS delays a message at most 15 minutes: a longer back-off is kept in the message
(`not_before`) and a message received too early is put back for the rest of its wait, without
a try. Requests are signed at send time with the sender's current key (draft-cavage rsa-sha256
over `(request-target) host date digest content-type`, with Digest), `""` being the instance
actor, and go through the guarded client (no private addresses, time and size limits).

Nothing is dropped silently: every message ends delivered, re-queued, or in the dead-letter queue
with its reason; an unexpected error (DynamoDB or SQS failing) leaves the message in the queue
(reported in `batchItemFailures`), whose redrive policy moves it to the dead-letter queue after
8 receives.

A domain's health is one item, pk `DELIVERY_DOMAIN#{host}`, sk `A`, kind `delivery_domain`:
{first_failure, last_failure, failures, unavailable_since, last_probe}; it exists only while
the domain fails, and is marked unavailable once its failures span UNAVAILABLE_AFTER.
At most MAX_PER_DOMAIN requests run at once per domain in a process.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from affiche.activitypub import blocklist, fetch
from affiche.activitypub.delivery import DeliveryMessage, MessageQueue, SqsQueue

log = logging.getLogger(__name__)

MAX_DELAY = 900  # SQS DelaySeconds maximum
DELAY_BASE = 60  # seconds before the first retry
MAX_BACKOFF = 6 * 3600
MAX_AGE = timedelta(days=2)
UNAVAILABLE_AFTER = timedelta(days=3)
PROBE_INTERVAL = timedelta(hours=1)
MAX_PER_DOMAIN = 4
BATCH_WORKERS = 10

DELIVERED, RETRY, DEAD, WAITING = "delivered", "retry", "dead", "waiting"
# Queued before its server was blocked (or left off the allow-list): dropped, not dead-lettered,
# since sending it again is exactly what the administrator forbade.
REFUSED = "refused"


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | retry | dead | waiting
    detail: str = ""
    delay: int = 0  # seconds, for retry/waiting


# --- sending one request -------------------------------------------------------------------------

SignerFor = Callable[[str], fetch.Signer | None]  # sender name -> signer (None: no such key)
Post = Callable[[str, bytes, fetch.Signer], None]  # raises fetch.FetchError


def store_signer_for(repo: Any = None, public_url: str | None = None) -> SignerFor:
    """Signers from the stored keys: a local actor's ActorKey, or the instance actor's for ""."""
    from affiche.activitypub import instance_actor
    from affiche.activitypub.signatures import RequestSigner
    from affiche.activitypub.vocabulary import Urls
    from affiche.config import get_settings
    from affiche.domain.model import ActorKey

    if repo is None:
        from affiche.store.repository import DynamoRepository

        repo = DynamoRepository()
    base = public_url or get_settings().public_url
    cache: dict[str, fetch.Signer | None] = {}
    lock = threading.Lock()

    def signer_for(sender: str) -> fetch.Signer | None:
        with lock:
            if sender in cache:
                return cache[sender]
        if sender == "":
            signer: fetch.Signer | None = RequestSigner(instance_actor.key_id(base),
                                                        instance_actor.private_key_pem(repo))
        else:
            key = repo.get(ActorKey, sender)
            signer = (RequestSigner(Urls(base).actor(sender) + "#main-key", key.private_key_pem)
                      if key is not None and key.private_key_pem else None)
        with lock:
            cache[sender] = signer
        return signer

    return signer_for


def guarded_post(inbox: str, body: bytes, signer: fetch.Signer) -> None:
    """POST through the guarded client; raises FetchError (HttpStatusError for 4xx/5xx)."""
    fetch.Fetcher(signer=signer).post(inbox, body)


# --- domain health -------------------------------------------------------------------------------

class DomainHealth(Protocol):
    def get(self, host: str) -> dict[str, Any] | None: ...

    def put(self, host: str, state: dict[str, Any]) -> None: ...

    def clear(self, host: str) -> None: ...


class DynamoDomainHealth:
    """DomainHealth over the one table (items exist only while a domain fails)."""

    @staticmethod
    def _key(host: str) -> tuple[str, str]:
        return f"DELIVERY_DOMAIN#{host}", "A"

    def get(self, host: str) -> dict[str, Any] | None:
        from affiche.store.table import bind

        model = bind()
        try:
            state: dict[str, Any] = json.loads(model.get(*self._key(host)).data)
        except model.DoesNotExist:
            return None
        return state

    def put(self, host: str, state: dict[str, Any]) -> None:
        from affiche.store.table import bind

        model = bind()
        model(*self._key(host), kind="delivery_domain", data=json.dumps(state),
              gsi1pk="DELIVERY_DOMAINS", gsi1sk=host).save(add_version_condition=False)

    def clear(self, host: str) -> None:
        from affiche.store.table import bind

        bind()(*self._key(host)).delete(add_version_condition=False)

    def failing(self) -> list[tuple[str, dict[str, Any]]]:
        """Every domain currently failing, with its state (for administrators)."""
        from affiche.store.table import bind

        return [(item.gsi1sk or "", json.loads(item.data))
                for item in bind().gsi1.query("DELIVERY_DOMAINS")]


# --- per-domain concurrency ----------------------------------------------------------------------

_slots_lock = threading.Lock()
_slots: dict[str, threading.BoundedSemaphore] = {}


def domain_slot(host: str) -> threading.BoundedSemaphore:
    with _slots_lock:
        if host not in _slots:
            _slots[host] = threading.BoundedSemaphore(MAX_PER_DOMAIN)
        return _slots[host]


# --- the decision --------------------------------------------------------------------------------

def backoff_seconds(attempt: int, retry_after: str | None, now: datetime) -> int:
    """Seconds to wait before try number `attempt + 1` (attempt counts tries made)."""
    delay = min(DELAY_BASE * 2 ** max(attempt - 1, 0), MAX_BACKOFF)
    asked = _retry_after(retry_after, now)
    return int(min(max(delay, asked), MAX_BACKOFF))


def _retry_after(value: str | None, now: datetime) -> int:
    """Retry-After as seconds (delta-seconds or an HTTP date); 0 when absent or unreadable."""
    if not value:
        return 0
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(int(value[:9]), MAX_BACKOFF)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, min(int((when - now).total_seconds()), MAX_BACKOFF))


def classify(error: fetch.FetchError) -> tuple[bool, str]:
    """(worth retrying, description) for a failed POST."""
    if isinstance(error, fetch.HttpStatusError):
        status = error.status
        return status == 429 or status >= 500, f"HTTP {status}"
    if isinstance(error, fetch.TimedOut | fetch.TransportFailed | fetch.ResolutionFailed):
        return True, error.reason
    return False, f"{error.reason}: {error.message}"  # blocked address, redirects...


def _parse_time(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class Deliverer:
    """Handles delivery messages: sends, and re-queues or dead-letters what did not land."""

    queue: MessageQueue
    dead_letters: MessageQueue
    signer_for: SignerFor
    health: DomainHealth
    post: Post = guarded_post
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # The federation policy (blocklist.refusal): why a host may not receive anything, or None.
    refusal: Callable[[str], str | None] = lambda host: None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._health: dict[str, dict[str, Any] | None] = {}

    # --- health, cached for the batch ---------------------------------------------------------
    def _state(self, host: str) -> dict[str, Any] | None:
        with self._lock:
            if host in self._health:
                return self._health[host]
        state = self.health.get(host)
        with self._lock:
            self._health[host] = state
        return state

    def _set_state(self, host: str, state: dict[str, Any] | None) -> None:
        with self._lock:
            self._health[host] = state
        if state is None:
            self.health.clear(host)
        else:
            self.health.put(host, state)

    def _may_try(self, host: str, now: datetime) -> bool:
        """False for an unavailable domain, except one probe per PROBE_INTERVAL."""
        state = self._state(host)
        if not state or not state.get("unavailable_since"):
            return True
        last_probe = _parse_time(state.get("last_probe", "")) or datetime.min.replace(tzinfo=UTC)
        if now - last_probe < PROBE_INTERVAL:
            return False
        self._set_state(host, {**state, "last_probe": now.isoformat()})
        return True

    def _failed(self, host: str, now: datetime) -> None:
        state = dict(self._state(host) or {"first_failure": now.isoformat(), "failures": 0})
        state["failures"] = int(state.get("failures", 0)) + 1
        state["last_failure"] = now.isoformat()
        first = _parse_time(state["first_failure"]) or now
        if not state.get("unavailable_since") and now - first >= UNAVAILABLE_AFTER:
            state["unavailable_since"] = now.isoformat()
            log.warning("delivery: %s failing since %s: marked unavailable", host, first)
        self._set_state(host, state)

    def _succeeded(self, host: str) -> None:
        if self._state(host) is not None:
            log.info("delivery: %s answers again", host)
            self._set_state(host, None)

    # --- one message ----------------------------------------------------------------------------
    def handle(self, message: DeliveryMessage) -> Outcome:
        """Deliver (or re-queue, or dead-letter) one message; raises only on infrastructure
        errors (the queue then redelivers the message)."""
        now = self.clock()
        waiting = self._wait_left(message, now)
        if waiting:
            self.queue.send([message.to_json()], min(waiting, MAX_DELAY))
            return Outcome(WAITING, delay=waiting)
        outcome = self._try(message, now)
        if outcome.status == DEAD:
            self.dead_letters.send([replace(message, reason=outcome.detail).to_json()])
        elif outcome.status == RETRY:
            later = now + timedelta(seconds=outcome.delay)
            retry = replace(message, attempt=message.attempt + 1, not_before=later.isoformat(),
                            error=outcome.detail)
            self.queue.send([retry.to_json()], min(outcome.delay, MAX_DELAY))
        return outcome

    @staticmethod
    def _wait_left(message: DeliveryMessage, now: datetime) -> int:
        when = _parse_time(message.not_before) if message.not_before else None
        return max(0, int((when - now).total_seconds())) if when else 0

    def _try(self, message: DeliveryMessage, now: datetime) -> Outcome:
        host = (urlsplit(message.inbox).hostname or "").lower()
        if not host:
            return Outcome(DEAD, "the inbox is not a URL")
        refused = self.refusal(host)
        if refused:
            return Outcome(REFUSED, refused)
        if not self._may_try(host, now):
            return Outcome(DEAD, "domain unavailable")
        signer = self.signer_for(message.sender)
        if signer is None:
            return Outcome(DEAD, f"the sender {message.sender!r} has no key")
        body = json.dumps(message.activity, ensure_ascii=False).encode()
        try:
            with domain_slot(host):
                self.post(message.inbox, body, signer)
        except fetch.TooLarge:
            pass  # the answer was 2xx, only its body is oversized: the activity was delivered
        except fetch.FetchError as error:
            return self._after_failure(message, error, host, now)
        self._succeeded(host)
        return Outcome(DELIVERED)

    def _after_failure(self, message: DeliveryMessage, error: fetch.FetchError, host: str,
                       now: datetime) -> Outcome:
        transient, detail = classify(error)
        if not transient:
            return Outcome(DEAD, detail)
        self._failed(host, now)
        first = _parse_time(message.first_queued) or now
        if now - first >= MAX_AGE:
            return Outcome(DEAD, f"gave up after {message.attempt + 1} tries over "
                                 f"{(now - first).days} days; last: {detail}")
        retry_after = error.retry_after if isinstance(error, fetch.HttpStatusError) else None
        return Outcome(RETRY, detail, backoff_seconds(message.attempt + 1, retry_after, now))

    def handle_body(self, body: str) -> Outcome:
        """`handle` for a raw queue message body; an unreadable body is dead-lettered as is."""
        try:
            message = DeliveryMessage.from_json(body)
        except (ValueError, KeyError, TypeError):
            self.dead_letters.send([json.dumps({"reason": "unreadable message", "raw": body})])
            return Outcome(DEAD, "unreadable message")
        return self.handle(message)


# --- the queues ----------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def dead_letter_queue_url(queue_url: str) -> str:
    """The URL of the queue's dead-letter queue, read from its redrive policy (one place to
    configure it: the template's RedrivePolicy, or create_resources locally)."""
    from affiche.aws import client

    sqs = client("sqs")
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    arn = policy["deadLetterTargetArn"].split(":")
    return str(sqs.get_queue_url(QueueName=arn[5], QueueOwnerAWSAccountId=arn[4])["QueueUrl"])


def default_deliverer() -> Deliverer:
    from affiche.config import get_settings

    queue_url = get_settings().delivery_queue_url
    return Deliverer(queue=SqsQueue(queue_url),
                     dead_letters=SqsQueue(dead_letter_queue_url(queue_url)),
                     signer_for=store_signer_for(), health=DynamoDomainHealth(),
                     refusal=blocklist.refusal)


def consume_batch(records: Iterable[dict[str, Any]],
                  deliverer: Deliverer | None = None) -> list[str]:
    """Handle an SQS batch concurrently; returns the message ids that failed (to be retried by
    the queue: `batchItemFailures`)."""
    records = list(records)
    if not records:
        return []
    deliverer = deliverer or default_deliverer()
    failed: list[str] = []
    with ThreadPoolExecutor(max_workers=min(BATCH_WORKERS, len(records))) as pool:
        futures = [(record["messageId"], pool.submit(deliverer.handle_body, record["body"]))
                   for record in records]
        for message_id, future in futures:
            try:
                future.result()
            except Exception:  # reported to the queue, which redelivers it
                log.exception("delivery message %s failed", message_id)
                failed.append(message_id)
    return failed
