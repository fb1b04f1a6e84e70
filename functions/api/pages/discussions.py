"""Members' pages of a group's discussions: the list (paged, with the form that starts a thread),
a thread (its replies paged, the reply form, follow / unfollow, and the moderators' rename,
close and delete), and a reply's edit form. Plain forms (POST, then 303); every rule is in
affiche/domain/discussions.py. Rendered here on each request, never written to the bucket."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import discussions
from affiche.domain.errors import NotFound
from affiche.domain.groups import existing_group
from affiche.domain.model import Actor, Discussion, DiscussionReply
from affiche.domain.ports import END
from affiche.web.acting import acting_member
from functions.api.pages.common import Page, html, member

router = APIGatewayHttpRouter()
LIST, THREAD, EDIT = "app/discussions.html", "app/discussion.html", "app/discussion_reply_edit.html"


def list_url(group: str) -> str:
    return f"/app/groups/{group}/discussions"


def thread_url(group: str, discussion_id: str) -> str:
    return f"{list_url(group)}/{discussion_id}"


def _me(page: Page, group: str) -> Actor:
    return acting_member(page.ports, page.me, group,
                         page.form.optional("profile") or page.query("profile"))


def _cursors(page: Page) -> tuple[str | None, str | None]:
    """(after, before); `?page=last` (the link of mails and of a new reply) opens the end."""
    if page.query("page") == "last":
        return None, END
    return page.query("after"), page.query("before")


def _list_context(page: Page, group: str) -> dict[str, Any]:
    me = _me(page, group)
    after, before = _cursors(page)
    found = discussions.discussions(page.ports, me, group, after=after, before=before)
    return {"group": existing_group(page.ports, group), "actor": me, "page_of": found}


def _thread(page: Page, group: str, discussion_id: str) -> tuple[Actor, Discussion]:
    me = _me(page, group)
    found = discussions.discussion(page.ports, me, discussion_id)
    if found.group != group:
        raise NotFound(f"no discussion {discussion_id} in @{group}")
    return me, found


def _thread_context(page: Page, group: str, discussion_id: str) -> dict[str, Any]:
    me, found = _thread(page, group, discussion_id)
    after, before = _cursors(page)
    replies = discussions.replies(page.ports, me, discussion_id, after=after, before=before)
    return {"group": existing_group(page.ports, group), "actor": me, "discussion": found,
            "page_of": replies, "following": discussions.is_following(page.ports, me, found.id),
            "moderator": discussions.can_moderate(page.ports, found, me),
            "can_rename": discussions.can_rename(page.ports, found, me)}


@router.get("/app/groups/<name>/discussions", include_in_schema=False)
@html(router)
def index(name: str) -> Response[str]:
    page = member(router)
    return page.render(LIST, **_list_context(page, name))


@router.post("/app/groups/<name>/discussions", include_in_schema=False)
@html(router)
def start(name: str) -> Response[str]:
    page = member(router)
    with page.errors_in(LIST, form="start", context=lambda: _list_context(page, name)):
        created = discussions.start_discussion(page.ports, _me(page, name),
                                               name, page.form.get("title"),
                                               page.form.get("text"))
    return page.redirect(thread_url(name, created.id), flash="Your discussion is started.")


@router.get("/app/groups/<name>/discussions/<discussion_id>", include_in_schema=False)
@html(router)
def thread(name: str, discussion_id: str) -> Response[str]:
    page = member(router)
    return page.render(THREAD, **_thread_context(page, name, discussion_id))


def _on_thread(name: str, discussion_id: str, form: str, action: Any,
               done: str | None = None) -> Response[str]:
    """Run one thread form; a domain error shows the thread again, the message at `form`."""
    page = member(router)
    with page.errors_in(THREAD, form=form,
                        context=lambda: _thread_context(page, name, discussion_id)):
        me, found = _thread(page, name, discussion_id)
        message, anchor = action(page, me, found)
    return page.redirect(done or thread_url(name, discussion_id) + anchor, flash=message)


@router.post("/app/groups/<name>/discussions/<discussion_id>/replies", include_in_schema=False)
@html(router)
def post_reply(name: str, discussion_id: str) -> Response[str]:
    def act(page: Page, me: Actor, found: Discussion) -> tuple[str, str]:
        answer = discussions.reply(page.ports, me, found.id, page.form.get("text"))
        return "Your reply is published.", f"?page=last#reply-{answer.id}"

    return _on_thread(name, discussion_id, "reply", act)


@router.post("/app/groups/<name>/discussions/<discussion_id>/follow", include_in_schema=False)
@html(router)
def follow(name: str, discussion_id: str) -> Response[str]:
    def act(page: Page, me: Actor, found: Discussion) -> tuple[str, str]:
        if page.form.get("follow") == "on":
            discussions.follow(page.ports, me, found.id)
            return "You follow this discussion: a mail tells you of each new reply.", ""
        discussions.unfollow(page.ports, me, found.id)
        return "You no longer follow this discussion.", ""

    return _on_thread(name, discussion_id, "follow", act)


@router.post("/app/groups/<name>/discussions/<discussion_id>/rename", include_in_schema=False)
@html(router)
def rename(name: str, discussion_id: str) -> Response[str]:
    def act(page: Page, me: Actor, found: Discussion) -> tuple[str, str]:
        discussions.rename(page.ports, me, found.id, page.form.get("title"))
        return "The discussion is renamed.", ""

    return _on_thread(name, discussion_id, "moderation", act)


@router.post("/app/groups/<name>/discussions/<discussion_id>/close", include_in_schema=False)
@html(router)
def close(name: str, discussion_id: str) -> Response[str]:
    def act(page: Page, me: Actor, found: Discussion) -> tuple[str, str]:
        closed = page.form.get("closed") == "on"
        discussions.set_closed(page.ports, me, found.id, closed)
        return ("The discussion is closed." if closed else "The discussion is reopened."), ""

    return _on_thread(name, discussion_id, "moderation", act)


@router.post("/app/groups/<name>/discussions/<discussion_id>/delete", include_in_schema=False)
@html(router)
def delete(name: str, discussion_id: str) -> Response[str]:
    def act(page: Page, me: Actor, found: Discussion) -> tuple[str, str]:
        discussions.delete_discussion(page.ports, me, found.id)
        return "The discussion is deleted.", ""

    return _on_thread(name, discussion_id, "moderation", act, done=list_url(name))


def _reply(page: Page, found: Discussion, reply_id: str) -> DiscussionReply:
    answer = page.ports.repo.get(DiscussionReply, f"{found.id}|{reply_id}")
    if answer is None or answer.deleted:
        raise NotFound(f"no reply {reply_id} in this discussion")
    return answer


@router.get("/app/groups/<name>/discussions/<discussion_id>/replies/<reply_id>/edit",
            include_in_schema=False)
@html(router)
def edit_form(name: str, discussion_id: str, reply_id: str) -> Response[str]:
    page = member(router)
    me, found = _thread(page, name, discussion_id)
    answer = _reply(page, found, reply_id)
    return page.render(EDIT, group=existing_group(page.ports, name), discussion=found,
                       reply=answer, actor=me, values={"text": answer.text_source})


@router.post("/app/groups/<name>/discussions/<discussion_id>/replies/<reply_id>/edit",
             include_in_schema=False)
@html(router)
def edit(name: str, discussion_id: str, reply_id: str) -> Response[str]:
    page = member(router)
    me, found = _thread(page, name, discussion_id)
    answer = _reply(page, found, reply_id)
    with page.errors_in(EDIT, form="edit", context=lambda: {
            "group": existing_group(page.ports, name), "discussion": found, "reply": answer,
            "actor": me}):
        discussions.edit_reply(page.ports, me, found.id, reply_id, page.form.get("text"))
    # Back to the top of the thread's first page holding it is not known by cursor: the reply's
    # anchor on the page that starts with it.
    return page.redirect(f"{thread_url(name, found.id)}?before={_just_after(answer)}"
                         f"#reply-{reply_id}", flash="Your reply is changed.")


def _just_after(answer: DiscussionReply) -> str:
    """A `before` cursor whose page ends with `answer` (its sort key with a character more)."""
    from urllib.parse import quote

    return quote(f"{answer.created_at.isoformat()}#{answer.id}~", safe="")


@router.post("/app/groups/<name>/discussions/<discussion_id>/replies/<reply_id>/delete",
             include_in_schema=False)
@html(router)
def delete_reply(name: str, discussion_id: str, reply_id: str) -> Response[str]:
    def act(page: Page, me: Actor, found: Discussion) -> tuple[str, str]:
        discussions.delete_reply(page.ports, me, found.id, reply_id)
        return "The reply is deleted.", ""

    return _on_thread(name, discussion_id, "thread", act)
