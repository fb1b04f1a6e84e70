"""A new reply in a group discussion tells the thread's followers (its starter follows from the
start; anyone may follow or unfollow), except its author. Only current members are told: a
follower who left or was removed from the group gets nothing more of its members-only threads.
Remote members are told over ActivityPub, never by mail (notify.address_of skips them)."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Activity, Actor, Discussion, DiscussionReply, Membership
from affiche.domain.roles import MEMBER_ROLES
from affiche.domain.text import plain_text
from affiche.notify import Mail, rule


@rule("Create", "discussion_reply")
def new_reply(activity: Activity, repo: Any) -> list[Mail]:
    answer = DiscussionReply.from_dict(activity.object)
    thread = repo.get(Discussion, answer.discussion)
    if thread is None or thread.deleted:
        return []
    group = repo.get(Actor, thread.group)
    context = {"group": thread.group,
               "group_display": group.display_name if group else thread.group,
               "discussion_title": thread.title, "discussion_id": thread.id,
               "author": answer.author if ":" in answer.author else f"@{answer.author}",
               "reply_id": answer.id,
               "text": plain_text(answer.text_html)[:1000]}
    mails = []
    for follow in repo.discussion_followers(thread.id):
        if follow.follower == answer.author:
            continue
        member = repo.get(Membership, f"{thread.group}|{follow.follower}")
        if member is None or member.role not in MEMBER_ROLES:
            continue
        mails.append(Mail("discussion_reply", {**context, "name": follow.follower},
                          recipient=follow.follower, preference="discussion_reply"))
    return mails
