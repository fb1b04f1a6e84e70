"""Outbox: the one consumer of the table's change stream (and of the delivery queue).

For each new activity it re-renders exactly the pages the activity touches and writes them to the
site bucket, queues its deliveries to remote inboxes (affiche.activitypub.fanout), then sends the
mails the activity causes (affiche/notify: never inline in a request); an `OutgoingMail` item
(an account mail a request wrote with its change) is sent, then deleted (notify/outgoing.py).
For each inbound activity the inbox stored it runs the inbound handlers
(affiche/activitypub/inbound.py). Batches of the
delivery queue (SQS) are signed and POSTed (affiche/activitypub/delivery_consumer.py).
Failures are reported per record (`batchItemFailures`) so only they are retried; re-rendering is
idempotent, deliveries are at least once (receivers de-duplicate on the activity id) and the
mail ledger keeps a retried record from mailing anyone twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from affiche.activitypub.fanout import fan_out
from affiche.activitypub.vocabulary import Urls
from affiche.config import get_settings
from affiche.domain.model import Activity, OutgoingMail
from affiche.domain.ports import SystemClock
from affiche.mail import mailer
from affiche.notify import notify, outgoing
from affiche.observe import correlate, count, observed
from affiche.publish import cdn, stream_failures
from affiche.publish.gone_index import apply as apply_gone
from affiche.publish.gone_index import gone_index
from affiche.publish.service import index_batch, publish
from affiche.publish.writers import BucketWriter
from affiche.store import failure_notes
from affiche.store.mail_ledger import MailLedger
from affiche.store.repository import DynamoRepository
from affiche.store.stream import entity_from_image

if TYPE_CHECKING:  # the renderer (templates, calendars) loads on the first publish only
    from affiche.publish.renderer import Output


class NotingProcessor(BatchProcessor):
    """Powertools' processor that also notes why each record failed (store/failure_notes.py):
    the failure queue's entries then tell an administrator why, which no partial batch response
    can carry."""

    def failure_handler(self, record: Any, exception: Any) -> Any:
        answer = super().failure_handler(record, exception)
        raw = getattr(record, "raw_event", None) or {}
        key = (raw.get("dynamodb") or {}).get("Keys")
        if key and exception[1] is not None:
            failure_notes.note(key, exception[1])
        return answer


log = logging.getLogger("affiche.outbox")
stream_processor = NotingProcessor(event_type=EventType.DynamoDBStreams)
# What the records of the current batch wrote: one CDN invalidation after the batch (cdn.py).
_published: list[Output] = []
# The artifacts rendered for the current batch: each is rendered once per batch (service.py).
_rendered: set[tuple[str, ...]] = set()
# The activities of the current batch whose indexes are written ahead (service.index_batch).
_indexed: set[str] = set()


# The kinds of inserted items this function acts on; the template's stream filter lets through
# exactly these (tests/infra/test_transformed.py), so a kind added here must be added there.
STREAM_KINDS = frozenset({"inbound", OutgoingMail.kind, Activity.kind})


def handle_change(record: DynamoDBRecord) -> None:
    if record.event_name is not DynamoDBRecordEventName.INSERT:
        return  # activities are immutable: only their insertion means something
    image = record.dynamodb.new_image if record.dynamodb else None
    if image is not None and image.get("kind") == "inbound":
        from affiche.activitypub import inbound

        inbound.process_image(image)
        count("InboundProcessed")
        return
    activity = entity_from_image(image)
    if isinstance(activity, OutgoingMail):  # an account mail a request wrote (notify/outgoing.py)
        outgoing.send(activity, repo=DynamoRepository(), mailer=mailer(get_settings()),
                      ledger=MailLedger(), now=SystemClock().now())
        return
    if not isinstance(activity, Activity):
        return
    _publish(activity)


def _activity_of(raw: dict[str, Any]) -> Activity | None:
    """The activity a stream record inserts; None for anything else, or anything its own
    handling will report as broken."""
    try:
        record = DynamoDBRecord(raw)
        if record.event_name is not DynamoDBRecordEventName.INSERT or record.dynamodb is None:
            return None
        image = record.dynamodb.new_image
        if not image or image.get("kind") != Activity.kind:
            return None
        activity = entity_from_image(image)
    except Exception:  # noqa: BLE001 - handle_change meets the record again and reports it
        return None
    return activity if isinstance(activity, Activity) else None


def _index_ahead(records: list[dict[str, Any]]) -> None:
    """A batch of several changes: index them all before publishing the first (service.py)."""
    if len(records) > 1:
        _indexed.update(index_batch([a for a in map(_activity_of, records) if a is not None]))


def _publish(activity: Activity) -> None:
    correlate(activity.id)  # the log lines of its pages, deliveries and mails
    settings = get_settings()
    repo = DynamoRepository()
    output = publish(activity, settings=settings, store=repo,
                     writer=BucketWriter(settings.site_bucket), now=SystemClock().now(),
                     done=_rendered, indexed=activity.id in _indexed)
    index = gone_index()
    if index is not None:  # deployed: the CDN answers 410 from it (gone_index.py)
        apply_gone(index, output)
    _published.append(output)
    # After the pages: a remote server that fetches the object on receipt finds it written.
    # A failure here retries the record, re-rendering idempotently; deliveries are at least once.
    fan_out(activity, repo=repo, urls=Urls(settings.public_url))
    notify(activity, repo=repo, mailer=mailer(settings), ledger=MailLedger())
    count("Publishes")


def handle_deliveries(event: dict[str, Any]) -> dict[str, Any]:
    """An SQS batch of the delivery queue: messages that failed are left for the queue."""
    from affiche.activitypub.delivery_consumer import consume_batch

    records = event.get("Records", [])
    replays = [r for r in records if stream_failures.replay_request(r.get("body", ""))]
    for record in replays:  # an administrator's replay of the failure queue (stream_failures.py)
        request = stream_failures.replay_request(record["body"]) or {}
        done, again = stream_failures.run_request(request, lambda_handler)
        log.info("failure queue replay: %d replayed, %d failed again (kept)", done, again)
    records = [r for r in records if r not in replays]
    failed = consume_batch(records)
    count("Deliveries", len(records) - len(failed))
    count("DeliveryFailures", len(failed))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or [{}]
    if records[0].get("eventSource") == "aws:sqs":
        return handle_deliveries(event)
    _published.clear()
    _rendered.clear()
    _indexed.clear()
    try:
        _index_ahead(records)
        answer: dict[str, Any] = dict(process_partial_response(
            event=event, record_handler=handle_change, processor=stream_processor,
            context=context))
        count("StreamRecordFailures", len(answer.get("batchItemFailures") or []))
        return answer
    finally:
        # Paths written by records that failed later (fan-out, mail) are invalidated too.
        paths = cdn.paths_of(_published)
        _published.clear()
        _rendered.clear()
        _indexed.clear()
        cdn.invalidator().invalidate(paths)
