"""On Lambda, what the functions do shows up as metrics and correlated JSON logs.

Given the functions running as on Lambda (metrics emitted), when the inbox refuses a delivery
and the outbox works through a delivery batch, then each invocation prints CloudWatch Embedded
Metric Format lines naming what happened (InboxRefused, Deliveries, DeliveryFailures) in the
`affiche` namespace; outside Lambda nothing is printed; log lines are JSON with the request's id.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from affiche.observe import correlate, logger
from functions.inbox.handler import lambda_handler as inbox
from functions.outbox.handler import lambda_handler as outbox
from tests.apigw import http_event


def emitted(printed: str) -> dict[str, float]:
    """Metric name -> value of the EMF lines among what was printed."""
    found: dict[str, float] = {}
    for line in printed.splitlines():
        try:
            record: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            assert directive["Namespace"] == "affiche"
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                found[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return found


@pytest.fixture
def on_lambda(aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFICHE_METRICS", "1")


def test_a_refused_inbox_delivery_is_counted(
        on_lambda: None, capsys: pytest.CaptureFixture[str]) -> None:
    answer = inbox(http_event("POST", "/inbox", body={"type": "Follow"}), None)
    assert answer["statusCode"] >= 400  # unsigned
    assert emitted(capsys.readouterr().out) == {"InboxRefused": 1.0}


def test_a_delivery_batch_counts_what_failed(
        on_lambda: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.activitypub.delivery_consumer import Deliverer

    def broken(self: Deliverer, body: str) -> None:
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(Deliverer, "handle_body", broken)
    event = {"Records": [{"messageId": "m1", "body": "{}", "eventSource": "aws:sqs"}]}
    assert outbox(event, None) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert emitted(capsys.readouterr().out) == {"DeliveryFailures": 1.0}


def test_outside_lambda_nothing_is_printed(
        aws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inbox(http_event("POST", "/inbox", body={"type": "Follow"}), None)
    assert emitted(capsys.readouterr().out) == {}


def test_log_lines_carry_the_correlation_id() -> None:
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        correlate("req-123")
        logger.info("published")
    finally:
        correlate(None)
        logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["correlation_id"] == "req-123" and line["message"] == "published"
