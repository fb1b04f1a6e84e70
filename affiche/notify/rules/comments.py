"""A new comment tells the event's organiser, and a reply tells the author of the comment
answered (nobody is told about their own comment)."""

from __future__ import annotations

from typing import Any

from affiche.domain.activities import is_restoring
from affiche.domain.model import Activity, Comment, Event
from affiche.domain.text import plain_text
from affiche.notify import Mail, rule
from affiche.notify.rules.common import event_context


@rule("Create", "comment")
def new_comment(activity: Activity, repo: Any) -> list[Mail]:
    comment = Comment.from_dict(activity.object)
    event = repo.get(Event, comment.event)
    if event is None or event.deleted or is_restoring(activity):
        return []  # a comment a moderator restored is not news: it was told when written
    context = {**event_context(event), "author": comment.author, "comment_id": comment.id,
               "text": plain_text(comment.text_html)[:1000]}
    mails = []
    if comment.in_reply_to:
        parent = repo.get(Comment, comment.in_reply_to)
        if parent is not None and not parent.deleted and parent.author != comment.author:
            mails.append(Mail("comment_reply", {**context, "name": parent.author},
                              recipient=parent.author, preference="new_comment"))
    told = {m.recipient for m in mails}
    if event.organizer != comment.author and event.organizer not in told:
        mails.append(Mail("comment_new", {**context, "name": event.organizer},
                          recipient=event.organizer, preference="new_comment"))
    return mails
