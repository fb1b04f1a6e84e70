"""Group discussions (affiche/domain/discussions.py): list and start threads, read a thread's
replies page by page, reply, edit or delete one's reply, follow or unfollow a thread, and the
moderators' rename, close and delete. Members only; the caller acts as one of their profiles
(`profile`, default: their profile that is a member of the group). Lists are paged by cursor:
an answer's `before` / `after` go back as the query parameters of the same name."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import discussions
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotFound
from affiche.domain.model import Actor, Discussion, DiscussionReply
from affiche.domain.ports import Slice
from affiche.web.acting import acting_member
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


class StartInput(Input):
    title: str
    text: str
    profile: str | None = None


class ReplyInput(Input):
    text: str
    profile: str | None = None


class ChangeInput(Input):
    title: str | None = Field(default=None, description="a new title (starter or moderators)")
    closed: bool | None = Field(default=None, description="close or reopen (moderators)")
    profile: str | None = None


class ProfileInput(Input):
    profile: str | None = None


def discussion_json(found: Discussion) -> dict[str, Any]:
    data = found.to_dict()
    data.pop("version")
    return data


def reply_json(answer: DiscussionReply) -> dict[str, Any]:
    data = answer.to_dict()
    for private in ("version", "text_source"):
        data.pop(private)
    return data


def _query(name: str) -> str | None:
    return router.current_event.get_query_string_value(name)


def _page_params() -> dict[str, Any]:
    raw = _query("limit")
    if raw is not None and not raw.isdigit():
        raise InvalidInput(f"limit must be a whole number from 1 to {discussions.PAGE_MAX}",
                           field="limit")
    return {"limit": int(raw) if raw else discussions.PAGE_SIZE,
            "after": _query("after"), "before": _query("before")}


def _page(found: Slice[Any], key: str, to_json: Any) -> dict[str, Any]:
    return {key: [to_json(item) for item in found.items], "before": found.before,
            "after": found.after}


def _in_group(group: str, profile: str | None) -> tuple[Ports, Actor]:
    context, account, _ = caller(router)
    return context, acting_member(context, account, group, profile)


def _in_thread(discussion_id: str, profile: str | None) -> tuple[Ports, Actor]:
    context, account, _ = caller(router)
    found = context.repo.get(Discussion, discussion_id)
    if found is None or found.deleted:
        raise NotFound(f"no discussion {discussion_id}")
    return context, acting_member(context, account, found.group, profile)


@router.get("/api/groups/<name>/discussions",
            summary="A group's discussions, most recently active first (members), 20 a page")
def list_discussions(name: str) -> Response[dict[str, Any]]:
    context, me = _in_group(name, _query("profile"))
    found = discussions.discussions(context, me, name, **_page_params())
    return json_response(200, _page(found, "discussions", discussion_json))


@router.post("/api/groups/<name>/discussions", status_code=201,
             summary="Start a discussion with its first message (members)")
def start(name: str, body: StartInput) -> Response[dict[str, Any]]:
    context, me = _in_group(name, body.profile)
    created = discussions.start_discussion(context, me, name, body.title, body.text)
    return json_response(201, discussion_json(created))


@router.get("/api/discussions/<discussion_id>",
            summary="A discussion and a page of its replies, oldest first (members)")
def show(discussion_id: str) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, _query("profile"))
    found = discussions.discussion(context, me, discussion_id)
    page = discussions.replies(context, me, discussion_id, **_page_params())
    return json_response(200, {**discussion_json(found),
                               "following": discussions.is_following(context, me, found.id),
                               **_page(page, "replies", reply_json)})


@router.patch("/api/discussions/<discussion_id>",
              summary="Rename (starter or moderators), close or reopen (moderators) a discussion")
def change(discussion_id: str, body: ChangeInput) -> Response[dict[str, Any]]:
    if body.title is None and body.closed is None:
        raise InvalidInput("give a new title, or closed: true or false", field="title")
    context, me = _in_thread(discussion_id, body.profile)
    found = discussions.discussion(context, me, discussion_id)
    if body.closed is not None:
        found = discussions.set_closed(context, me, discussion_id, body.closed)
    if body.title is not None:
        found = discussions.rename(context, me, discussion_id, body.title)
    return json_response(200, discussion_json(found))


@router.delete("/api/discussions/<discussion_id>",
               summary="Delete a discussion with all its replies (moderators)")
def delete(discussion_id: str) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, _query("profile"))
    discussions.delete_discussion(context, me, discussion_id)
    return json_response(200, {"deleted": True})


@router.post("/api/discussions/<discussion_id>/replies", status_code=201,
             summary="Reply in a discussion (members; mails its followers)")
def post_reply(discussion_id: str, body: ReplyInput) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, body.profile)
    answer = discussions.reply(context, me, discussion_id, body.text)
    return json_response(201, reply_json(answer))


@router.put("/api/discussions/<discussion_id>/replies/<reply_id>",
            summary="Change the text of one's own reply")
def edit_reply(discussion_id: str, reply_id: str, body: ReplyInput) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, body.profile)
    answer = discussions.edit_reply(context, me, discussion_id, reply_id, body.text)
    return json_response(200, reply_json(answer))


@router.delete("/api/discussions/<discussion_id>/replies/<reply_id>",
               summary="Delete a reply (its author, or a moderator of the group)")
def delete_reply(discussion_id: str, reply_id: str) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, _query("profile"))
    discussions.delete_reply(context, me, discussion_id, reply_id)
    return json_response(200, {"deleted": True})


@router.put("/api/discussions/<discussion_id>/follow",
            summary="Follow a discussion: a mail for each new reply (members)")
def follow(discussion_id: str, body: ProfileInput | None = None) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, body.profile if body else None)
    discussions.follow(context, me, discussion_id)
    return json_response(200, {"discussion": discussion_id, "following": True})


@router.delete("/api/discussions/<discussion_id>/follow",
               summary="Stop following a discussion")
def unfollow(discussion_id: str) -> Response[dict[str, Any]]:
    context, me = _in_thread(discussion_id, _query("profile"))
    discussions.unfollow(context, me, discussion_id)
    return json_response(200, {"discussion": discussion_id, "following": False})
