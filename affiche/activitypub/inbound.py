"""Processing of stored inbound activities: the consumer half of the inbox (DESIGN.md §9).

The inbox stores each verified activity with state `received` and answers 202. The item's INSERT
reaches the outbox function through the table's stream (in AWS as in `affiche dev`, whose
StreamPoller feeds the same handler), which calls `process` here:

    received --dispatch--> processed           (a handler ran)
    received --dispatch--> ignored  + reason   (no handler, or the handler declined)
    received --error-----> received + attempts (re-raised: the stream retries the record)
    received --error x MAX_ATTEMPTS, or a DomainError--> failed + error

A record whose state is no longer `received` is skipped, so the stream's at-least-once delivery
(a retried batch replays the records after the failed one) never processes an activity twice.
When even recording the failure fails, the exception reaches the stream, whose retries end in
its failure queue (StreamFailureQueue in the template, the failure queue of the local runner).
Failed activities are listed by state (gsi1 `INBOUND#failed`) for administrators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from affiche.activitypub import handlers
from affiche.activitypub.inbox import RECEIVED, DynamoInbound
from affiche.domain.errors import DomainError

log = logging.getLogger(__name__)

PROCESSED, IGNORED, FAILED = "processed", "ignored", "failed"
MAX_ATTEMPTS = 3  # below the stream's own retries (5), so the item records the failure first

#: (state, event) -> next state: the whole flow of an inbound activity.
TRANSITIONS: dict[tuple[str, str], str] = {
    (RECEIVED, "handled"): PROCESSED,
    (RECEIVED, "ignored"): IGNORED,
    (RECEIVED, "error"): RECEIVED,
    (RECEIVED, "gave_up"): FAILED,
}

Dispatch = Callable[[dict[str, Any], handlers.InboundContext], handlers.Outcome]


class InboundRecords(Protocol):
    def load(self, activity_id: str) -> dict[str, Any] | None: ...

    def update(self, activity_id: str, record: dict[str, Any]) -> None: ...


def _step(record: dict[str, Any], event: str, **fields: Any) -> dict[str, Any]:
    state = TRANSITIONS[(record.get("state", RECEIVED), event)]
    return {**record, **fields, "state": state,
            "updated_at": datetime.now(UTC).isoformat()}


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def process(activity_id: str, *, store: InboundRecords | None = None,
            dispatch: Dispatch | None = None) -> str:
    """Run the handler of a stored activity once and record the outcome; returns the state.

    Re-raises a handler's unexpected error (after counting the attempt) so the caller's retry
    machinery (the stream) tries again, until MAX_ATTEMPTS, when the state becomes `failed`."""
    store = store or DynamoInbound()
    dispatch = dispatch or handlers.dispatch
    record = store.load(activity_id)
    if record is None or record.get("state", RECEIVED) != RECEIVED:
        return "skipped" if record is None else str(record["state"])
    context = handlers.InboundContext(activity_id=activity_id, signer=record.get("signer") or "",
                                      inbox=record.get("inbox"),
                                      received_at=record.get("received_at", ""))
    attempts = int(record.get("attempts", 0)) + 1
    try:
        outcome = dispatch(record["activity"], context)
    except DomainError as error:  # the rules refused it: trying again would refuse it again
        log.info("inbound %s refused: %s", activity_id, error)
        store.update(activity_id, _step(record, "gave_up", attempts=attempts,
                                        error=_describe(error)))
        return FAILED
    except Exception as error:  # recorded, then re-raised or marked failed
        if attempts >= MAX_ATTEMPTS:
            log.exception("inbound %s failed %d times: giving up", activity_id, attempts)
            store.update(activity_id, _step(record, "gave_up", attempts=attempts,
                                            error=_describe(error)))
            return FAILED
        store.update(activity_id, _step(record, "error", attempts=attempts,
                                        last_error=_describe(error)))
        raise
    event = "ignored" if outcome.ignored else "handled"
    store.update(activity_id, _step(record, event, attempts=attempts, reason=outcome.detail))
    return TRANSITIONS[(RECEIVED, event)]


def is_received_image(image: dict[str, Any] | None) -> bool:
    """Whether a stream record's new image is a freshly stored inbound activity."""
    return bool(image) and image.get("kind") == "inbound"  # type: ignore[union-attr]


def process_image(image: dict[str, Any]) -> str:
    """`process` for the stream record of an INSERTed inbound item."""
    import json

    record = json.loads(image.get("data") or "{}")
    the_id = record.get("id")
    if not isinstance(the_id, str):
        return "skipped"  # stored before ids were recorded: nothing to find it by
    return process(the_id)
