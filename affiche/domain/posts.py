"""Posts: articles a group publishes (Mobilizon's group posts), by moderators and above.

A post is written, saved as a draft or published, edited, unpublished (back to a draft) and
deleted. Its slug is never reused, even after a delete (DESIGN.md §4: never reuse an object id):
the slug carries a random suffix and a deleted post stays as a tombstone row.

Activities: Create when a post is published, Update when a published post changes, Delete when
a published post is deleted or unpublished (followers drop their copy); nothing for a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from affiche.domain import activities, event_lifecycle, roles, rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotFound
from affiche.domain.group_images import MediaStore, retire_image
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Account, Actor, Post
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.roles import authorize
from affiche.domain.text import markdown_to_html, slugify

VISIBILITIES = ("public", "unlisted", "members")
MAX_TAGS = 10


@dataclass(frozen=True)
class PostInput:
    """Every field a writer sets; the API's PATCH replaces only the ones it is sent."""

    title: str = ""
    body: str = ""
    visibility: str = "public"
    tags: list[str] = field(default_factory=list)
    draft: bool = False


INPUT_FIELDS = frozenset(f.name for f in fields(PostInput))


def input_of(post: Post) -> PostInput:
    return PostInput(title=post.title, body=post.body_source, visibility=post.visibility,
                     tags=list(post.tags), draft=post.draft)


def _validated(data: PostInput) -> dict[str, Any]:
    if not isinstance(data.tags, list) or not all(isinstance(t, str) for t in data.tags):
        raise InvalidInput("tags must be a list of words", field="tags")
    tags = sorted({rules.handle(t.strip().lstrip("#"), "tags") for t in data.tags if t.strip()})
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    body = rules.text(data.body, "body", max_length=100000)
    return {"title": rules.line(data.title, "title", max_length=200), "body_source": body,
            "body_html": markdown_to_html(body), "tags": tags,
            "visibility": rules.choice(data.visibility, "visibility", VISIBILITIES)}


def post_audience(post: Post, group: Actor) -> str:
    if post.visibility == "members":
        return "members"
    return "public" if post.visibility == "public" and group.visibility == "public" else "unlisted"


def create_post(ports: Ports, account: Account, group_name: str, *, title: str, body: str,
                visibility: str = "public", profile: str | None = None,
                tags: list[str] | None = None, draft: bool = False) -> Post:
    group = existing_group(ports, group_name)
    author = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, author.name), "create_post")
    # A slug is never reused, even after a delete (DESIGN.md §4: never reuse an object id).
    values = _validated(PostInput(title=title, body=body, visibility=visibility,
                                  tags=list(tags or []), draft=draft))
    slug = f"{slugify(values['title'])}-{rules.new_id()[:8]}"
    now = ports.clock.now()
    post = Post(slug=slug, group=group.name, author=author.name, published_at=now,
                updated_at=now, draft=bool(draft), **values)
    changes = ChangeSet().put(post)
    if not post.draft:  # a draft is the moderators' business: no activity, nothing published
        changes.counters["local_posts"] = 1
        changes.record(activities.new(ports, "Create", group.name, post, slug,
                                      audience=post_audience(post, group)))
    ports.repo.commit(changes)
    return post


def editable_post(ports: Ports, account: Account, slug: str,
                  profile: str | None = None) -> tuple[Post, Actor, Actor]:
    """The live post, its group and the editor's profile, if that profile may edit it."""
    post = ports.repo.get(Post, slug)
    if post is None or post.deleted:
        raise NotFound(f"no post {slug}")
    group = existing_group(ports, post.group)
    editor = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, editor.name), "edit_post")
    return post, group, editor


def save_post(ports: Ports, post: Post, group: Actor, values: dict[str, Any]) -> Post:
    """Commit new values with the activity they cause (see the module docstring)."""
    now = ports.clock.now()
    updated = post.evolve(updated_at=now, **values)
    if post.draft and not updated.draft:
        # Published now: the post's date is the day it went out, as in Mobilizon.
        updated = updated.evolve(published_at=now)
    changes = ChangeSet().put(updated)
    if post.draft and not updated.draft:
        changes.counters["local_posts"] = 1
        changes.record(activities.new(ports, "Create", group.name, updated, post.slug,
                                      audience=post_audience(updated, group)))
    elif not post.draft and updated.draft:
        changes.record(activities.new(ports, "Delete", group.name, updated, post.slug,
                                      audience=post_audience(post, group)))
    elif not updated.draft:
        changes.record(activities.new(ports, "Update", group.name, updated, post.slug,
                                      audience=post_audience(updated, group)))
    ports.repo.commit(changes)
    return updated


def update_post(ports: Ports, account: Account, slug: str, data: PostInput, *,
                profile: str | None = None) -> Post:
    """Replace every field of the post with `data` (the editor form sends them all)."""
    post, group, _ = editable_post(ports, account, slug, profile)
    values = _validated(data)
    values["draft"] = bool(data.draft)
    return save_post(ports, post, group, values)


def patch_post(ports: Ports, account: Account, slug: str, changes: dict[str, Any], *,
               profile: str | None = None) -> Post:
    """Change only the fields in `changes` (names of PostInput); the others keep their value."""
    unknown = set(changes) - INPUT_FIELDS
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    post, _, _ = editable_post(ports, account, slug, profile)
    sent: dict[str, Any] = {k: ([] if k == "tags" else "") if v is None else v
                            for k, v in changes.items()}
    data = replace(input_of(post), **sent)
    return update_post(ports, account, slug, data, profile=profile)


def publish_post(ports: Ports, account: Account, slug: str, *,
                 profile: str | None = None) -> Post:
    post, group, _ = editable_post(ports, account, slug, profile)
    return post if not post.draft else save_post(ports, post, group, {"draft": False})


def unpublish_post(ports: Ports, account: Account, slug: str, *,
                   profile: str | None = None) -> Post:
    """Back to a draft: its page goes away and followers are told to drop it."""
    post, group, _ = editable_post(ports, account, slug, profile)
    return post if post.draft else save_post(ports, post, group, {"draft": True})


def delete_post(ports: Ports, account: Account, slug: str, *,
                profile: str | None = None, store_media: MediaStore | None = None) -> Post:
    """Soft-delete (the slug is never reused); a published post's URL answers 410 from now on.
    Its picture's variants are deleted as when it is replaced (group_images.retire_image)."""
    post, group, _ = editable_post(ports, account, slug, profile)
    deleted = post.evolve(deleted=True, updated_at=ports.clock.now())
    changes = ChangeSet().put(deleted)
    if not post.draft:
        changes.record(activities.new(ports, "Delete", group.name, deleted, slug,
                                      audience=post_audience(post, group)))
    ports.repo.commit(changes)
    retire_image(ports, store_media, group.name, post.picture, None)
    return deleted


def readable_post(ports: Ports, account: Account | None, slug: str) -> Post:
    """The post if `account` may read it: public/unlisted published posts for anyone,
    members-only ones for the group's members, drafts for those who may edit posts."""
    post = ports.repo.get(Post, slug)
    if post is None or post.deleted:
        raise NotFound(f"no post {slug}")
    if post.is_public:
        return post
    mine = event_lifecycle.best_membership(ports, account, post.group)
    need = "edit_post" if post.draft else "view_members_only_content"
    if not roles.allowed(mine, need):
        raise NotFound(f"no post {slug}")
    return post
