"""The picture field of the event and post editors, one behaviour for both: the upload is
checked and re-encoded before anything is written, and an error about it is shown at the
field (field_errors), where the person is looking; once the item's other fields are saved,
the new picture replaces the old one, or the "remove" box takes it away."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from affiche.domain.group_images import checked_image
from affiche.domain.image_pipeline import PreparedImage
from affiche.domain.item_pictures import SLOT, Pictured
from affiche.publish.media import store_media
from functions.api.pages.common import Page, field_errors

Item = TypeVar("Item", bound=Pictured)
FIELD = "picture"

# set_event_picture / set_post_picture and clear_…: (ports, account, key, …, profile=…)
SetPicture = Callable[..., Item]
ClearPicture = Callable[..., Item]


def uploaded_picture(page: Page) -> tuple[PreparedImage, str] | None:
    """The uploaded picture, checked and re-encoded (same rules as the API); the service then
    stores it without decoding it again. None when no file was chosen."""
    upload = page.form.file(FIELD)
    if upload is None or not upload.data:
        return None
    with field_errors(FIELD):
        image = checked_image(SLOT, upload.data, upload.content_type)
    return image, image.content_type


def apply_picture(page: Page, saved: Item, key: str, profile: str,
                  picture: tuple[PreparedImage, str] | None,
                  set_picture: SetPicture[Item], clear_picture: ClearPicture[Item]) -> Item:
    """After `saved` (the item under `key`) is written: its new picture, or none if asked."""
    if picture:
        return set_picture(page.ports, page.me, key, *picture, store_media, profile=profile)
    if page.form.get("remove_picture") and saved.picture:
        return clear_picture(page.ports, page.me, key, profile=profile, store_media=store_media)
    return saved
