"""Posts of a group (affiche/domain/posts.py): write, read, change only the fields sent
(`PATCH`), publish a draft, unpublish, delete. Moderators and above write; members-only posts
and drafts are read through here by those allowed, never from the public bucket."""

from __future__ import annotations

import contextlib
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import post_pictures, posts
from affiche.domain.errors import NotAuthenticated, PermissionDenied
from affiche.domain.model import Account, Post
from affiche.publish.media import store_media
from affiche.web.guard import raw_body
from affiche.web.ports import ports
from affiche.web.sessions import account_for
from functions.api.routes.common import Input, caller, json_response, session_secret

router = APIGatewayHttpRouter()


class PostBody(Input):
    title: str
    body: str
    visibility: str = "public"
    tags: list[str] = Field(default_factory=list)
    draft: bool = False
    profile: str | None = None


class PostFields(Input):
    """Every field, all optional (PATCH); null tags clear them."""

    title: str | None = None
    body: str | None = None
    visibility: str | None = None
    tags: list[str] | None = None
    draft: bool | None = None
    profile: str | None = None

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True, exclude={"profile"})
        return {k: ([] if k == "tags" else v) if v is None else v for k, v in sent.items()
                if not (v is None and k in {"title", "body", "visibility", "draft"})}


def post_json(post: Post) -> dict[str, Any]:
    return {"slug": post.slug, "title": post.title, "group": post.group, "author": post.author,
            "body": post.body_source, "body_html": post.body_html, "tags": list(post.tags),
            "visibility": post.visibility, "draft": post.draft, "picture": post.picture,
            "published_at": post.published_at.isoformat(),
            "updated_at": post.updated_at.isoformat()}


def _profile_param() -> str | None:
    return router.current_event.get_query_string_value("profile") or None


def _reader() -> Account | None:
    with contextlib.suppress(NotAuthenticated, PermissionDenied):
        account, _ = account_for(ports(), session_secret(router))
        return account
    return None


@router.post("/api/groups/<name>/posts", status_code=201,
             summary="Write a post in a group (moderators; "
             "draft: true keeps it unpublished)")
def create_post(name: str, body: PostBody) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    post = posts.create_post(context, account, name, title=body.title, body=body.body,
                             visibility=body.visibility, profile=body.profile,
                             tags=body.tags, draft=body.draft)
    return json_response(201, post_json(post))


@router.get("/api/posts/<slug>", summary="A post (members-only ones: the group's members; "
            "drafts: its moderators)")
def read_post(slug: str) -> Response[dict[str, Any]]:
    return json_response(200, post_json(posts.readable_post(ports(), _reader(), slug)))


@router.patch("/api/posts/<slug>", summary="Change only the fields sent (draft: false "
              "publishes, true unpublishes)")
def patch_post(slug: str, body: PostFields) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    post = posts.patch_post(context, account, slug, body.changes(), profile=body.profile)
    return json_response(200, post_json(post))


@router.delete("/api/posts/<slug>", summary="Delete a post (its URL answers 410; the slug is "
               "never reused)")
def delete_post(slug: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    post = posts.delete_post(context, account, slug, profile=_profile_param(),
                             store_media=store_media)
    return json_response(200, {"slug": post.slug, "deleted": True})


@router.post("/api/posts/<slug>/picture", summary="Upload the post's picture (image body)")
def upload_picture(slug: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    request = router.current_event
    post = post_pictures.set_post_picture(
        context, account, slug, raw_body(request.raw_event),
        request.headers.get("content-type", ""), store_media, profile=_profile_param())
    return json_response(200, post_json(post))


@router.delete("/api/posts/<slug>/picture", summary="Remove the post's picture")
def remove_picture(slug: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    post = post_pictures.clear_post_picture(context, account, slug, profile=_profile_param(),
                                            store_media=store_media)
    return json_response(200, post_json(post))
