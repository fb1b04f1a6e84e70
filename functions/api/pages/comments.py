"""Members' comment pages: the static event page links here to write, reply, edit and delete
comments, and organisers close or reopen them. Plain forms (POST, then 303 back to the thread);
every rule is in affiche/domain/comments.py."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import comments
from affiche.domain.errors import NotFound
from affiche.domain.groups import existing_group
from affiche.domain.model import Comment
from affiche.domain.profiles import acting_profile
from functions.api.pages.common import Page, html, member
from functions.api.pages.views import my_profiles, profile_options

router = APIGatewayHttpRouter()
THREAD = "app/comments.html"


def _context(page: Page, uuid: str) -> dict[str, Any]:
    me = acting_profile(page.ports, page.me, page.form.optional("profile") or page.query("profile"))
    event = comments.commentable_event(page.ports, uuid, me)
    reply = page.query("reply") or page.form.optional("in_reply_to")
    replying = page.ports.repo.get(Comment, reply) if reply else None
    profiles = my_profiles(page.ports, page.me)
    everyone = page.ports.repo.comments_of_event(uuid)
    return {"event": event, "group": existing_group(page.ports, event.group), "actor": me,
            "comments": comments.thread(everyone),
            "comment_authors": comments.remote_authors(page.ports.repo, everyone),
            "comment_actions": True, "moderator": comments.can_moderate(page.ports, event, me),
            "replying": replying if replying and not replying.deleted else None,
            "profiles": profiles, "profile_options": profile_options(profiles)}


def _back(uuid: str, anchor: str = "comments") -> str:
    return f"/app/events/{uuid}/comments#{anchor}"


@router.get("/app/events/<uuid>/comments", include_in_schema=False)
@html(router)
def thread(uuid: str) -> Response[str]:
    page = member(router)
    return page.render(THREAD, **_context(page, uuid))


@router.post("/app/events/<uuid>/comments", include_in_schema=False)
@html(router)
def write(uuid: str) -> Response[str]:
    page = member(router)
    with page.errors_in(THREAD, form="write", context=lambda: _context(page, uuid)):
        me = acting_profile(page.ports, page.me, page.form.optional("profile"))
        comment = comments.post_comment(page.ports, me, uuid, page.form.get("text"),
                                        in_reply_to=page.form.optional("in_reply_to"))
    return page.redirect(_back(uuid, f"comment-{comment.id}"), flash="Your comment is published.")


def _comment(page: Page, comment_id: str) -> Comment:
    comment = page.ports.repo.get(Comment, comment_id)
    if comment is None or comment.deleted:
        raise NotFound(f"no comment {comment_id}")
    return comment


@router.get("/app/comments/<comment_id>/edit", include_in_schema=False)
@html(router)
def edit_form(comment_id: str) -> Response[str]:
    page = member(router)
    comment = _comment(page, comment_id)
    comments.commentable_event(page.ports, comment.event, _me(page))
    return page.render("app/comment_edit.html", comment=comment,
                       values={"text": comment.text_source, "profile": comment.author})


def _me(page: Page) -> Any:
    return acting_profile(page.ports, page.me, page.form.optional("profile")
                          or page.query("profile"))


@router.post("/app/comments/<comment_id>/edit", include_in_schema=False)
@html(router)
def edit(comment_id: str) -> Response[str]:
    page = member(router)
    comment = _comment(page, comment_id)
    with page.errors_in("app/comment_edit.html", form="edit",
                        context=lambda: {"comment": comment}):
        comments.edit_comment(page.ports, _me(page), comment_id, page.form.get("text"))
    return page.redirect(_back(comment.event, f"comment-{comment_id}"),
                         flash="Your comment is changed.")


@router.post("/app/comments/<comment_id>/delete", include_in_schema=False)
@html(router)
def delete(comment_id: str) -> Response[str]:
    page = member(router)
    comment = _comment(page, comment_id)
    with page.errors_in(THREAD, form="thread", context=lambda: _context(page, comment.event)):
        comments.delete_comment(page.ports, _me(page), comment_id)
    return page.redirect(_back(comment.event), flash="The comment is deleted.")


@router.post("/app/events/<uuid>/comments/settings", include_in_schema=False)
@html(router)
def switch(uuid: str) -> Response[str]:
    page = member(router)
    enabled = page.form.get("enabled") == "on"
    with page.errors_in(THREAD, form="settings", context=lambda: _context(page, uuid)):
        comments.set_comments_enabled(page.ports, _me(page), uuid, enabled)
    return page.redirect(_back(uuid), flash="Comments are open." if enabled
                         else "Comments are closed.")
