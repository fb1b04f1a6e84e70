"""A group's avatar and banner: checked, stored under a content-addressed key, then set.

The image bytes go to the site bucket through a `MediaStore` the caller passes in (the adapter
is affiche/publish/media.py), so this module stays free of boto3. The key is derived from the
content and carries its size (`media/{group}/{sha256 prefix}-{w}x{h}.{ext}`, image_variants.py),
so a key never changes content and the CDN and browsers may cache it forever; a new image gets
a new key, and the group's Update activity re-renders the pages that show it. The resized
variants pages show are stored beside it, before the commit like the image itself.

When an image is replaced or removed, its variants are deleted after the commit, unless another
picture of the group still uses the same image (keys are per content: a duplicated event shares
its picture). The original is kept: activities already federated (and the group's outbox) still
point at it, and remote servers fetch it lazily.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Protocol

from affiche.domain import image_variants, images
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, PayloadTooLarge
from affiche.domain.groups import administered_group, apply_to_group
from affiche.domain.image_pipeline import PreparedImage, prepare
from affiche.domain.images import MAX_BYTES, MIB, size_limit_message
from affiche.domain.model import Account, Actor

HASH_CHARS = 16  # 64 bits of SHA-256: collisions within one group's images are not a concern


class MediaStore(Protocol):
    def __call__(self, key: str, body: bytes, content_type: str) -> None:
        """Store `body` at bucket key `key`, served with `content_type`."""
        ...

    def delete(self, keys: list[str]) -> None:
        """Remove these keys from the bucket (absent keys are no error)."""
        ...


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
    stem = f"media/{group}/{sha256(image.data).hexdigest()[:HASH_CHARS]}"
    return image_variants.sized_key(stem, image.info.width, image.info.height,
                                    image.info.extension)


def store_image(store_media: MediaStore, group: str, image: PreparedImage) -> str:
    """Store the image and its variants; its key. Called before the commit that points at it:
    a failed commit leaves unused files behind, never a published page whose image is missing."""
    key = media_key(group, image)
    sized = image_variants.parse(key)
    assert sized is not None  # media_key always writes the size
    for variant in image.variants:
        store_media(sized.key(variant.width, variant.extension), variant.data,
                    variant.content_type)
    store_media(key, image.data, image.content_type)
    return key


def retire_image(ports: Ports, store_media: MediaStore | None, group: str,
                 old: str | None, new: str | None) -> None:
    """After a commit replaced or removed the image `old`: delete its variants, unless the group
    still shows that image somewhere (its avatar or banner, an event's or a post's picture)."""
    if store_media is None or not old or old == new or _still_used(ports, group, old):
        return
    keys = image_variants.variant_keys(old)
    if keys:
        store_media.delete(keys)


def _still_used(ports: Ports, group: str, key: str) -> bool:
    from affiche.domain.model import Actor as ActorModel

    owner = ports.repo.get(ActorModel, group)
    if owner is not None and key in (owner.avatar, owner.banner):
        return True
    # A deleted event or post keeps its picture key (moderators may look at it), but no page
    # shows it any more.
    return (any(e.picture == key and not e.deleted for e in ports.repo.events_of_group(group))
            or any(p.picture == key and not p.deleted for p in ports.repo.posts_of_group(group)))


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
    key = store_image(store_media, group.name, image)
    updated = apply_to_group(ports, group, {slot: key})
    retire_image(ports, store_media, group.name, getattr(group, slot), key)
    return updated


def clear_group_image(ports: Ports, account: Account, name: str, slot: str, *,
                      profile: str | None = None, store_media: MediaStore | None = None) -> Actor:
    """Remove the group's avatar or banner (administrators); the updated group. With
    `store_media`, the removed image's variants leave the bucket."""
    _slot(slot)
    group = administered_group(ports, account, name, "upload_group_image", profile)
    updated = apply_to_group(ports, group, {slot: None})
    retire_image(ports, store_media, group.name, getattr(group, slot), None)
    return updated
