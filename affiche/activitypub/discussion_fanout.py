"""Fan-out of group discussions to the group's remote members (Mobilizon's model).

A discussion is members-only: nothing of it goes to followers, an outbox or the public. What a
local member writes in a thread of one of our groups goes to each *remote member's own inbox*
(never a shared inbox, whose server could not tell who may read it), as Mobilizon does: a
`Create` of a `Note` whose `context` is the discussion (the thread's opening message also carries
the thread's `name`), addressed to the group's members collection and to each remote member,
never to Public. Edits go out as `Update{Note}`, deletions as `Delete{Tombstone}`, a renamed
thread as an `Update` of its opening Note with the new name.

Ids: the discussion is its members' page, `{base}/app/groups/{group}/discussions/{id}`, and a
reply `{that}/replies/{reply_id}`; handlers/discussion.py reads both back from a remote member's
`context` or `inReplyTo`.

What a remote member writes comes in through handlers/discussion.py and is kept with its Note's
id. The group relays it to its *other* remote members as Mobilizon does
(`maybe_relay_if_group_activity`): an `Announce` by the group, addressed to its members
collection (not public), whose object is the member's Note under its own id (their server's),
its text as we keep it; an edit is announced again (the Note with its new text), a deletion as
the announced Tombstone of that id. The author's own server gets nothing back.

And the other way: one of our people is a member of a group of another server, whose threads we
keep copies of (affiche.domain.discussions.keep_remote_message). What they write, edit or delete
there goes to that group's inbox as `Create`/`Update`/`Delete` of a Note whose `context` is the
thread's id on its server (`_to_remote_group`); the group relays it to its members.
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.activitypub.fanout import Delivery, register_planner
from affiche.domain.model import Activity, Actor, Discussion, DiscussionReply, is_remote_name
from affiche.domain.ports import Repository
from affiche.domain.roles import MEMBER_ROLES


def discussion_id(urls: ap.Urls, group: str, discussion: str) -> str:
    return f"{urls.base}/app/groups/{group}/discussions/{discussion}"


def reply_id(urls: ap.Urls, group: str, discussion: str, reply: str) -> str:
    return f"{discussion_id(urls, group, discussion)}/replies/{reply}"


def remote_member_inboxes(repo: Repository, group: str, *, besides: str = "") -> dict[str, str]:
    """The group's remote members (actor id -> personal inbox), `besides` left out."""
    found: dict[str, str] = {}
    for membership in repo.memberships_of_group(group):
        if (membership.role not in MEMBER_ROLES or not is_remote_name(membership.member)
                or membership.member == besides):
            continue
        person = repo.get(Actor, membership.member)
        if person is not None and not person.deleted and person.inbox:
            found[membership.member] = person.inbox
    return found


def _note(urls: ap.Urls, reply: DiscussionReply, discussion: Discussion | None,
          to: list[str]) -> dict[str, Any]:
    context = discussion_id(urls, reply.group, reply.discussion)
    note: dict[str, Any] = {
        "id": reply_id(urls, reply.group, reply.discussion, reply.id), "type": "Note",
        "attributedTo": urls.actor(reply.author), "actor": urls.actor(reply.author),
        "context": context, "inReplyTo": context, "content": reply.text_html,
        "mediaType": "text/html", "source": {"content": reply.text_source,
                                             "mediaType": "text/markdown"},
        "published": reply.created_at.isoformat(), "updated": reply.updated_at.isoformat(),
        "to": to, "cc": []}
    if discussion is not None:
        note["name"] = discussion.title
    return note


def _opening(repo: Repository, discussion: Discussion) -> DiscussionReply | None:
    first = repo.replies_of_discussion(discussion.id, limit=1).items
    return first[0] if first else None


