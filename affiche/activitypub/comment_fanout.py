"""Fan-out of our people's comments: a public comment on a public event leaves as a `Note`.

A comment is not group content of its own (its activity names the author, not the group), so it
has its own planner rather than `register_content`: the event says which group's followers get
it. What goes out, for Create / Update / Delete of a comment on one of our public or unlisted
events (a private event's comments never leave, nor do comments on remote events):
- the author's activity, with the Note (or a Tombstone for a Delete), to the group's remote
  followers and, when it answers a remote comment, to that comment's author;
- the group's relay of it (FEP-1b12 `Announce{Create}` plus the plain `Announce`), like every
  member's activity in the group (affiche.activitypub.fanout._relayed).
Remote people's comments are never sent again by us (fanout.plan drops remote actors).
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.activitypub.comments import comment_id, note
from affiche.activitypub.fanout import (
    SHAREABLE,
    Delivery,
    _relayed,
    register_planner,
    remote_follower_inboxes,
)
from affiche.domain.model import Activity, Actor, Comment, Event, is_remote_name
from affiche.domain.ports import Repository


def _note(urls: ap.Urls, activity: Activity, comment: Comment, parent: Comment | None,
          group: str) -> dict[str, Any]:
    if activity.type == "Delete":
        return {"id": comment_id(urls, comment), "type": "Tombstone", "formerType": "Note"}
    obj = note(urls, comment, parent, activity.audience)
    obj["cc"] = [*obj["cc"], urls.actor(group) + "followers"]
    if parent is not None and is_remote_name(parent.author):
        obj["cc"].append(parent.author)
    return obj


def _parent_inbox(repo: Repository, parent: Comment | None) -> list[str]:
    if parent is None or not is_remote_name(parent.author):
        return []
    author = repo.get(Actor, parent.author)
    return [author.inbox] if author and not author.deleted and author.inbox else []


@register_planner("comment")
def plan_comment(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    if activity.type not in {"Create", "Update", "Delete"} or activity.audience not in SHAREABLE:
        return []
    comment = Comment.from_dict(activity.object)
    event = repo.get(Event, comment.event)
    if event is None or event.is_remote or event.visibility not in SHAREABLE:
        return []
    parent = repo.get(Comment, comment.in_reply_to) if comment.in_reply_to else None
    followers = tuple(remote_follower_inboxes(repo, event.group))
    inboxes = tuple(dict.fromkeys([*followers, *_parent_inbox(repo, parent)]))
    if not inboxes:
        return []
    doc = ap.activity_document(urls, activity, _note(urls, activity, comment, parent,
                                                      event.group))
    doc["cc"] = [*doc.get("cc", []), urls.actor(event.group) + "followers"]
    own = Delivery(doc, activity.actor, inboxes)
    return [own, *_relayed(urls, activity, doc, event.group, followers)] if followers else [own]
