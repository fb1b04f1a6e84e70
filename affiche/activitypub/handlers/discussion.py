"""A remote member's `Create{Note}` in one of our groups' discussions (Mobilizon's model).

Mobilizon addresses a discussion message to the group's members collection, not to the public,
with `context` naming the discussion (`inReplyTo` a message of it or the discussion itself). Its
id is ours, `{public_url}/app/groups/{group}/discussions/{id}[/replies/{reply}]`
(discussion_fanout.py). The message becomes a reply through the same domain service as a local
one (affiche.domain.discussions.reply), acted by the remote author: the domain checks they are a
member of the group and the thread is open, so a non-member's Note is ignored with that reason.
The remote HTML is reduced to its text, as for comments (note.markdown_source).

The reply keeps the Note's id (`DiscussionReply.ap_id`), so the author's `Update{Note}` edits it
and their `Delete` wipes it, through edit_reply / delete_reply: only the author may (a signer
who is not the Note's author is refused by the domain). The group then relays what they wrote to
its other remote members (affiche/activitypub/discussion_fanout.py)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.handlers import InboundContext, Outcome
from affiche.activitypub.handlers.support import id_of, ports
from affiche.domain import discussions
from affiche.domain.errors import DomainError

_PATH = re.compile(r"/app/groups/([^/]+)/discussions/([^/]+)(?:/replies/[^/]+)?/?$")


def our_discussion(url: str | None) -> str | None:
    """The id of one of our discussions that `url` names (the thread or one of its replies)."""
    if not url:
        return None
    from affiche.config import get_settings

    public = urlsplit(get_settings().public_url)
    parts = urlsplit(url)
    if parts.netloc.lower() != public.netloc.lower():
        return None
    path = unquote(parts.path)
    prefix = public.path.rstrip("/")
    if not path.startswith(prefix + "/app/"):
        return None
    found = _PATH.match(path[len(prefix):])
    return found.group(2) if found else None


def named_discussion(note: dict[str, Any]) -> str | None:
    for field in ("context", "inReplyTo"):
        found = our_discussion(id_of(note.get(field)))
        if found:
            return found
    return None


def discussion_reply(activity: dict[str, Any], context: InboundContext) -> Outcome | None:
    """The outcome when the Note is a message in one of our discussions; None when it is not
    (then it may still be a comment)."""
    note = activity.get("object")
    if not isinstance(note, dict):
        return None
    discussion_id = named_discussion(note)
    if discussion_id is None:
        return None
    if id_of(note.get("attributedTo")) not in (None, context.signer):
        return Outcome("ignored", "a Note is only accepted from its author")
    try:
        author = resolve_actor(ports().repo, context.signer)
    except FetchError as error:
        return Outcome("ignored", f"cannot resolve the author: {error}")
    from affiche.activitypub.handlers.note import _content, markdown_source

    note_id = id_of(note)
    try:
        answer = discussions.reply(ports(), author, discussion_id,
                                   markdown_source(_content(note)), ap_id=note_id or None)
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"reply {answer.id} in discussion {discussion_id}")


def discussion_edit(activity: dict[str, Any], context: InboundContext) -> Outcome | None:
    """`Update{Note}` of a remote member's reply we keep; None when the Note is no such reply
    (then it may be a comment, or a reply whose Create we missed, handled as a Create)."""
    note = activity.get("object")
    if not isinstance(note, dict):
        return None
    found = discussions.reply_of_note(ports(), id_of(note) or "")
    if found is None:
        return discussion_reply(activity, context)
    author = _signer(context)
    if isinstance(author, Outcome):
        return author
    from affiche.activitypub.handlers.note import _content, markdown_source

    try:
        discussions.edit_reply(ports(), author, found.discussion, found.id,
                               markdown_source(_content(note)))
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"edited reply {found.id} in discussion {found.discussion}")


def forget_discussion_note(target: str, context: InboundContext) -> Outcome | None:
    """A `Delete` of a remote member's reply we keep; None when `target` is no such Note."""
    found = discussions.reply_of_note(ports(), target)
    if found is None:
        return None
    author = _signer(context)
    if isinstance(author, Outcome):
        return author
    try:
        discussions.delete_reply(ports(), author, found.discussion, found.id)
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"deleted reply {found.id} in discussion {found.discussion}")


def _signer(context: InboundContext) -> Any:
    try:
        return resolve_actor(ports().repo, context.signer)
    except FetchError as error:
        return Outcome("ignored", f"cannot resolve the author: {error}")
