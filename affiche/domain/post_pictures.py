"""A post's picture: the same checks, re-encoding and content-addressed keys as an
event's picture (event_pictures.py), then saved like any other edit of the post."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.event_pictures import SLOT
from affiche.domain.group_images import MediaStore, checked_image, media_key
from affiche.domain.model import Account, Post
from affiche.domain.posts import editable_post, save_post


def set_post_picture(ports: Ports, account: Account, slug: str, body: bytes, content_type: str,
                     store_media: MediaStore, *, profile: str | None = None) -> Post:
    """Upload `body` as the post's picture (the group's moderators); the updated post."""
    post, group, _ = editable_post(ports, account, slug, profile)
    image = checked_image(SLOT, body, content_type)  # re-encoded: no GPS position on the page
    key = media_key(group.name, image)
    store_media(key, image.data, image.content_type)  # before the post points at it
    return save_post(ports, post, group, {"picture": key})


def clear_post_picture(ports: Ports, account: Account, slug: str, *,
                       profile: str | None = None) -> Post:
    post, group, _ = editable_post(ports, account, slug, profile)
    return save_post(ports, post, group, {"picture": None})
