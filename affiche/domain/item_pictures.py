"""The picture of an item a group publishes (an event, a post): the same checks, re-encoding
and content-addressed keys as a group's banner (group_images.py), then saved like any other
edit of the item. event_pictures.py and post_pictures.py find the item and who may edit it;
the order of the steps, which matters, is kept here once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from affiche.domain.context import Ports
from affiche.domain.group_images import MediaStore, checked_image, retire_image, store_image
from affiche.domain.image_pipeline import PreparedImage

SLOT = "banner"  # a picture spans the page like a banner: same size limit


class Pictured(Protocol):
    @property
    def picture(self) -> str | None: ...


Item = TypeVar("Item", bound=Pictured)
Save = Callable[[dict[str, Any]], Item]


def replace_picture(ports: Ports, store_media: MediaStore, group: str, item: Item,
                    body: bytes | PreparedImage, content_type: str, save: Save[Item]) -> Item:
    """`body` becomes the picture of `item` (saved by `save`); the old picture's variants go."""
    image = checked_image(SLOT, body, content_type)  # re-encoded: no GPS position on the page
    key = store_image(store_media, group, image)  # before the item points at it
    saved = save({"picture": key})
    retire_image(ports, store_media, group, item.picture, key)
    return saved


def remove_picture(ports: Ports, store_media: MediaStore | None, group: str, item: Item,
                   save: Save[Item]) -> Item:
    saved = save({"picture": None})
    retire_image(ports, store_media, group, item.picture, None)
    return saved
