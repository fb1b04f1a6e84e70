"""An event's picture (item_pictures.py), set and removed by the group's moderators."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.events import editable_event, save_event
from affiche.domain.group_images import MediaStore
from affiche.domain.image_pipeline import PreparedImage
from affiche.domain.item_pictures import SLOT, remove_picture, replace_picture
from affiche.domain.model import Account, Event

__all__ = ["SLOT", "clear_event_picture", "set_event_picture"]


def set_event_picture(ports: Ports, account: Account, uuid: str, body: bytes | PreparedImage,
                      content_type: str, store_media: MediaStore, *,
                      profile: str | None = None) -> Event:
    """Upload `body` as the event's picture (the group's moderators); the updated event."""
    event, group, _ = editable_event(ports, account, uuid, profile)
    return replace_picture(ports, store_media, group.name, event, body, content_type,
                           lambda values: save_event(ports, event, group, values))


def clear_event_picture(ports: Ports, account: Account, uuid: str, *,
                        profile: str | None = None,
                        store_media: MediaStore | None = None) -> Event:
    event, group, _ = editable_event(ports, account, uuid, profile)
    return remove_picture(ports, store_media, group.name, event,
                          lambda values: save_event(ports, event, group, values))
