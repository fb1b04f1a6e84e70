"""Where rendered files go: the site bucket (AWS and the local runner) or a folder (full builds).

Deleting a key that does not exist is not an error: re-running a change is idempotent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from affiche.publish import search_index

if TYPE_CHECKING:
    from affiche.publish.renderer import File, Output

# Pages change when their content changes; a short shared cache keeps the CDN fresh without
# invalidation storms. Invalidations are still sent for the exact paths a change touched.
# Browsers keep nothing fresh (max-age=0: they ask again, a 304 when unchanged): someone who
# just took part and follows "Back to the event" must see the new count, not a copy from
# their own cache that no invalidation reaches (tests/e2e/test_event_journey.py).
CACHE_CONTROL = "public, max-age=0, s-maxage=60"


class Writer(Protocol):
    def apply(self, output: Output) -> None: ...


class FolderWriter:
    def __init__(self, root: Path) -> None:
        self.root = root

    def apply(self, output: Output) -> None:
        for file in output.files:
            path = self.root / file.key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file.body)
        for key in output.deletes:
            (self.root / key).unlink(missing_ok=True)
        if output.search:  # listed among the files written, as the bucket writer does
            output.files.extend(search_index.merge(output.search,
                                                   search_index.FolderShards(self.root)))


UPLOAD_THREADS = 8  # below botocore's default pool of 10 connections per client
_pool: list[ThreadPoolExecutor] = []


def _uploads() -> ThreadPoolExecutor:
    """One pool per process, made on first use (a container that never renders has none)."""
    if not _pool:
        _pool.append(ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="outbox-writer"))
    return _pool[0]


class BucketWriter:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def apply(self, output: Output) -> None:
        from affiche.aws import client

        s3 = client("s3")

        def put(file: File) -> None:
            s3.put_object(Bucket=self.bucket, Key=file.key, Body=file.body,
                          ContentType=file.content_type, CacheControl=CACHE_CONTROL)

        # The files of one artifact are distinct keys: uploaded side by side (a group page
        # writes a dozen), each PutObject waiting on the network, not on the one before.
        if len(output.files) > 1:
            list(_uploads().map(put, output.files))
        elif output.files:
            put(output.files[0])
        if output.deletes:
            # delete_objects takes at most 1000 keys per call; a change touches far fewer.
            s3.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": key} for key in output.deletes], "Quiet": True})
        if output.search:
            # The shards written join the files: the CDN invalidates them with the pages.
            shards = search_index.BucketShards(s3, self.bucket, CACHE_CONTROL)
            output.files.extend(search_index.merge(output.search, shards))
