"""A post's picture: the same checks, re-encoding and content-addressed keys as an
event's picture (event_pictures.py), then saved like any other edit of the post."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.event_pictures import SLOT
from affiche.domain.group_images import MediaStore, checked_image, retire_image, store_image
from affiche.domain.model import Account, Post
from affiche.domain.posts import editable_post, save_post


def set_post_picture(ports: Ports, account: Account, slug: str, body: bytes, content_type: str,
                     store_media: MediaStore, *, profile: str | None = None) -> Post:
    """Upload `body` as the post's picture (the group's moderators); the updated post."""
    post, group, _ = editable_post(ports, account, slug, profile)
    image = checked_image(SLOT, body, content_type)  # re-encoded: no GPS position on the page
    key = store_image(store_media, group.name, image)  # before the post points at it
    saved = save_post(ports, post, group, {"picture": key})
    retire_image(ports, store_media, group.name, post.picture, key)
    return saved


def clear_post_picture(ports: Ports, account: Account, slug: str, *,
                       profile: str | None = None,
                       store_media: MediaStore | None = None) -> Post:
    post, group, _ = editable_post(ports, account, slug, profile)
    saved = save_post(ports, post, group, {"picture": None})
    retire_image(ports, store_media, group.name, post.picture, None)
    return saved
