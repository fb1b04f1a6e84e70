"""The local runner's write-ahead journal: every write the emulator acknowledges is on disk before
its answer leaves the emulator, so a `kill -9` of `affiche dev` loses no acknowledged write.

How (DESIGN.md §6: "a journal of changes compacted now and then, written atomically"):
- `Recorder` wraps moto's WSGI app. After a DynamoDB write answers 200 it appends the new state of
  every item the request named (`{"key", "item"}`, item None when deleted) to `journal.jsonl` and
  flushes it to the OS; after an upload under media/ answers 200 it writes the file (temp file,
  then rename). moto's work runs under one lock (emulator.ParallelMotoServer) and the journal is
  written under it too, so the journal's order is the order of the writes.
- The runner's Saver rotates the journal into a numbered segment, waits until the outbox has
  handled every change so far, then `fold` exports the whole table atomically (backup.export_table:
  temp file, then rename) and only then deletes the segments it covers. The
  export is taken after the rotation, so it holds everything the segments hold; entries written
  meanwhile stay in the live journal and are replayed over it, which is harmless: each entry is
  an item's whole state at that moment, so replaying in order ends at the latest state.
- `load` reads the export, applies the segments and the journal in order, and puts the result in
  the table; a crash at any point of a compaction leaves files `load` reads correctly.

The queues' messages are journaled the same way, in their own files (queue_journal.py).

Flushing (not fsync-ing) each entry survives the process being killed; an operating-system crash
may lose the last writes, a price a local instance pays for not waiting on the disk per write."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from affiche.aws import client
from affiche.config import get_settings
from affiche.local.queue_journal import CHANGES as QUEUE_CHANGES
from affiche.local.queue_journal import QueueJournal
from affiche.store import backup

JOURNAL_FILE = "journal.jsonl"
# Items whose insertion the outbox acts on (functions/outbox/handler.py): activities (pages,
# deliveries, mail), inbound activities (their handlers) and account mails not sent yet.
UNFINISHED_KINDS = ("activity", "inbound", "outgoing_mail")
MEDIA_PREFIX = "media/"
_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
_QUEUE_WAKES = ("SendMessage", "SendMessageBatch", "ChangeMessageVisibility",
                "ChangeMessageVisibilityBatch")
Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class Journal:
    """The append-only file of acknowledged item states, with rotation into segments."""

    def __init__(self, folder: Path, table: str, region: str, bucket: str) -> None:
        self.folder = folder
        self.table = table
        self.region = region
        self.bucket = bucket
        self.lock = threading.Lock()
        self.entries = 0  # since the last rotation: compaction is due past a threshold
        self._file = open(folder / JOURNAL_FILE, "a", encoding="utf-8")  # noqa: SIM115

    def append(self, lines: list[str]) -> None:
        with self.lock:
            # Counted first: a write after `close` (which raises) must still show in `entries`,
            # which the runner reads at stop to know the export holds every write.
            self.entries += len(lines)
            self._file.write("".join(line + "\n" for line in lines))
            self._file.flush()

    def rotate(self) -> Path:
        """Close the live journal as the next segment and open an empty one; returns the segment."""
        with self.lock:
            self._file.close()
            segment = self.folder / f"journal.{_next_segment(self.folder):06d}.jsonl"
            os.replace(self.folder / JOURNAL_FILE, segment)
            self._file = open(self.folder / JOURNAL_FILE, "a", encoding="utf-8")  # noqa: SIM115
            self.entries = 0
            return segment

    def close(self) -> None:
        with self.lock:
            self._file.close()


def _segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("journal.[0-9]*.jsonl"))


def _next_segment(folder: Path) -> int:
    found = _segments(folder)
    return int(found[-1].name.split(".")[1]) + 1 if found else 1


def fold(journal: Journal) -> None:
    """Fold the rotated segments into the table export (see the module docstring for the order).
    The caller rotated first, and made sure the outbox handled what the segments hold."""
    covered = _segments(journal.folder)
    backup.export_table(journal.folder / "table.jsonl")
    for segment in covered:
        segment.unlink()


def load(folder: Path, snapshot: Path, lock: AbstractContextManager[Any] | None = None
         ) -> tuple[int, list[dict[str, Any]]]:
    """Import the export and every journal entry after it: (how many items exist, the items of
    `UNFINISHED_KINDS` the journal holds, as stored now).

    A journal is folded only after the outbox handled its changes (runner.Saver), so an activity
    still in a journal may not have had its mail or deliveries when the process died: the
    runner hands those to the outbox again (its steps are idempotent). The merged state is then
    exported (atomically) and the journal files removed, so a start begins with an empty journal.
    `lock`: the emulator's, held while the items go into moto (`_import`)."""
    journals = _journals(folder)
    if not has_changes(folder):
        # A clean stop leaves an empty live journal: nothing to replay, and no need to export
        # the table again (a Scan of the whole table at 2,000 events).
        for path in journals:
            path.unlink(missing_ok=True)
        return _import(snapshot, lock), []
    items, touched = _replay(folder, snapshot, _key_names())
    merged = folder / "merged.jsonl.tmp"
    merged.write_text("".join(json.dumps(item) + "\n" for item in items.values()))
    count = _import(merged, lock)
    merged.unlink()
    backup.export_table(snapshot)
    for path in journals:
        path.unlink(missing_ok=True)
    unfinished = [items[key] for key in dict.fromkeys(touched) if key in items
                  and items[key].get("kind", {}).get("S") in UNFINISHED_KINDS]
    return count, unfinished


