"""A post's picture (item_pictures.py), set and removed by the group's moderators."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.group_images import MediaStore
from affiche.domain.image_pipeline import PreparedImage
from affiche.domain.item_pictures import remove_picture, replace_picture
from affiche.domain.model import Account, Post
from affiche.domain.posts import editable_post, save_post


def set_post_picture(ports: Ports, account: Account, slug: str, body: bytes | PreparedImage,
                     content_type: str, store_media: MediaStore, *,
                     profile: str | None = None) -> Post:
    """Upload `body` as the post's picture (the group's moderators); the updated post."""
    post, group, _ = editable_post(ports, account, slug, profile)
    return replace_picture(ports, store_media, group.name, post, body, content_type,
                           lambda values: save_post(ports, post, group, values))


def clear_post_picture(ports: Ports, account: Account, slug: str, *,
                       profile: str | None = None,
                       store_media: MediaStore | None = None) -> Post:
    post, group, _ = editable_post(ports, account, slug, profile)
    return remove_picture(ports, store_media, group.name, post,
                          lambda values: save_post(ports, post, group, values))
