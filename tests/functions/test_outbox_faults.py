"""A failing side effect after a write never loses it: S3 (pages) and SES (mail) failures injected
at the botocore level (tests/faults.py) while the outbox function consumes the change stream, fed
by the local runner's StreamPoller exactly as `affiche dev` feeds it.

A brief failure is retried and the effect happens once; a lasting one leaves the change in the
stream's failure queue, and `affiche failures replay` completes it once the fault is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.cli import main as cli
from affiche.config import get_settings, reset_settings
from affiche.local.pollers import StreamPoller
from affiche.publish import stream_failures
from functions.api.handler import lambda_handler
from tests.faults import Fault, inject
from tests.functions.api_client import ApiClient, signed_up

DENIED = Fault("s3", "PutObject", "AccessDenied", status=403)  # not retried by botocore itself
REJECTED = Fault("sesv2", "SendEmail", "MessageRejected")


@pytest.fixture
def people(aws: Path, cheap_crypto: None) -> tuple[ApiClient, ApiClient]:
    """ann, organiser of an event of her group @club, and bob."""
    ann = ApiClient(lambda_handler)
    signed_up(ann, aws / "mail", "ann@example.org", "ann")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club",
                                    "openness": "open"}).status == 201
    bob = ApiClient(lambda_handler)
    signed_up(bob, aws / "mail", "bob@example.org", "bob")
    return ann, bob


@pytest.fixture
def outbox(people: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[StreamPoller]:
    """The stream from now on, with the failure queue and the runner's retries (no waiting)."""
    from functions.outbox.handler import lambda_handler as outbox_handler

    monkeypatch.setattr("affiche.local.pollers.time.sleep", lambda _s: None)
    yield StreamPoller(get_settings().table_name, outbox_handler,
                       on_failure_queue=stream_failures.queue_url())


def drain(poller: StreamPoller) -> None:
    for _ in range(50):
        if not poller.poll_once():
            return
    raise AssertionError("the stream never settled")


def page_exists(key: str) -> bool:
    found = client("s3").list_objects_v2(Bucket=get_settings().site_bucket, Prefix=key)
    return bool(found.get("Contents"))


def new_event(ann: ApiClient) -> str:
    created = ann.post("/api/groups/club/events", {
        "title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T15:00",
        "timezone": "Europe/Paris"})
    assert created.status == 201, created.body
    return str(created.body["uuid"])


def test_brief_s3_failure_is_retried_and_the_page_published(people: Any,
                                                            outbox: StreamPoller) -> None:
    ann, _ = people
    with inject(Fault("s3", "PutObject", "AccessDenied", status=403, times=1)) as log:
        uuid = new_event(ann)
        drain(outbox)
    assert log.injected == 1
    assert page_exists(f"events/{uuid}/index.html")
    assert stream_failures.failures() == []


def test_lasting_s3_failure_lands_in_the_failure_queue_and_replays(
        people: Any, outbox: StreamPoller, capsys: pytest.CaptureFixture[str]) -> None:
    ann, _ = people
    # Given the bucket refusing every write while an event is created
    with inject(DENIED):
        uuid = new_event(ann)
        drain(outbox)
    # Then the write is kept (the API answered 201), the page is not there, and the change is in
    # the failure queue, which an administrator lists
    assert ann.get(f"/api/events/{uuid}").status == 200
    assert not page_exists(f"events/{uuid}/index.html")
    assert cli(["failures", "list"]) == 0
    assert "1 failed change(s)" in capsys.readouterr().out
    # When the administrator replays it after the fault is gone
    assert cli(["failures", "replay"]) == 0
    # Then the page is published and the queue is empty
    assert "1 replayed, 0 failed again" in capsys.readouterr().out
    assert page_exists(f"events/{uuid}/index.html")
    assert stream_failures.failures() == []


def test_a_replay_that_fails_again_keeps_the_change(people: Any, outbox: StreamPoller) -> None:
    ann, _ = people
    with inject(DENIED):
        new_event(ann)
        drain(outbox)
        assert stream_failures.replay(outbox.handler) == (0, 1)
    assert len(stream_failures.failures()) == 1


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Mail through SES (moto's), from a verified address; returns what SES accepted."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    monkeypatch.setenv("AFFICHE_MAIL_MODE", "ses")
    monkeypatch.setenv("AFFICHE_MAIL_FROM", "noreply@affiche.test")
    reset_settings()
    client("sesv2").create_email_identity(EmailIdentity="noreply@affiche.test")
    sent: list[Any] = ses_backends[DEFAULT_ACCOUNT_ID][get_settings().aws_region].sent_messages
    return sent


def _mails_to(sent: list[Any], address: str) -> int:
    return sum(address in message.destinations for message in sent)


def test_ses_failures_are_retried_then_queued_and_each_mail_goes_once(
        people: Any, outbox: StreamPoller, ses: list[Any]) -> None:
    ann, bob = people
    uuid = new_event(ann)
    drain(outbox)
    # Given SES refusing one send: bob's comment is mailed to ann once, on the retry
    with inject(Fault("sesv2", "SendEmail", "MessageRejected", times=1)) as log:
        assert bob.post(f"/api/events/{uuid}/comments", {"text": "Count me in"}).status == 201
        drain(outbox)
    assert log.injected == 1
    assert _mails_to(ses, "ann@example.org") == 1
    # Given SES refusing every send: the next comment's mail waits in the failure queue
    with inject(REJECTED):
        assert bob.post(f"/api/events/{uuid}/comments", {"text": "Bringing bread"}).status == 201
        drain(outbox)
    assert _mails_to(ses, "ann@example.org") == 1
    assert len(stream_failures.failures()) == 1
    # When it is replayed (twice, as a careless administrator might): ann gets it once
    assert stream_failures.replay(outbox.handler) == (1, 0)
    assert stream_failures.replay(outbox.handler) == (0, 0)
    assert _mails_to(ses, "ann@example.org") == 2
