"""The outbox function fed from the table's change stream, as the local runner feeds it: mails,
pages and deliveries happen there, after the commit (DESIGN.md §9). Start it before the writes
whose effects a test reads (the poller reads from LATEST, like the runner).

`send_outgoing_mail()` is the stream's part for account mails alone (confirmation and reset
links...: affiche/domain/outgoing.py): it hands each `OutgoingMail` item still in the table to the
outbox function as the INSERT the stream carries. The API test client calls it after each write
(tests/functions/api_client.py), like a stream that keeps up, so a test reads the confirmation
mail right after signing up; a test that wants to see the stream retry turns that off."""

from __future__ import annotations

import threading
import time
from typing import Any

from affiche.aws import client
from affiche.config import get_settings
from affiche.local.pollers import StreamPoller


class OutboxStream:
    def __init__(self) -> None:
        from functions.outbox.handler import lambda_handler

        self.answers: list[dict[str, Any]] = []

        def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
            answer: dict[str, Any] = lambda_handler(event, context)
            self.answers.append(answer)
            return answer

        self.poller = StreamPoller(get_settings().table_name, handle)

    def drain(self) -> None:
        """Hand every new change to the outbox function; fail if any record failed."""
        while self.poller.poll_once():
            pass
        assert all(not a.get("batchItemFailures") for a in self.answers), self.answers


def outgoing_mail_items() -> list[dict[str, Any]]:
    """The OutgoingMail items not sent yet, as DynamoDB returns them (typed values)."""
    found = client("dynamodb").query(
        TableName=get_settings().table_name, IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "OUTGOING_MAIL"}})
    return list(found.get("Items", []))


def send_outgoing_mail() -> dict[str, Any]:
    """Hand the outbox function every unsent OutgoingMail as its stream INSERT; its answer (a
    refused send is reported in `batchItemFailures` and its item stays, as in the stream)."""
    if get_settings().aws_endpoint_url:
        # A running local instance (tests/local): its own outbox sends them from its stream.
        _wait_until_sent()
        return {}
    if not _unsent.is_set():
        return {}  # no OutgoingMail committed since the last call: no query (moto scans)
    _unsent.clear()
    items = outgoing_mail_items()
    if not items:
        return {}
    from functions.outbox.handler import lambda_handler

    records = [{
        "eventID": f"outgoing-{n}", "eventName": "INSERT", "eventSource": "aws:dynamodb",
        "awsRegion": get_settings().aws_region,
        "dynamodb": {"Keys": {"pk": item["pk"], "sk": item["sk"]}, "NewImage": item,
                     "SequenceNumber": str(n + 1), "StreamViewType": "NEW_AND_OLD_IMAGES"},
    } for n, item in enumerate(items)]
    answer: dict[str, Any] = lambda_handler({"Records": records}, None)
    if answer.get("batchItemFailures"):
        _unsent.set()  # still in the table: the next call tries again
    return answer


# Set by every commit that writes an OutgoingMail, in this process (the API handlers and the
# domain services tests call run in-process): most writes mail nobody, and querying moto's
# index after each of them would cost a scan of the table.
_unsent = threading.Event()


def _watch_commits() -> None:
    from affiche.domain.model import OutgoingMail
    from affiche.store.repository import DynamoRepository

    commit = DynamoRepository.commit
    if getattr(commit, "watched", False):
        return

    def watched(self: DynamoRepository, changes: Any) -> None:
        commit(self, changes)
        if any(isinstance(entity, OutgoingMail) for entity in changes.puts):
            _unsent.set()

    watched.watched = True  # type: ignore[attr-defined]
    DynamoRepository.commit = watched  # type: ignore[method-assign]


_watch_commits()


def _wait_until_sent(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while outgoing_mail_items():
        assert time.monotonic() < deadline, "the local instance's outbox sent no account mail"
        time.sleep(0.02)
