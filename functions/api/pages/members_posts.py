"""The post editor and the members' page of a post (members' pages, no JavaScript).

Moderators and above write, edit, publish, unpublish and delete a group's posts (the domain
service checks the role again on every POST, affiche/domain/roles.py). The members' page is how
a members-only post (the group's members) or a draft (its moderators) is read; anyone else
gets a 404, as for a private event. Public and unlisted posts also have their static page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import event_lifecycle, groups, post_pictures, posts, roles
from affiche.domain.model import Membership, Post
from affiche.domain.paging import page_number, page_of
from affiche.publish.media import store_media
from affiche.web.forms import Form
from functions.api.pages.common import Page, html, member
from functions.api.pages.pictures import apply_picture, uploaded_picture

router = APIGatewayHttpRouter()
POSTS_PER_PAGE = 20
POST_PICTURE = (post_pictures.set_post_picture, post_pictures.clear_post_picture)
WORDS = re.compile(r"[\s,]+")
VISIBILITY_NAMES = {"public": "Public: on the group's page, its feed, and federated",
                    "unlisted": "Unlisted: only people with the link find it",
                    "members": "Members only: the group's members, never published"}
VISIBILITY_OPTIONS = [(v, VISIBILITY_NAMES[v]) for v in posts.VISIBILITIES]


def post_url(slug: str) -> str:
    return f"/app/posts/{slug}/"


def input_from_form(form: Form) -> posts.PostInput:
    return posts.PostInput(title=form.get("title"), body=form.get("body"),
                           visibility=form.get("visibility", "public"),
                           tags=[w for w in WORDS.split(form.get("tags").strip()) if w],
                           draft=form.get("save") == "draft")


def _acting(page: Page, group: str) -> Membership:
    """The caller's membership in `group` that may edit posts (PermissionDenied otherwise)."""
    groups.existing_group(page.ports, group)
    best = event_lifecycle.best_membership(page.ports, page.me, group)
    return roles.authorize(best, "edit_post")


def _form_context(page: Page, group: str, post: Post | None) -> dict[str, Any]:
    return {"group": groups.existing_group(page.ports, group), "post": post,
            "visibility_options": VISIBILITY_OPTIONS}


def _values(post: Post | None) -> dict[str, str]:
    if post is None:
        return {"visibility": "public"}
    return {"title": post.title, "body": post.body_source, "tags": ", ".join(post.tags),
            "visibility": post.visibility}


def _errors(page: Page, group: str, post: Post | None) -> Any:
    return page.errors_in("app/post_form.html", form="post",
                          context=lambda: _form_context(page, group, post))


@router.get("/app/groups/<name>/posts/", include_in_schema=False)
@html(router)
def group_posts(name: str) -> Response[str]:
    """The group's posts, newest first, a page at a time: every published one for its members
    (members-only ones included), drafts too for those who write them."""
    page = member(router)
    group = groups.existing_group(page.ports, name)
    mine = roles.authorize(event_lifecycle.best_membership(page.ports, page.me, name),
                           "view_members_only_content")
    can_edit = roles.allowed(mine, "edit_post")
    found = [p for p in page.ports.repo.posts_of_group(name)
             if not p.deleted and (can_edit or not p.draft)]
    return page.render("app/group_posts.html", group=group, can_edit=can_edit,
                       posts=page_of(found, page_number(page.query("page")), POSTS_PER_PAGE),
                       visibility_names={"public": "Public", "unlisted": "Unlisted",
                                         "members": "Members only"})


@router.get("/app/groups/<name>/posts/new", include_in_schema=False)
@html(router)
def new_post(name: str) -> Response[str]:
    page = member(router)
    _acting(page, name)
    return page.render("app/post_form.html", values=_values(None),
                       **_form_context(page, name, None))


@router.post("/app/groups/<name>/posts/new", include_in_schema=False)
@html(router)
def create_post(name: str) -> Response[str]:
    page = member(router)
    with _errors(page, name, None):
        profile = _acting(page, name).member
        picture = uploaded_picture(page)
        data = input_from_form(page.form)
        post = posts.create_post(page.ports, page.me, name, title=data.title, body=data.body,
                                 visibility=data.visibility, tags=data.tags, draft=data.draft,
                                 profile=profile)
        post = apply_picture(page, post, post.slug, profile, picture, *POST_PICTURE)
    done = "saved as a draft" if post.draft else "published"
    return page.redirect(post_url(post.slug), flash=f"“{post.title}” is {done}.")


def _editable(page: Page, slug: str) -> tuple[Post, str]:
    post = posts.readable_post(page.ports, page.me, slug)
    return post, _acting(page, post.group).member


@router.get("/app/posts/<slug>/edit", include_in_schema=False)
@html(router)
def edit_post(slug: str) -> Response[str]:
    page = member(router)
    post, _ = _editable(page, slug)
    return page.render("app/post_form.html", values=_values(post),
                       **_form_context(page, post.group, post))


@router.post("/app/posts/<slug>/edit", include_in_schema=False)
@html(router)
def save_post(slug: str) -> Response[str]:
    page = member(router)
    post, profile = _editable(page, slug)
    with _errors(page, post.group, post):
        data = input_from_form(page.form)
        if not post.draft:  # the form of a published post has no draft button: it stays out
            data = posts.PostInput(**{**data.__dict__, "draft": False})
        picture = uploaded_picture(page)
        saved = posts.update_post(page.ports, page.me, slug, data, profile=profile)
        saved = apply_picture(page, saved, slug, profile, picture, *POST_PICTURE)
    state = "saved as a draft" if saved.draft else "saved"
    return page.redirect(post_url(slug), flash=f"“{saved.title}” is {state}.")


@router.get("/app/posts/<slug>/", include_in_schema=False)
@html(router)
def show_post(slug: str) -> Response[str]:
    page = member(router)
    post = posts.readable_post(page.ports, page.me, slug)
    mine = event_lifecycle.best_membership(page.ports, page.me, post.group)
    return page.render("app/post.html", post=post,
                       group=groups.existing_group(page.ports, post.group),
                       can_edit=roles.allowed(mine, "edit_post"))


ACTIONS: dict[str, tuple[Callable[..., Post], str]] = {
    "publish": (posts.publish_post, "is published."),
    "unpublish": (posts.unpublish_post, "is a draft again."),
    # Deleting also deletes the picture's variants from the bucket (group_images.retire_image).
    "delete": (partial(posts.delete_post, store_media=store_media), "is deleted.")}


def _action(slug: str, name: str) -> Response[str]:
    page = member(router)
    post, profile = _editable(page, slug)
    service, message = ACTIONS[name]
    service(page.ports, page.me, slug, profile=profile)
    where = f"/app/groups/{post.group}/posts/" if name == "delete" else post_url(slug)
    return page.redirect(where, flash=f"“{post.title}” {message}")


@router.post("/app/posts/<slug>/publish", include_in_schema=False)
@html(router)
def publish_post(slug: str) -> Response[str]:
    return _action(slug, "publish")


@router.post("/app/posts/<slug>/unpublish", include_in_schema=False)
@html(router)
def unpublish_post(slug: str) -> Response[str]:
    return _action(slug, "unpublish")


@router.post("/app/posts/<slug>/delete", include_in_schema=False)
@html(router)
def delete_post(slug: str) -> Response[str]:
    return _action(slug, "delete")