def _relayed(activity: Activity, group: str, members: dict[str, str],
             urls: ap.Urls) -> list[Delivery]:
    """A remote member's reply, edit or deletion, announced by the group to the others."""
    reply = DiscussionReply.from_dict(activity.object)
    if activity.object_kind != "discussion_reply" or not reply.ap_id:
        return []
    to = [urls.actor(group).rstrip("/") + "/members"]
    obj: dict[str, Any]
    if activity.type == "Delete":
        obj = {"id": reply.ap_id, "type": "Tombstone", "formerType": "Note"}
    else:
        context = discussion_id(urls, group, reply.discussion)
        obj = {"id": reply.ap_id, "type": "Note", "attributedTo": reply.author,
               "actor": reply.author, "context": context, "inReplyTo": context,
               "content": reply.text_html, "mediaType": "text/html",
               "published": reply.created_at.isoformat(),
               "updated": reply.updated_at.isoformat(), "to": to, "cc": []}
    doc = {"@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": "Announce",
           "actor": urls.actor(group), "object": obj, "to": to, "cc": [],
           "published": activity.published.isoformat()}
    return [Delivery(doc, group, tuple(dict.fromkeys(members.values())))]


def remote_reply_id(urls: ap.Urls, reply: DiscussionReply) -> str:
    """Our id for one of our people's message in a thread of a group of another server."""
    return f"{urls.base}/app/remote-discussions/{reply.discussion}/replies/{reply.id}"


def _to_remote_group(activity: Activity, group: str, repo: Repository,
                     urls: ap.Urls) -> list[Delivery]:
    """One of our people writes, edits or deletes a message in our copy of a thread of a group
    of another server: it goes to that group's inbox, a Note whose `context` is the thread's id
    there, addressed to the group's members (Mobilizon's shape); the group relays it."""
    if activity.object_kind != "discussion_reply" or is_remote_name(activity.actor):
        return []
    reply = DiscussionReply.from_dict(activity.object)
    thread = repo.get(Discussion, reply.discussion)
    target = repo.get(Actor, group)
    if thread is None or not thread.ap_id or target is None or not target.inbox:
        return []
    to = [group.rstrip("/") + "/members", group]
    obj: dict[str, Any]
    if activity.type == "Delete":
        obj = {"id": remote_reply_id(urls, reply), "type": "Tombstone", "formerType": "Note"}
    else:
        obj = {"id": remote_reply_id(urls, reply), "type": "Note",
               "attributedTo": urls.actor(reply.author), "context": thread.ap_id,
               "inReplyTo": thread.ap_id, "content": reply.text_html, "mediaType": "text/html",
               "source": {"content": reply.text_source, "mediaType": "text/markdown"},
               "published": reply.created_at.isoformat(), "updated": reply.updated_at.isoformat(),
               "to": to, "cc": []}
    doc = {"@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": activity.type,
           "actor": urls.actor(activity.actor), "object": obj, "to": to, "cc": [],
           "published": activity.published.isoformat()}
    return [Delivery(doc, activity.actor, (target.inbox,))]


@register_planner("discussion_reply")
@register_planner("discussion")
def _discussion(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    if activity.type not in {"Create", "Update", "Delete"}:
        return []
    group = str(activity.target or activity.object.get("group", ""))
    if not group:
        return []
    if is_remote_name(group):
        return _to_remote_group(activity, group, repo, urls)
    members = remote_member_inboxes(repo, group, besides=activity.actor)
    if not members:
        return []
    if is_remote_name(activity.actor):
        return _relayed(activity, group, members, urls)
    to = [urls.actor(group).rstrip("/") + "/members", *members]
    if activity.object_kind == "discussion":
        discussion = Discussion.from_dict(activity.object)
        if activity.type == "Delete":
            obj: dict[str, Any] = {"id": discussion_id(urls, group, discussion.id),
                                   "type": "Tombstone", "formerType": "Note"}
        else:
            opening = _opening(repo, discussion)
            if opening is None:
                return []
            obj = _note(urls, opening, discussion, to)
    else:
        reply = DiscussionReply.from_dict(activity.object)
        if activity.type == "Delete":
            # A moderator deleting a remote member's message names it by its own (Note) id.
            obj = {"id": reply.ap_id or reply_id(urls, group, reply.discussion, reply.id),
                   "type": "Tombstone", "formerType": "Note"}
        else:
            obj = _note(urls, reply, None, to)
    doc = {"@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": activity.type,
           "actor": urls.actor(activity.actor), "object": obj, "to": to, "cc": [],
           "published": activity.published.isoformat()}
    return [Delivery(doc, activity.actor, tuple(dict.fromkeys(members.values())))]