def _import(path: Path, lock: AbstractContextManager[Any] | None) -> int:
    """backup.import_table, the items put straight into moto's table (the runner's emulator or
    a test's): through BatchWriteItem, 4,000 items took 1 to 2 s of each start."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    if not path.exists():
        return 0
    settings = get_settings()
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.aws_region]
    with lock or nullcontext():
        for item in items:
            backend.put_item(settings.table_name, item)
    return len(items)


def has_changes(folder: Path) -> bool:
    """Whether a journal holds entries the export may not (what `load` replays)."""
    return any(path.exists() and path.stat().st_size > 0 for path in _journals(folder))


def _journals(folder: Path) -> list[Path]:
    return [*_segments(folder), folder / JOURNAL_FILE]


def _replay(folder: Path, snapshot: Path, names: list[str]
            ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The items the export and the journals after it hold, by key, and the keys the journals
    touched, in order."""
    items: dict[str, dict[str, Any]] = {}
    if snapshot.exists():
        for line in snapshot.read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                items[_key_of({name: item[name] for name in names})] = item
    touched: list[str] = []
    for path in _journals(folder):
        for entry in _entries(path):
            key = _key_of(entry["key"])
            touched.append(key)
            if entry["item"] is None:
                items.pop(key, None)
            else:
                items[key] = entry["item"]
    return items, touched


def stored_items(folder: Path, snapshot: Path, names: list[str]) -> list[dict[str, Any]]:
    """What a data folder holds now (the export with the journal replayed over it), read without
    a table: the journal is folded into the export only now and then (runner.Saver), so the
    export alone lags behind a running instance. `names`: the table's key attributes."""
    return list(_replay(folder, snapshot, names)[0].values())


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            # Only the very last line can be cut short (killed mid-write); its write was never
            # acknowledged, since the answer leaves after the flush.
            return


def _key_names() -> list[str]:
    described = client("dynamodb").describe_table(TableName=get_settings().table_name)
    return [part["AttributeName"] for part in described["Table"]["KeySchema"]]


def _key_of(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)


