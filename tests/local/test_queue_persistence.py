"""The local runner's queues survive a restart (affiche/local/queue_journal.py): a failed change
waiting for an administrator, a dead delivery and a delivery waiting for its retry are still there,
with the same message ids, after `affiche dev` stops and starts again, or after it is killed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from affiche.aws import client, reset_clients
from affiche.config import (
    DEFAULT_DELIVERY_DLQ,
    DEFAULT_DELIVERY_QUEUE,
    get_settings,
    reset_settings,
)
from affiche.local.emulator import start_emulator
from affiche.local.queue_journal import QUEUE_JOURNAL, QueueJournal
from affiche.local.resources import create_resources
from tests.local.conftest import running


def _put_one_in_each(queues: dict[str, str]) -> dict[str, str]:
    """A message in each queue; the delivery queue's is delayed, so its poller leaves it there.
    Returns queue -> message id."""
    sqs = client("sqs")
    sent = {}
    for name, url in queues.items():
        sent[name] = sqs.send_message(
            QueueUrl=url, MessageBody=json.dumps({"kept": name}),
            DelaySeconds=900 if name == "queue" else 0)["MessageId"]
    return sent


def _held(queues: dict[str, str]) -> dict[str, set[str]]:
    """queue -> ids of the messages it holds (visible, or delayed: read from the emulator)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[DEFAULT_ACCOUNT_ID][get_settings().aws_region]
    return {name: {m.id for m in backend.queues[url.rsplit("/", 1)[1]]._messages}
            for name, url in queues.items()}


def _queues() -> dict[str, str]:
    sqs = client("sqs")
    names = {"queue": DEFAULT_DELIVERY_QUEUE, "dlq": DEFAULT_DELIVERY_DLQ,
             "stream_failures": f"{get_settings().table_name}-stream-failures"}
    return {name: sqs.get_queue_url(QueueName=queue)["QueueUrl"] for name, queue in names.items()}


def test_queued_messages_survive_a_restart_of_the_runner(tmp_path: Path, restore_env: None,
                                                         cheap_crypto: None) -> None:
    data = tmp_path / "data"
    # Given a running instance with a message in each of its queues
    instance = running(data, empty=True)
    queues = _queues()
    sent = _put_one_in_each(queues)
    instance.stop()
    # When it starts again from the same data folder
    instance = running(data, empty=True)
    try:
        queues = _queues()
        held = _held(queues)
        # Then every message is back in its queue, with its id
        assert all(sent[name] in held[name] for name in sent), (sent, held)
        # And the failed change and the dead letter read as before
        sqs = client("sqs")
        for name in ("stream_failures", "dlq"):
            got = sqs.receive_message(QueueUrl=queues[name], VisibilityTimeout=0)["Messages"]
            assert json.loads(got[0]["Body"]) == {"kept": name}
    finally:
        instance.stop()


def _emulator_with_queues(data: Path) -> tuple[Any, dict[str, str], QueueJournal]:
    emulator = start_emulator()
    reset_settings()
    reset_clients()
    queues = create_resources()
    journal = QueueJournal.open(data, get_settings().aws_region)
    emulator.server.recorder.queues = journal
    return emulator, queues, journal


def test_a_kill_loses_no_acknowledged_message(tmp_path: Path, restore_env: None) -> None:
    data = tmp_path
    # Given messages sent, one of them deleted, and the emulator gone without a compaction
    emulator, queues, _journal = _emulator_with_queues(data)
    sqs = client("sqs")
    sent = _put_one_in_each(queues)
    doomed = sqs.send_message(QueueUrl=queues["dlq"], MessageBody="replayed")["MessageId"]
    got = sqs.receive_message(QueueUrl=queues["dlq"], MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=queues["dlq"], ReceiptHandle=next(
        m["ReceiptHandle"] for m in got if m["MessageId"] == doomed))
    assert (data / QUEUE_JOURNAL).stat().st_size > 0
    emulator.stop()  # nothing saved at stop: what survives is what the journal holds
    # When a new emulator starts from the data folder
    emulator, queues, journal = _emulator_with_queues(data)
    try:
        held = _held(queues)
        # Then what was acknowledged is there, and the deleted message is not
        assert all(sent[name] in held[name] for name in sent)
        assert doomed not in held["dlq"]
        assert journal.count() == 3
        # And the messages received before the kill are visible again
        got = client("sqs").receive_message(QueueUrl=queues["dlq"], VisibilityTimeout=0)
        assert [m["MessageId"] for m in got["Messages"]] == [sent["dlq"]]
    finally:
        journal.close()
        emulator.stop()
