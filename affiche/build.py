"""Full build of the public site (Pelican + the store plugin) and its upload to the site bucket.

`affiche build` runs this on deploy and after theme changes (DESIGN.md §5); between deploys the
outbox function keeps the bucket current one activity at a time, with the same Renderer.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from affiche.publish.renderer import AS2, HTML, NODEINFO_21
from affiche.publish.search_index import CONTENT_TYPE as SEARCH_TYPE
from affiche.publish.search_index import PREFIX as SEARCH_PREFIX
from affiche.publish.writers import CACHE_CONTROL

ROOT = Path(__file__).resolve().parents[1]
PELICANCONF = ROOT / "site" / "pelicanconf.py"
# Uploaded images (avatars, banners) are written by the api function, never by a build: a sync
# must not delete them.
KEPT_PREFIXES = ("media/",)

# Content types by exact key first, then by extension; they must equal what the Renderer puts on
# each File (tests/site/test_build.py checks every file of a build), since the CDN serves
# whatever type the object was uploaded with.
TYPES_BY_KEY = {
    ".well-known/nodeinfo.json": "application/json",
    "nodeinfo/2.1.json": NODEINFO_21,
    ".well-known/host-meta.xml": "application/xrd+xml",
}
TYPES_BY_SUFFIX = {
    ".html": HTML,
    ".json": AS2,  # actors, events, posts, outboxes: ActivityPub documents (DESIGN.md §3)
    ".ics": "text/calendar; charset=utf-8",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
}


def build(output: Path, *, now: datetime | None = None, content: Path | None = None) -> Path:
    """Build the whole site into `output` (emptied first) and return it.

    `now` pins the build's clock (which events are upcoming, feed times); by default the current
    time, or AFFICHE_BUILD_NOW. `content` replaces the content/ folder of the host's pages (the
    navigation bar still lists content/'s pages, as the outbox function does)."""
    from pelican import Pelican
    from pelican.settings import read_settings

    overrides: dict[str, Any] = {"OUTPUT_PATH": str(Path(output).resolve())}
    if now is not None:
        overrides["AFFICHE_BUILD_NOW"] = now.isoformat()
    if content is not None:
        overrides["PATH"] = str(Path(content).resolve())
    settings = read_settings(str(PELICANCONF), override=overrides)
    Pelican(settings).run()
    return Path(output)


def content_type(key: str) -> str:
    """The Content-Type a file of the build is served with."""
    if key in TYPES_BY_KEY:
        return TYPES_BY_KEY[key]
    if key.startswith(SEARCH_PREFIX):  # the site's search index, plain JSON (search_index.py)
        return SEARCH_TYPE
    suffix = PurePosixPath(key).suffix.lower()
    if suffix in TYPES_BY_SUFFIX:
        return TYPES_BY_SUFFIX[suffix]
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def files_of(output: Path) -> Iterator[tuple[str, Path]]:
    """(bucket key, path) of every file in a build folder, in a stable order."""
    for path in sorted(Path(output).rglob("*")):
        if path.is_file():
            yield path.relative_to(output).as_posix(), path


def sync_to_bucket(output: Path, bucket: str) -> tuple[int, int]:
    """Upload every file of `output` and delete the bucket's keys the build no longer produces.

    Keys under media/ (uploads) are never deleted, and a file the bucket already holds with the
    same bytes (its ETag, the MD5 of a single-part upload) is not uploaded again: a rebuild of a
    large site sends only what changed. Returns (uploaded, deleted)."""
    import hashlib

    from affiche.aws import client
    from affiche.progress import Progress

    s3 = client("s3")
    existing = dict(_bucket_keys(s3, bucket))
    produced: set[str] = set()
    uploaded = 0
    files = list(files_of(output))
    with Progress("Uploading to the bucket", len(files)) as progress:
        for key, path in files:
            progress.advance()
            body = path.read_bytes()
            produced.add(key)
            if existing.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                continue
            s3.put_object(Bucket=bucket, Key=key, Body=body,
                          ContentType=content_type(key), CacheControl=CACHE_CONTROL)
            uploaded += 1
    stale = [key for key in existing
             if key not in produced and not key.startswith(KEPT_PREFIXES)]
    for start in range(0, len(stale), 1000):  # delete_objects takes at most 1000 keys
        s3.delete_objects(Bucket=bucket, Delete={
            "Objects": [{"Key": key} for key in stale[start:start + 1000]], "Quiet": True})
    return uploaded, len(stale)


def _bucket_keys(s3: Any, bucket: str) -> Iterator[tuple[str, str]]:
    """(key, ETag without quotes) of every object."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"], str(item.get("ETag", "")).strip('"')
