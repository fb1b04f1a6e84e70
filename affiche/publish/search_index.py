"""The static site's search index: visitors search events, groups and posts by words, tag and
date in their browser (site/theme/static/js/search.js), with no server to ask.

Why our own index rather than Pagefind: Pagefind indexes a whole built site at once, so keeping
it current would mean running its binary over every page after each change (in the outbox
function), and its index cannot drop one page. Ours is kept current one item at a time:

- each publish renders the search entry of the items it touches (`entry`: a small JSON document
  with the words, tags and date of one event, group or post), or its removal when the item is
  deleted, hidden, unlisted or its group suspended (`Renderer.search`, artifacts.py);
- the writer merges those entries into one of SHARDS shard files (`search/index/{nn}.json`,
  the shard chosen by a hash of the item's id), reading the shard, replacing or dropping the
  item and writing it back; on the bucket the write is conditional on the version read, so two
  publishes changing the same shard at once cannot lose each other's change (`merge`);
- the full build writes every shard from all entries at once (empty ones included), and since
  a shard is sorted by id and written in one canonical form, the incremental path and the build
  write the same bytes.

The browser fetches the shards (they compress well: an instance of 2,000 events is about 1 MB,
200 KB over the wire) on the first search and matches there. A change rewrites one shard, a
sixteenth of the index.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from affiche.domain.model import Actor, Event, Post
from affiche.domain.text import text_of

if TYPE_CHECKING:
    from affiche.publish.renderer import File, Renderer

SHARDS = 16
PREFIX = "search/index/"
CONTENT_TYPE = "application/json"
SUMMARY_CHARS = 200
MAX_WORDS = 400  # distinct words kept per item: a long description still fits in a few KB
ATTEMPTS = 5  # conditional writes lost to a concurrent publish before giving up (retried)
WORD = re.compile(r"[^\W_]+")

Entry = dict[str, Any]


class ShardConflict(RuntimeError):
    """Another publish kept changing the same shard: the record is retried by the stream."""


def words(*texts: str) -> str:
    """The distinct words of `texts`, lower case and without accents, as the browser matches
    them (search.js normalises the visitor's words the same way)."""
    seen: dict[str, None] = {}
    for text in texts:
        folded = unicodedata.normalize("NFKD", text or "")
        plain = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
        for word in WORD.findall(plain):
            seen.setdefault(word, None)
    return " ".join(list(seen)[:MAX_WORDS])


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rstrip() + "…"


def shard_of(doc_id: str) -> int:
    return hashlib.sha256(doc_id.encode()).digest()[0] % SHARDS


def shard_key(shard: int) -> str:
    return f"{PREFIX}{shard:02d}.json"


# --- entries ------------------------------------------------------------------------------------
def entry(renderer: Renderer, kind: str, key: str) -> dict[str, Entry | None]:
    """{item id: its entry, or None when it must leave the index} for one event, post or group."""
    builders = {"event": _event, "post": _post, "group": _group}
    return {f"{kind}-{key}": builders[kind](renderer, key)}


def _event(renderer: Renderer, uuid: str) -> Entry | None:
    from affiche.publish.theme import when

    event: Event | None = renderer.record(Event, uuid)
    if event is None or not event.listed or renderer.shown_group(event.group) is None:
        return None
    where = event.place.one_line() if event.place else ""
    description = text_of(event.description_html)
    local = event.begins_on.astimezone(ZoneInfo(event.timezone or "UTC"))
    return {"kind": "event", "title": event.title, "url": f"/events/{uuid}/",
            "date": local.date().isoformat(), "start": event.begins_on.isoformat(),
            "when": when(event), "where": where or ("Online" if event.online_url else ""),
            "group": event.group, "tags": sorted(event.tags),
            "cancelled": event.status == "cancelled", "summary": _summary(description),
            "words": words(event.title, description, where, " ".join(event.tags))}


def _post(renderer: Renderer, slug: str) -> Entry | None:
    post: Post | None = renderer.record(Post, slug)
    if (post is None or not post.is_public or post.visibility != "public"
            or renderer.shown_group(post.group) is None):
        return None
    body = text_of(post.body_html)
    return {"kind": "post", "title": post.title, "url": f"/p/{slug}/",
            "date": post.published_at.date().isoformat(), "start": post.published_at.isoformat(),
            "when": post.published_at.strftime("%d %B %Y"), "where": "", "group": post.group,
            "tags": sorted(post.tags), "cancelled": False, "summary": _summary(body),
            "words": words(post.title, body, " ".join(post.tags))}


def _group(renderer: Renderer, name: str) -> Entry | None:
    group = renderer.shown_group(name)
    if group is None or not group.listed:
        return None
    summary = text_of(group.summary_html or "")
    return {"kind": "group", "title": group.display_name, "url": f"/@{name}/", "date": "",
            "start": "", "when": "", "where": "", "group": name, "tags": [],
            "cancelled": False, "summary": _summary(summary),
            "words": words(group.display_name, name, summary)}


def indexed_group(actor: Actor) -> bool:
    return actor.is_group and not actor.is_remote


# --- shards -------------------------------------------------------------------------------------
def shard_body(docs: dict[str, Entry]) -> bytes:
    """A shard's one canonical form: items sorted by id, keys sorted, no spaces."""
    items = [{"id": doc_id, **docs[doc_id]} for doc_id in sorted(docs)]
    return json.dumps({"docs": items}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def _parse(body: bytes | None) -> dict[str, Entry]:
    if not body:
        return {}
    return {doc.pop("id"): doc for doc in json.loads(body)["docs"]}


class Shards(Protocol):
    """Where shard files live: read with a version, write only if still at that version."""

    def read(self, key: str) -> tuple[bytes | None, str | None]: ...

    def write(self, key: str, body: bytes, version: str | None) -> bool:
        """False when the shard changed since `version` was read (None: it did not exist)."""
        ...


def merge(changes: dict[str, Entry | None], shards: Shards) -> list[File]:
    """Apply entries (None: remove) to their shards; the shard files written."""
    from affiche.publish.renderer import File

    by_shard: dict[int, dict[str, Entry | None]] = {}
    for doc_id, doc in changes.items():
        by_shard.setdefault(shard_of(doc_id), {})[doc_id] = doc
    written: list[File] = []
    for shard in sorted(by_shard):
        key = shard_key(shard)
        for _ in range(ATTEMPTS):
            body, version = shards.read(key)
            docs = _parse(body)
            for doc_id, doc in by_shard[shard].items():
                if doc is None:
                    docs.pop(doc_id, None)
                else:
                    docs[doc_id] = doc
            new = shard_body(docs)
            if new == body:  # nothing changed (an item that was never indexed left it)
                break
            if shards.write(key, new, version):
                written.append(File(key, new, CONTENT_TYPE))
                break
        else:
            raise ShardConflict(f"{key} kept changing while it was merged")
    return written


def missing_shards(present: Iterable[str]) -> list[File]:
    """Empty shards for the full build: every shard exists after it, so a browser gets no 404."""
    from affiche.publish.renderer import File

    have = set(present)
    return [File(shard_key(n), shard_body({}), CONTENT_TYPE) for n in range(SHARDS)
            if shard_key(n) not in have]


class FolderShards:
    """Shards in a build folder (a single writer: no version needed)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, key: str) -> tuple[bytes | None, str | None]:
        path = self.root / key
        return (path.read_bytes(), None) if path.exists() else (None, None)

    def write(self, key: str, body: bytes, version: str | None) -> bool:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return True


class BucketShards:
    """Shards in the site bucket, written with S3's conditional writes (If-Match the ETag read,
    If-None-Match when there was none): a concurrent publish makes the write fail, and the
    merge reads the shard again."""

    def __init__(self, s3: Any, bucket: str, cache_control: str) -> None:
        self.s3, self.bucket, self.cache_control = s3, bucket, cache_control

    def read(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            got = self.s3.get_object(Bucket=self.bucket, Key=key)
        except self.s3.exceptions.NoSuchKey:
            return None, None
        return got["Body"].read(), got["ETag"]

    def write(self, key: str, body: bytes, version: str | None) -> bool:
        from botocore.exceptions import ClientError

        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=CONTENT_TYPE,
                               CacheControl=self.cache_control, **condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {
                    "PreconditionFailed", "ConditionalRequestConflict", "412", "409"}:
                return False
            raise
        return True
