"""Uploaded images in the site bucket: the adapter behind the domain's MediaStore.

Media keys are content-addressed (affiche/domain/group_images.py), so an object never changes
once written: it is cached for a year and marked immutable, unlike pages (writers.CACHE_CONTROL),
and needs no CDN invalidation. Full builds never delete under media/ (affiche/build.py), and the
local runner saves and restores it with the table (affiche/store/backup.py).
"""

from __future__ import annotations

from affiche.aws import client
from affiche.config import get_settings
from affiche.store.backup import MEDIA_PREFIX

MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"


def _checked(key: str) -> str:
    if not key.startswith(MEDIA_PREFIX) or ".." in key:
        raise ValueError(f"media keys live under {MEDIA_PREFIX}: {key!r}")
    return key


class BucketMedia:
    """The domain's MediaStore over the site bucket: called to write, `delete` to remove."""

    def __call__(self, key: str, body: bytes, content_type: str) -> None:
        """Write one image to the site bucket at `key` (which must be under media/)."""
        client("s3").put_object(Bucket=get_settings().site_bucket, Key=_checked(key), Body=body,
                                ContentType=content_type, CacheControl=MEDIA_CACHE_CONTROL)

    def delete(self, keys: list[str]) -> None:
        """Remove images (an image's retired variants: at most a dozen keys)."""
        if keys:
            client("s3").delete_objects(Bucket=get_settings().site_bucket, Delete={
                "Objects": [{"Key": _checked(key)} for key in keys], "Quiet": True})


store_media = BucketMedia()
