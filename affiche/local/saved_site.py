"""The site bucket kept in the data folder between runs, so a restart need not rebuild it.

moto's bucket lives in memory: before this, every start of `affiche dev` rebuilt the whole site
(a full build, ~12 s at 2,000 events) and uploaded every file again (~15 s more). In AWS the
bucket simply persists and the outbox keeps it current; locally it is saved like the table:

- `data/site/` holds the bucket's files (uploads under media/ excepted: the journal keeps those)
  and `data/site.json` lists them (key -> MD5, Content-Type, Cache-Control), with a *stamp*:
  the SHA-256 of the table export they were rendered from, a fingerprint of the code, theme,
  host pages, installed packages and settings that rendered them, and when they were saved.
- At stop, once the outbox handled every change and the journal was folded into the export
  (runner.Instance.close), the files the bucket changed since the start are written (only
  those: the save is incremental), then the list with its stamp, atomically.
- At start the list is read and removed at once: a run that dies leaves no stamp, and its next
  start rebuilds. The saved files are put back in the bucket only if nothing is in doubt: the
  stamp is there, no journal held changes, the export is the one stamped, the fingerprint is the
  same, the downtime is short and every file is there with its MD5. Otherwise the full build runs,
  as before, straight into `data/site/`.
- After a restore, the pages time alone made stale while stopped (events that began or ended)
  are rendered as the outbox's clock would have (affiche/publish/sweep.py), from the saved time.

Files go in and out of moto's S3 backend directly, under the emulator's lock (the journal reads
it the same way): 6,000 uploads through HTTP were most of the old start-up time."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from affiche.config import get_settings

SITE_FOLDER = "site"
LIST_FILE = "site.json"
FORMAT = 1
KEPT_OUT = "media/"  # uploads: journaled and imported on their own (journal.py, backup.py)
# Past this downtime a restore is not trusted to catch up with the clock (the sweep reads at
# most sweep.LIMIT events): the start rebuilds instead.
LONGEST_DOWNTIME = timedelta(days=1)
# What the pages are rendered from besides the store: any change rebuilds.
SOURCES = ("affiche", "functions", "site", "content")
ROOT = Path(__file__).resolve().parents[2]
# Settings that change at each start without changing a page (the emulator's port).
_PER_RUN = ("aws_endpoint_url", "delivery_queue_url")
Entry = list[str]  # [md5, content type, cache control]


def table_digest(export: Path) -> str | None:
    if not export.exists():
        return None
    digest = hashlib.sha256()
    with export.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint() -> str:
    """Everything besides the store that a page depends on: the sources that render it, the
    installed packages (their dist-info names carry the versions) and the settings."""
    digest = hashlib.sha256()
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    for folder in sorted({p for p in sys.path if p.endswith("site-packages")}):
        if Path(folder).is_dir():
            digest.update("\n".join(sorted(os.listdir(folder))).encode())
    settings = {k: v for k, v in vars(get_settings()).items() if k not in _PER_RUN}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


@dataclass
class SavedSite:
    data: Path
    bucket: str
    lock: threading.Lock  # the emulator's: moto's work runs under it
    code: str = ""  # the fingerprint of this run, computed at start
    stamp: dict[str, Any] | None = None  # as read at start; None when there was none
    files: dict[str, Entry] = field(default_factory=dict)  # what data/site holds, as listed
    restored_at: datetime | None = None

    @property
    def folder(self) -> Path:
        return self.data / SITE_FOLDER

    @classmethod
    def open(cls, data: Path, bucket: str, lock: threading.Lock) -> SavedSite:
        """Read the list and remove it: until a clean stop writes it again, nothing is trusted."""
        saved = cls(data, bucket, lock, code=fingerprint())
        listed = data / LIST_FILE
        try:
            content = json.loads(listed.read_text())
        except (OSError, ValueError):
            content = {}
        listed.unlink(missing_ok=True)
        if isinstance(content, dict) and content.get("format") == FORMAT:
            saved.stamp = content.get("stamp")
            saved.files = content.get("files") or {}
        return saved

    def reason_to_rebuild(self, journal_had_changes: bool, now: datetime) -> str | None:
        """Why the saved files cannot be trusted (None when they can)."""
        stamp = self.stamp
        if not stamp:
            return "no site saved by a clean stop"
        if journal_had_changes:
            return "changes were replayed from the journal"
        if stamp.get("table") != table_digest(self.data / "table.jsonl"):
            return "the table export changed"
        if stamp.get("code") != self.code:
            return "the code, theme, pages, packages or settings changed"
        try:
            saved_at = datetime.fromisoformat(stamp["saved_at"])
        except (KeyError, TypeError, ValueError):
            return "no saved time"
        if not timedelta(0) <= now - saved_at <= LONGEST_DOWNTIME:
            return "stopped too long ago"
        return None

    def restore(self, now: datetime) -> bool:
        """Put the saved files in the bucket; False (nothing put) if one is missing or altered."""
        if not self.files:
            return False
        loaded: list[tuple[str, bytes, Entry]] = []
        for key, entry in self.files.items():
            path = self._path(key)
            try:
                body = path.read_bytes() if path is not None else None
            except OSError:
                body = None
            if body is None or _md5(body) != entry[0]:
                return False
            loaded.append((key, body, entry))
        self._put(loaded)
        self.restored_at = datetime.fromisoformat(self.stamp["saved_at"]) if self.stamp else now
        return True

    def build(self, now: datetime | None = None) -> None:
        """The full build, into data/site (emptied first), then every file into the bucket."""
        from affiche.build import build, content_type, files_of
        from affiche.publish.writers import CACHE_CONTROL

        build(self.folder, now=now)
        loaded = []
        for key, path in files_of(self.folder):
            body = path.read_bytes()
            loaded.append((key, body, [_md5(body), content_type(key), CACHE_CONTROL]))
        self.files = {key: entry for key, _, entry in loaded}
        self._put(loaded)

    def catch_up(self, now: datetime) -> int:
        """Render what time made stale since the save, as functions/outbox/clock.py does."""
        from affiche.publish import artifacts, sweep
        from affiche.publish.renderer import Renderer
        from affiche.publish.writers import BucketWriter
        from affiche.store.repository import DynamoRepository

        if self.restored_at is None:
            return 0
        store = DynamoRepository()
        planned = sweep.due(store, self.restored_at - sweep.WINDOW, now)
        output = artifacts.render(Renderer(get_settings(), store, now), planned)
        BucketWriter(self.bucket).apply(output)
        return len(planned)

    def save(self, table_saved: bool) -> int:
        """Write the files the bucket changed since the start, then the list; with the stamp
        only when `table_saved` (the export holds every change the bucket reflects). Returns
        how many files were written."""
        written = 0
        trusted = table_saved
        current: dict[str, Entry] = {}
        with self.lock:
            objects = dict(self._objects())
        for key in self.files.keys() - objects.keys():  # first: a new key may need its path
            path = self._path(key)
            if path is not None and path.is_file():
                path.unlink()
        for key, (md5, obj) in objects.items():
            path = self._path(key)
            if path is None:
                trusted = False  # a key no file can hold: restoring would lose it
                continue
            entry = [md5, *_types(obj)]
            if self.files.get(key) != entry or not path.is_file():
                try:
                    _write(path, obj.value)
                except OSError:
                    trusted = False
                    continue
                written += 1
            current[key] = entry
        self.files = current
        stamp = None
        if trusted:
            stamp = {"table": table_digest(self.data / "table.jsonl"), "code": self.code,
                     "saved_at": datetime.now(UTC).isoformat()}
        _write(self.data / LIST_FILE, json.dumps(
            {"format": FORMAT, "stamp": stamp, "files": current}, sort_keys=True).encode())
        return written

    def _path(self, key: str) -> Path | None:
        """Where a key's file is in data/site; None for a key that is not a plain relative path.
        (A key whose path is a folder fails to be read or written: an OSError, handled.)"""
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            return None
        return self.folder.joinpath(*parts)

    def _backend(self) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        return s3_backends[DEFAULT_ACCOUNT_ID]["global"]

    def _objects(self) -> Iterator[tuple[str, tuple[str, Any]]]:
        """(key, (md5, moto's object)) of the bucket's files, uploads excepted. Under the lock."""
        bucket = self._backend().get_bucket(self.bucket)
        for key in list(bucket.keys.keys()):
            obj = bucket.keys.get(key)
            if obj is not None and not key.startswith(KEPT_OUT):
                yield key, (obj.etag.strip('"'), obj)

    def _put(self, loaded: list[tuple[str, bytes, Entry]]) -> None:
        """What an upload through the API stores (moto's put_object answer), without HTTP."""
        backend = self._backend()
        with self.lock:
            acl = backend.get_bucket(self.bucket).acl
            for key, body, (md5, content_type, cache_control) in loaded:
                obj = backend.put_object(self.bucket, key, body, storage="STANDARD", etag=md5,
                                         disable_notification=True)
                metadata = {"Content-Type": content_type}
                if cache_control:
                    metadata["Cache-Control"] = cache_control
                obj.set_metadata(metadata)
                obj.set_acl(acl)


def _types(obj: Any) -> list[str]:
    metadata = {str(k).lower(): str(v) for k, v in obj.metadata.items()}
    return [metadata.get("content-type", "application/octet-stream"),
            metadata.get("cache-control", "")]


def _md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_bytes(body)
    os.replace(temp, path)
