"""The local runner's queues survive a restart: the messages of the emulator's SQS queues (the
delivery queue, its dead letters, the stream's failure queue) are journaled like the table.

moto keeps queues in memory only, so without this a restart of `affiche dev` silently dropped every
delivery waiting for a retry, every dead letter and every failed change an administrator had yet to
replay (issue 12: "faults lose nothing").

How: after the emulator acknowledged an SQS request that can change what a queue holds (a send, a
delete, a purge, and a receive, which may move a message to the dead-letter queue by the redrive
policy), `record` compares each queue's message ids with the ones it knew and appends what
appeared (the whole message) and what went (its id) to `queues.jsonl`, flushed before the answer
leaves, as journal.py does for items. Receiving or hiding a message is not recorded: a message in
flight when the runner stops is simply visible again at the next start, as when its visibility
timeout ends. `compact` writes the known messages to `queues.snapshot.jsonl` (temp file, then
rename) and empties the journal; replaying a journal over a newer snapshot ends at the same state
(each line is "this message is there" or "it is gone"), so a crash between the two is harmless.
`QueueJournal.open` reads both and puts the messages back with their ids, bodies, attributes and
sent times."""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("affiche.local")
QUEUE_JOURNAL = "queues.jsonl"
QUEUE_SNAPSHOT = "queues.snapshot.jsonl"
# SQS operations after which a queue may hold other messages (ReceiveMessage: the redrive).
CHANGES = frozenset({"SendMessage", "SendMessageBatch", "DeleteMessage", "DeleteMessageBatch",
                     "ReceiveMessage", "PurgeQueue"})
Saved = dict[str, Any]


def _backend(region: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    return sqs_backends[DEFAULT_ACCOUNT_ID][region]


def _saved(message: Any) -> Saved:
    attributes = {}
    for name, value in message.message_attributes.items():
        value = dict(value)
        if isinstance(value.get("BinaryValue"), bytes):
            value["BinaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
            value["binary"] = True
        attributes[name] = value
    return {"id": message.id, "body": message.body, "attributes": attributes,
            "system": message.system_attributes, "sent": message.sent_timestamp,
            "receives": message.approximate_receive_count,
            "delayed_until": message.delayed_until}


def _message(saved: Saved) -> Any:
    from moto.sqs.models import Message

    message = Message(saved["id"], saved["body"], saved.get("system") or {})
    attributes = {}
    for name, value in saved.get("attributes", {}).items():
        value = dict(value)
        if value.pop("binary", False):
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        attributes[name] = value
    message.message_attributes = attributes
    message.sent_timestamp = saved["sent"]
    # The receive count drives the redrive to the dead-letter queue: a restart must not reset it.
    message.approximate_receive_count = saved.get("receives", 0)
    message.delayed_until = saved.get("delayed_until", 0.0)
    return message


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            return  # only the last line can be cut short by a kill; it was never acknowledged


class QueueJournal:
    """The messages of the emulator's queues as last acknowledged, and their journal file."""

    def __init__(self, folder: Path, region: str, known: dict[str, dict[str, Saved]]) -> None:
        self.folder = folder
        self.region = region
        self.known = known  # queue name -> message id -> saved message
        self.lock = threading.Lock()
        self.entries = 0  # since the last compaction
        self._file = open(folder / QUEUE_JOURNAL, "a", encoding="utf-8")  # noqa: SIM115

    @classmethod
    def open(cls, folder: Path, region: str) -> QueueJournal:
        """Put the saved messages back in the emulator's queues (created already) and start
        a fresh journal; returns it. A queue no longer created (renamed) loses its messages
        (logged)."""
        known: dict[str, dict[str, Saved]] = {}
        for line in [*_lines(folder / QUEUE_SNAPSHOT), *_lines(folder / QUEUE_JOURNAL)]:
            messages = known.setdefault(line["queue"], {})
            if line.get("message") is None:
                messages.pop(line["id"], None)
            else:
                messages[line["id"]] = line["message"]
        backend = _backend(region)
        for name, messages in list(known.items()):
            queue = backend.queues.get(name)
            if queue is None:
                log.warning("queue %s is gone: %d saved message(s) dropped", name, len(messages))
                del known[name]
                continue
            present = {m.id for m in queue._messages}
            for saved in sorted(messages.values(), key=lambda s: s.get("sent") or 0):
                if saved["id"] not in present:
                    queue.add_message(_message(saved))
        journal = cls(folder, region, known)
        journal.compact()
        return journal

    def record(self) -> None:
        """After an acknowledged SQS change: journal the messages that appeared or went."""
        with self.lock:
            if self._file.closed:
                return  # the runner is stopping: its pollers are stopped, the snapshot written
            lines = []
            for name, queue in _backend(self.region).queues.items():
                now = {m.id: m for m in queue._messages}
                before = self.known.setdefault(name, {})
                for gone in before.keys() - now.keys():
                    del before[gone]
                    lines.append({"queue": name, "id": gone, "message": None})
                for new in now.keys() - before.keys():
                    before[new] = _saved(now[new])
                    lines.append({"queue": name, "id": new, "message": before[new]})
            if lines:
                self._file.write("".join(json.dumps(line) + "\n" for line in lines))
                self._file.flush()
                self.entries += len(lines)

    def compact(self) -> None:
        """Write every known message to the snapshot atomically, then empty the journal."""
        with self.lock:
            temp = self.folder / (QUEUE_SNAPSHOT + ".tmp")
            temp.write_text("".join(
                json.dumps({"queue": name, "id": id_, "message": saved}) + "\n"
                for name, messages in self.known.items() for id_, saved in messages.items()),
                encoding="utf-8")
            os.replace(temp, self.folder / QUEUE_SNAPSHOT)
            self._file.close()
            self._file = open(self.folder / QUEUE_JOURNAL, "w", encoding="utf-8")  # noqa: SIM115
            self.entries = 0

    def count(self) -> int:
        with self.lock:
            return sum(len(messages) for messages in self.known.values())

    def close(self) -> None:
        with self.lock:
            self._file.close()
