"""Comments as ActivityStreams: each a `Note` replying to its event (or to another comment), and
an event's comments as its `replies` collection, embedded in the event document.

A comment's id is a fragment of its event's URL (`{event}#comment-{id}`): the static event
document that embeds it is what a fetch of that id returns. A comment that came over ActivityPub
keeps the remote Note's own id. Deleted comments are simply left out (the thread keeps their
replies, which then answer the deleted id)."""

from __future__ import annotations

from typing import Any

from affiche.activitypub.vocabulary import PUBLIC, Urls
from affiche.domain.model import Comment, Event


def actor_url(urls: Urls, name: str) -> str:
    """A local profile's URL, or a remote actor's id as it is (remote names are their ids)."""
    return name if name.startswith(("http://", "https://")) else urls.actor(name)


def comment_id(urls: Urls, comment: Comment) -> str:
    return comment.ap_id or f"{urls.event(comment.event)}#comment-{comment.id}"


def note(urls: Urls, comment: Comment, parent: Comment | None, audience: str) -> dict[str, Any]:
    event_url = urls.event(comment.event)
    followers = actor_url(urls, comment.author).rstrip("/") + "/followers"
    addressing = ({"to": [PUBLIC], "cc": [followers]} if audience == "public"
                  else {"to": [followers], "cc": [PUBLIC]})
    return {
        "id": comment_id(urls, comment),
        "type": "Note",
        "attributedTo": actor_url(urls, comment.author),
        "inReplyTo": comment_id(urls, parent) if parent else event_url,
        "context": event_url,
        "content": comment.text_html,
        "mediaType": "text/html",
        "published": comment.created_at.isoformat(),
        "updated": comment.updated_at.isoformat(),
        "url": comment.url or f"{event_url}#comment-{comment.id}",
        **addressing,
    }


def replies(urls: Urls, event: Event, comments: list[Comment], audience: str) -> dict[str, Any]:
    """The event's live comments, oldest first, as an embedded Collection."""
    by_id = {c.id: c for c in comments}
    live = [c for c in comments if not c.deleted]
    items = [note(urls, c, by_id.get(c.in_reply_to or ""), audience) for c in live]
    return {"id": f"{urls.event(event.uuid)}#replies", "type": "Collection",
            "totalItems": len(items), "items": items}
