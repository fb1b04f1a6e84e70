"""A group's avatar and banner: checked, stored under a content-addressed key, then set.

The image bytes go to the site bucket through a `MediaStore` the caller passes in (the adapter
is affiche/publish/media.py), so this module stays free of boto3. The key is derived from the
content (`media/{group}/{sha256 prefix}.{ext}`), so a key never changes content and the CDN and
browsers may cache it forever; a new image gets a new key, and the group's Update activity
re-renders the pages that show it.

Replaced or removed images are left in the bucket: activities already federated (and the
group's outbox) still point at them, and remote servers fetch them lazily.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Protocol

from affiche.domain import images
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, PayloadTooLarge
from affiche.domain.groups import administered_group, apply_to_group
from affiche.domain.image_pipeline import PreparedImage, prepare
from affiche.domain.model import Account, Actor

MIB = 1024 * 1024
# An avatar is shown at 96 px; a banner spans the page. Both limits keep a base64-encoded body
# under Lambda's 6 MB synchronous payload limit (4 MiB * 4/3 is about 5.6 MB).
MAX_BYTES: dict[str, int] = {"avatar": 1 * MIB, "banner": 4 * MIB}
HASH_CHARS = 16  # 64 bits of SHA-256: collisions within one group's images are not a concern


class MediaStore(Protocol):
    def __call__(self, key: str, body: bytes, content_type: str) -> None:
        """Store `body` at bucket key `key`, served with `content_type`."""
        ...


def size_limit_message(slot: str) -> str:
    limit = MAX_BYTES[slot]
    return f"the {slot} image must be at most {limit // MIB} MiB ({limit} bytes)"


def accepted_description(slot: str) -> str:
    """What a form says next to the file field: the formats, the size and pixel limits."""
    names = ", ".join(images.NAMES.values())
    return (f"{names}; at most {MAX_BYTES[slot] // MIB} MiB and "
            f"{images.MAX_PIXELS // 1_000_000} megapixels.")


def _slot(slot: str) -> str:
    if slot not in MAX_BYTES:
        raise InvalidInput(f"a group image is one of: {', '.join(MAX_BYTES)}", field="slot")
    return slot


def media_key(group: str, image: PreparedImage) -> str:
    return f"media/{group}/{sha256(image.data).hexdigest()[:HASH_CHARS]}.{image.info.extension}"


def checked_image(slot: str, body: bytes | PreparedImage, content_type: str) -> PreparedImage:
    """The upload, validated and re-encoded, if it fits `slot`: byte size first (cheapest),
    then type and header, then the pixels (image_pipeline.prepare). A caller that checked the
    image before doing anything else passes the PreparedImage on: it is not decoded twice."""
    if isinstance(body, PreparedImage):
        return body
    if len(body) > MAX_BYTES[_slot(slot)]:
        raise PayloadTooLarge(size_limit_message(slot))
    if not body:
        raise InvalidInput("send the image as the request body")
    return prepare(body, content_type)


def set_group_image(ports: Ports, account: Account, name: str, slot: str,
                    body: bytes | PreparedImage, content_type: str, store_media: MediaStore, *,
                    profile: str | None = None) -> Actor:
    """Upload `body` as the group's avatar or banner (administrators); the updated group."""
    _slot(slot)
    group = administered_group(ports, account, name, "upload_group_image", profile)
    # Public and federated: re-encoded, so no GPS position, camera or hidden chunk travels.
    image = checked_image(slot, body, content_type)
    key = media_key(group.name, image)
    # Stored before the group points at it: a failed commit leaves an unused file behind, never
    # a published page whose image is missing.
    store_media(key, image.data, image.content_type)
    return apply_to_group(ports, group, {slot: key})


def clear_group_image(ports: Ports, account: Account, name: str, slot: str, *,
                      profile: str | None = None) -> Actor:
    """Remove the group's avatar or banner (administrators); the updated group."""
    _slot(slot)
    group = administered_group(ports, account, name, "upload_group_image", profile)
    return apply_to_group(ports, group, {slot: None})
