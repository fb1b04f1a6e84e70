"""Comments on events (affiche/domain/comments.py): list, post, reply, edit, delete, and the
organisers' switch that closes or reopens them. The caller acts as one of their profiles
(`profile`, default: the account's); the rules and the rate limit live in the domain service."""

from __future__ import annotations

import contextlib
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import comments
from affiche.domain.errors import NotAuthenticated, PermissionDenied
from affiche.domain.model import Actor, Comment
from affiche.domain.profiles import acting_profile
from affiche.web.ports import ports
from affiche.web.sessions import account_for
from functions.api.routes.common import Input, caller, json_response, session_secret

router = APIGatewayHttpRouter()


class CommentInput(Input):
    text: str
    in_reply_to: str | None = None
    profile: str | None = None


class EditInput(Input):
    text: str
    profile: str | None = None


class SwitchInput(Input):
    enabled: bool
    profile: str | None = None


def comment_json(comment: Comment) -> dict[str, Any]:
    data = comment.to_dict()
    data.pop("text_source")
    data.pop("version")
    return data


def _acting(profile: str | None) -> tuple[Any, Actor]:
    context, account, _ = caller(router)
    return context, acting_profile(context, account, profile)


def _viewer() -> Actor | None:
    """The caller's profile when logged in (private events' members), else nobody: reading a
    public event's comments needs no session, so a lapsed or suspended one is no obstacle."""
    context = ports()
    with contextlib.suppress(NotAuthenticated, PermissionDenied):
        account, _ = account_for(context, session_secret(router))
        return acting_profile(context, account, router.current_event.get_query_string_value(
            "profile") or None)
    return None


@router.get("/api/events/<uuid>/comments", summary="An event's comments, oldest first")
def list_comments(uuid: str) -> Response[dict[str, Any]]:
    found = comments.comments_of(ports(), uuid, _viewer())
    return json_response(200, {"comments": [comment_json(c) for c in found]})


@router.post("/api/events/<uuid>/comments", status_code=201,
             summary="Comment on an event, or reply to a comment")
def post_comment(uuid: str, body: CommentInput) -> Response[dict[str, Any]]:
    context, actor = _acting(body.profile)
    comment = comments.post_comment(context, actor, uuid, body.text, in_reply_to=body.in_reply_to)
    return json_response(201, comment_json(comment))


@router.put("/api/comments/<comment_id>", summary="Change the text of one's own comment")
def edit_comment(comment_id: str, body: EditInput) -> Response[dict[str, Any]]:
    context, actor = _acting(body.profile)
    comment = comments.edit_comment(context, actor, comment_id, body.text)
    return json_response(200, comment_json(comment))


@router.delete("/api/comments/<comment_id>",
               summary="Delete a comment (its author, or a moderator of the event's group)")
def delete_comment(comment_id: str) -> Response[dict[str, Any]]:
    context, actor = _acting(router.current_event.get_query_string_value("profile") or None)
    comments.delete_comment(context, actor, comment_id)
    return json_response(200, {"deleted": True})


@router.put("/api/events/<uuid>/comments/settings",
            summary="Close or reopen comments on an event (group moderators and above)")
def switch_comments(uuid: str, body: SwitchInput) -> Response[dict[str, Any]]:
    context, actor = _acting(body.profile)
    event = comments.set_comments_enabled(context, actor, uuid, body.enabled)
    return json_response(200, {"uuid": event.uuid, "comments_enabled": event.comments_enabled})
