"""An event's picture: the same checks, re-encoding and content-addressed keys as a group's
banner (group_images.py), then saved like any other edit of the event."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.events import editable_event, save_event
from affiche.domain.group_images import MediaStore, checked_image, retire_image, store_image
from affiche.domain.image_pipeline import PreparedImage
from affiche.domain.model import Account, Event

SLOT = "banner"  # an event picture spans the page like a banner: same size limit


def set_event_picture(ports: Ports, account: Account, uuid: str, body: bytes | PreparedImage,
                      content_type: str, store_media: MediaStore, *,
                      profile: str | None = None) -> Event:
    """Upload `body` as the event's picture (the group's moderators); the updated event."""
    event, group, _ = editable_event(ports, account, uuid, profile)
    image = checked_image(SLOT, body, content_type)  # re-encoded: no GPS position on the page
    key = store_image(store_media, group.name, image)  # before the event points at it
    saved = save_event(ports, event, group, {"picture": key})
    retire_image(ports, store_media, group.name, event.picture, key)
    return saved


def clear_event_picture(ports: Ports, account: Account, uuid: str, *,
                        profile: str | None = None,
                        store_media: MediaStore | None = None) -> Event:
    event, group, _ = editable_event(ports, account, uuid, profile)
    saved = save_event(ports, event, group, {"picture": None})
    retire_image(ports, store_media, group.name, event.picture, None)
    return saved
