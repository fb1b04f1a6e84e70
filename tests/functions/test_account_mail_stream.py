"""Account mails (confirmation and reset links) leave through the change stream, never inline:
the request commits its change with an outgoing-mail item, and the outbox sends it from the
stream (affiche/notify/outgoing.py). SES refusals are injected at the botocore level
(tests/faults.py): the request is answered all the same, the stream retries the mail, and a
lasting refusal parks it in the failure queue until a replay sends it. Once sent, the item, and
the secret link in it, is gone from the table."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings, reset_settings
from affiche.local.pollers import StreamPoller
from affiche.publish import stream_failures
from tests.faults import Fault, inject
from tests.functions.account_support import account_of, items_mentioning, new_client
from tests.functions.api_client import ApiClient
from tests.functions.stream_support import outgoing_mail_items

REJECTED = Fault("sesv2", "SendEmail", "MessageRejected")
PASSWORD = "correct horse battery"


@pytest.fixture
def ses(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Mail through SES (moto's), from a verified address; returns what SES accepted."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    monkeypatch.setenv("AFFICHE_MAIL_MODE", "ses")
    monkeypatch.setenv("AFFICHE_MAIL_FROM", "noreply@affiche.test")
    reset_settings()
    client("sesv2").create_email_identity(EmailIdentity="noreply@affiche.test")
    sent: list[Any] = ses_backends[DEFAULT_ACCOUNT_ID][get_settings().aws_region].sent_messages
    return sent


@pytest.fixture
def stream(ses: list[Any], monkeypatch: pytest.MonkeyPatch) -> StreamPoller:
    """The outbox fed from the stream as `affiche dev` feeds it: retries, then the failure
    queue (no waiting between attempts)."""
    from functions.outbox.handler import lambda_handler as outbox_handler

    monkeypatch.setattr("affiche.local.pollers.time.sleep", lambda _s: None)
    return StreamPoller(get_settings().table_name, outbox_handler,
                        on_failure_queue=stream_failures.queue_url())


@pytest.fixture
def visitor() -> ApiClient:
    """A browser whose account mails are left to the stream (no sending after each request)."""
    found = new_client()
    found.sends_mail = False
    return found


def drain(poller: StreamPoller) -> None:
    for _ in range(50):
        if not poller.poll_once():
            return
    raise AssertionError("the stream never settled")


def mails_to(sent: list[Any], address: str) -> list[email.message.EmailMessage]:
    found = []
    for message in sent:
        if address in message.destinations:
            raw = message.raw_data
            data = raw if isinstance(raw, bytes) else str(raw).encode()
            parsed = email.message_from_bytes(data, policy=email.policy.default)
            assert isinstance(parsed, email.message.EmailMessage)
            found.append(parsed)
    return found


def link_in(message: email.message.EmailMessage) -> str:
    match = re.search(r"token=([\w-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def sign_up(visitor: ApiClient, address: str = "ann@example.org") -> None:
    answer = visitor.post("/api/accounts", {"email": address, "password": PASSWORD,
                                            "username": address.split("@")[0]})
    assert answer.status == 201, answer.body


def test_a_brief_ses_refusal_is_retried_and_the_confirmation_mailed_once(
        ses: list[Any], stream: StreamPoller, visitor: ApiClient) -> None:
    # Given SES refusing one send while ann signs up
    with inject(Fault("sesv2", "SendEmail", "MessageRejected", times=1)) as log:
        sign_up(visitor)
        # Then the request was answered 201 before any mail: the account and the mail to send
        # are stored together, nothing is mailed yet
        assert not account_of("ann@example.org").confirmed
        assert len(outgoing_mail_items()) == 1 and mails_to(ses, "ann@example.org") == []
        # When the stream reaches it: the refused send is retried, and goes once
        drain(stream)
    assert log.injected == 1
    (confirmation,) = mails_to(ses, "ann@example.org")
    # Then the outgoing item (with its secret) is gone, and the link works
    assert outgoing_mail_items() == []
    assert items_mentioning(link_in(confirmation)) == []
    assert visitor.post("/api/accounts/confirm", {"token": link_in(confirmation)}).status == 200
    assert stream_failures.failures() == []


def test_a_lasting_ses_refusal_parks_the_mail_in_the_failure_queue_until_replayed(
        ses: list[Any], stream: StreamPoller, visitor: ApiClient,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # what runs in production (botocore debug logs bodies)
    # Given SES refusing every send while ann signs up and bob (already here) asks for a reset
    sign_up(visitor, "bob@example.org")
    drain(stream)
    (bob_confirmation,) = mails_to(ses, "bob@example.org")
    assert visitor.post("/api/accounts/confirm", {"token": link_in(bob_confirmation)}).status == 200
    with inject(REJECTED):
        sign_up(visitor)
        reset = visitor.post("/api/accounts/password-reset", {"email": "bob@example.org"})
        assert reset.status == 202, reset.body
        drain(stream)
    # Then both requests were answered, nothing was mailed, and both mails wait in the failure
    # queue, their items (with the secrets) kept for the replay
    assert mails_to(ses, "ann@example.org") == [] and len(mails_to(ses, "bob@example.org")) == 1
    assert len(stream_failures.failures()) == 2
    waiting = [json.loads(item["data"]["S"]) for item in outgoing_mail_items()]
    secrets = [mail["context"]["token"] for mail in waiting]
    assert len(secrets) == 2
    # and no secret is in the failure queue's messages nor in the logs
    bodies = json.dumps([failure.summary() for failure in stream_failures.failures()])
    queued = client("sqs").receive_message(QueueUrl=stream_failures.queue_url(),
                                           MaxNumberOfMessages=10, VisibilityTimeout=0)
    for secret in secrets:
        assert secret not in bodies and secret not in json.dumps(queued)
        assert secret not in caplog.text
    # When the administrator replays the queue once SES is back (twice, carelessly)
    assert stream_failures.replay(stream.handler) == (2, 0)
    assert stream_failures.replay(stream.handler) == (0, 0)
    drain(stream)  # the items' deletions go by: nothing is sent again
    # Then each mail went exactly once, its link works, and the items are gone
    (ann_confirmation,) = mails_to(ses, "ann@example.org")
    reset_mail = mails_to(ses, "bob@example.org")[-1]  # SES keeps them in sending order
    assert len(mails_to(ses, "bob@example.org")) == 2
    assert outgoing_mail_items() == []
    assert visitor.post("/api/accounts/confirm", {"token": link_in(ann_confirmation)}).status == 200
    done = visitor.post("/api/accounts/password-reset/complete",
                        {"token": link_in(reset_mail), "password": "a new horse battery"})
    assert done.status == 200, done.body


def test_the_test_client_sends_account_mail_after_each_write(aws: Path, cheap_crypto: None,
                                                            mail: Path) -> None:
    # The maildir path the other tests read: the mail is there right after the request, and the
    # item that carried it is gone
    from tests.functions.api_client import last_mail_link

    sign_up(new_client())
    assert last_mail_link(mail, "ann@example.org")
    assert outgoing_mail_items() == []
