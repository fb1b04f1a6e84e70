"""Joining and leaving groups of other servers from my pages.

- /app/following lists the remote groups I follow with "Ask to join", and a form to ask to join a
  group by its address (`@garden@mobilizon.example`); POST /app/remote-groups/join.
- My space (/app/) lists my memberships there, pending or accepted, with "Leave";
  POST /app/remote-groups/leave.
- My space also lists the latest threads of those groups (our copies, kept as their messages
  reach us: affiche.domain.discussions.keep_remote_message); /app/remote-discussions/{id} shows
  one with a reply form, whose reply the fan-out sends to the group's server.
The use cases are affiche.activitypub.remote_groups over affiche.domain.membership and
affiche.domain.discussions; what our people do goes out through the fan-out, the group's
answers come back to the inbox.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.activitypub import remote_groups
from affiche.domain import discussions
from affiche.domain.errors import NotFound
from affiche.domain.model import Actor, Discussion, is_remote_name
from affiche.domain.ports import END
from affiche.web.acting import acting_member
from functions.api.pages.common import Page, html, member
from functions.api.pages.following import _following_context
from functions.api.pages.home import home_context

router = APIGatewayHttpRouter()


@router.post("/app/remote-groups/join", include_in_schema=False)
@html(router)
def join() -> Response[str]:
    page = member(router)
    handle = page.form.get("handle")
    with page.errors_in("app/following.html", form="join",
                        context=lambda: _following_context(page)):
        joined = remote_groups.join_by_handle(page.ports, page.me, handle,
                                              page.form.optional("profile"),
                                              page.form.optional("message") or "")
    if joined.role == "not_approved":
        message = f"Request to join {handle} sent: it shows in My space until the group answers."
    else:
        message = f"You joined {handle}."
    return page.redirect("/app/following", flash=message)


@router.post("/app/remote-groups/leave", include_in_schema=False)
@html(router)
def leave() -> Response[str]:
    page = member(router)
    group = page.form.get("group")
    with page.errors_in("app/home.html", form="groups", context=lambda: home_context(page)):
        remote_groups.leave_remote(page.ports, page.me, group, page.form.optional("profile"))
    return page.redirect("/app/", flash=f"You left {group}.")


THREAD = "app/remote_discussion.html"


def _thread(page: Page, discussion_id: str) -> tuple[Actor, Discussion]:
    found = page.ports.repo.get(Discussion, discussion_id)
    if found is None or found.deleted or not is_remote_name(found.group):
        raise NotFound(f"no discussion {discussion_id} of a group of another server")
    me = acting_member(page.ports, page.me, found.group,
                       page.form.optional("profile") or page.query("profile"))
    return me, discussions.discussion(page.ports, me, discussion_id)


def _thread_context(page: Page, discussion_id: str) -> dict[str, Any]:
    me, found = _thread(page, discussion_id)
    last = page.query("page") == "last"
    replies = discussions.replies(page.ports, me, found.id, after=page.query("after"),
                                  before=END if last else page.query("before"))
    return {"group": page.ports.repo.get(Actor, found.group), "actor": me, "discussion": found,
            "page_of": replies, "authors": _handles(page, replies.items)}


def _handles(page: Page, items: list[Any]) -> dict[str, str]:
    """`@user@host` of each remote author, for the bylines."""
    names = {r.author for r in items if is_remote_name(r.author)}
    found = {name: page.ports.repo.get(Actor, name) for name in names}
    return {name: actor.handle for name, actor in found.items() if actor is not None}


@router.get("/app/remote-discussions/<discussion_id>", include_in_schema=False)
@html(router)
def thread(discussion_id: str) -> Response[str]:
    page = member(router)
    return page.render(THREAD, **_thread_context(page, discussion_id))


@router.post("/app/remote-discussions/<discussion_id>/replies", include_in_schema=False)
@html(router)
def post_reply(discussion_id: str) -> Response[str]:
    page = member(router)
    with page.errors_in(THREAD, form="reply",
                        context=lambda: _thread_context(page, discussion_id)):
        me, found = _thread(page, discussion_id)
        answer = discussions.reply(page.ports, me, found.id, page.form.get("text"))
    return page.redirect(f"/app/remote-discussions/{found.id}?page=last#reply-{answer.id}",
                         flash="Your reply is sent to the group's server.")
