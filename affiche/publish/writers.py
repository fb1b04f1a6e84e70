"""Where rendered files go: the site bucket (AWS and the local runner) or a folder (full builds).

Deleting a key that does not exist is not an error: re-running a change is idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from affiche.publish import search_index

if TYPE_CHECKING:
    from affiche.publish.renderer import Output

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


class BucketWriter:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def apply(self, output: Output) -> None:
        from affiche.aws import client

        s3 = client("s3")
        for file in output.files:
            s3.put_object(Bucket=self.bucket, Key=file.key, Body=file.body,
                          ContentType=file.content_type, CacheControl=CACHE_CONTROL)
        if output.deletes:
            # delete_objects takes at most 1000 keys per call; a change touches far fewer.
            s3.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": key} for key in output.deletes], "Quiet": True})
        if output.search:
            # The shards written join the files: the CDN invalidates them with the pages.
            shards = search_index.BucketShards(s3, self.bucket, CACHE_CONTROL)
            output.files.extend(search_index.merge(output.search, shards))