class Recorder:
    """WSGI middleware around moto: journals each acknowledged write before answering it."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.journal: Journal | None = None  # set once the saved data is imported
        self.queues: QueueJournal | None = None  # set once the saved messages are back
        # Wake the poller a request concerns (pollers.py): a table write, a message sent or
        # made visible. Set once the pollers exist.
        self.on_table_write: Callable[[], None] | None = None
        self.on_queue_send: Callable[[], None] | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        try:
            return self._route(target, environ, start_response)
        finally:
            service, _, operation = target.partition(".")
            if operation in _WRITES and service.startswith("DynamoDB_") and self.on_table_write:
                self.on_table_write()
            elif service == "AmazonSQS" and operation in _QUEUE_WAKES and self.on_queue_send:
                self.on_queue_send()

    def _route(self, target: str, environ: Environ,
               start_response: StartResponse) -> Iterable[bytes]:
        queues = self.queues
        if (queues is not None and target.startswith("AmazonSQS.")
                and target.split(".", 1)[1] in QUEUE_CHANGES):
            return self._answer(environ, start_response, queues.record)
        journal = self.journal
        if journal is None:
            return self.app(environ, start_response)
        operation = target.rsplit(".", 1)[-1] if target.startswith("DynamoDB_") else ""
        is_media = (environ.get("REQUEST_METHOD") == "PUT"
                    and _media_path(journal, environ) is not None)
        if operation not in _WRITES and not is_media:
            return self.app(environ, start_response)
        body = _read_body(environ) if operation else b""  # an upload is read from moto after

        def keep() -> None:
            if operation:
                journal.append(_item_states(journal, operation, body))
            else:
                _save_media(journal, environ)

        return self._answer(environ, start_response, keep)

    def _answer(self, environ: Environ, start_response: StartResponse,
                keep: Callable[[], None]) -> Iterable[bytes]:
        """Let moto answer, run `keep` if the answer is a success, then send the answer."""
        answered: list[Any] = []

        def capture(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            answered[:] = [status, headers, exc_info]
            return lambda _data: None

        chunks = b"".join(self.app(environ, capture))
        if answered and answered[0].startswith("200"):
            keep()
        start_response(*answered)
        return [chunks]


def _read_body(environ: Environ) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _named_keys(operation: str, request: dict[str, Any]) -> list[tuple[str, Any]]:
    """(table, key-or-item) for every item a write request names."""
    if operation == "PutItem":
        return [(request["TableName"], request["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(request["TableName"], request["Key"])]
    if operation == "BatchWriteItem":
        return [(table, (entry.get("PutRequest") or {}).get("Item")
                 or (entry.get("DeleteRequest") or {}).get("Key"))
                for table, entries in request.get("RequestItems", {}).items()
                for entry in entries]
    named = []
    for entry in request.get("TransactItems", []):
        for kind, op in entry.items():
            if kind != "ConditionCheck":
                named.append((op["TableName"], op.get("Item") or op.get("Key")))
    return named


def _item_states(journal: Journal, operation: str, body: bytes) -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][journal.region].tables.get(journal.table)
    if table is None:
        return []
    lines = []
    for name, named in _named_keys(operation, json.loads(body)):
        if name != journal.table or not named:
            continue
        key = {attr: named[attr] for attr in (table.hash_key_attr, table.range_key_attr) if attr}
        item = table.get_item(DynamoType(key[table.hash_key_attr]),
                              DynamoType(key[table.range_key_attr])
                              if table.range_key_attr else None)
        state = item.to_json()["Attributes"] if item is not None else None
        lines.append(json.dumps({"key": key, "item": state}, sort_keys=True))
    return lines


def _media_path(journal: Journal, environ: Environ) -> tuple[str, str] | None:
    parts = str(environ.get("PATH_INFO", "")).lstrip("/").split("/", 1)
    if len(parts) == 2 and parts[0] == journal.bucket and parts[1].startswith(MEDIA_PREFIX):
        return parts[0], parts[1]
    return None


def _save_media(journal: Journal, environ: Environ) -> None:
    """Copy an acknowledged upload into the data folder as backup.export_media would, atomically."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    located = _media_path(journal, environ)
    if located is None:
        return
    stored = s3_backends[DEFAULT_ACCOUNT_ID]["global"].get_object(*located)
    if stored is None:
        return
    target = journal.folder / located[1]
    target.parent.mkdir(parents=True, exist_ok=True)
    for path, content in ((target, stored.value),
                          (target.parent / (target.name + ".type"),
                           str(stored._metadata.get("Content-Type", "")).encode())):
        temp = path.with_name(path.name + ".tmp")
        temp.write_bytes(content)
        os.replace(temp, path)
