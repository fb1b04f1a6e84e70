"""Create{Note} and Update{Note} from the fediverse: replies to our events become comments.

A Note is kept when its `inReplyTo` is one of our events (`{public_url}/events/{uuid}/`), one of
our comments (`{event}#comment-{id}`) or a remote comment we keep (its Note id). It goes through
the same domain service as a local comment (affiche.domain.comments), acted by the remote author
resolved by its AP id, so the domain's rules hold for everyone: closed comments, private events,
the rate limit, the author alone editing. Whatever the domain refuses is `ignored` with its reason.
Only Notes addressed to the public are kept: a followers-only or direct reply mentioning our group
must not turn into a comment everyone reads.

The remote HTML is not trusted as HTML: it is sanitised with the project's allow-list, reduced to
its text and stored as Markdown source with Markdown's markup escaped, so the comment renders as
the words that were written (links become their visible text). `Delete` of such a Note is handled
by the one `Delete` handler (handlers/actor.py), which calls `forget_remote_comment` here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.handlers import InboundContext, Outcome, register
from affiche.activitypub.handlers.discussion import discussion_edit, discussion_reply
from affiche.activitypub.handlers.support import id_of, local_path, ports
from affiche.activitypub.vocabulary import PUBLIC
from affiche.domain import comments
from affiche.domain.errors import DomainError
from affiche.domain.model import Actor, Comment
from affiche.domain.text import plain_text, sanitize

# What Python-Markdown would read as markup, escaped with the backslashes it understands; the
# text is already HTML-escaped by nh3 (`<` is `&lt;`), so raw HTML cannot come through.
_MARKUP = re.compile(r"([\\`*_\[\]!#>])")
_LIST_ITEM = re.compile(r"^(\s*)([-+])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)\.", re.MULTILINE)
_UNDERLINE = re.compile(r"^(\s*)=", re.MULTILINE)  # a setext heading; `\=` is no escape


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</p\s*>", re.IGNORECASE)


def markdown_source(html: str) -> str:
    """The text of remote HTML as Markdown that renders exactly that text: its paragraphs stay
    paragraphs, its line breaks stay line breaks (two trailing spaces), nothing else is markup."""
    html = _PARAGRAPH_END.sub("</p>\n", _BREAK.sub("\n", sanitize(html)))
    text = _MARKUP.sub(r"\\\1", plain_text(html))
    text = re.sub(r"(?<!\n)\n(?!\n)", "  \n", text)
    text = _LIST_ITEM.sub(r"\1\\\2", text)
    text = _NUMBERED.sub(r"\1\\.", text)
    return _UNDERLINE.sub(r"\1&#61;", text)


def _content(note: dict[str, Any]) -> str:
    content = note.get("content")
    if not isinstance(content, str):
        mapped = note.get("contentMap")
        values = list(mapped.values()) if isinstance(mapped, dict) else []
        content = next((v for v in values if isinstance(v, str)), "")
    return content


def _ours(url: str) -> tuple[str, str | None] | None:
    """(event uuid, comment id or None) when `url` names one of our events or comments."""
    uuid = local_path(url, "events/")
    if uuid is None:
        return None
    fragment = urlsplit(url).fragment
    if not fragment:
        return uuid, None
    if fragment.startswith("comment-"):
        return uuid, fragment[len("comment-"):]
    return None


def answered(in_reply_to: str | None) -> tuple[str, str | None] | None:
    """What a Note answers here: (event uuid, parent comment id or None), or None if not ours."""
    if not in_reply_to:
        return None
    remote = ports().repo.get(Comment, comments.remote_comment_id(in_reply_to))
    if remote is not None:
        return remote.event, remote.id
    return _ours(in_reply_to)


def remote_comment(note_id: str | None) -> Comment | None:
    """The live comment a remote Note became, if we keep one."""
    if not note_id:
        return None
    found = ports().repo.get(Comment, comments.remote_comment_id(note_id))
    return found if found is not None and not found.deleted else None


def _author(context: InboundContext) -> Actor | Outcome:
    try:
        return resolve_actor(ports().repo, context.signer)
    except FetchError as error:
        return Outcome("ignored", f"cannot resolve the author: {error}")


_PUBLIC = {PUBLIC, "as:Public", "Public"}


def _is_public(note: dict[str, Any]) -> bool:
    """Addressed to everyone (Mastodon's public or unlisted): comments are shown to all, so a
    followers-only or direct reply must not become one."""
    audience = [*_listed(note.get("to")), *_listed(note.get("cc"))]
    return any(id_of(a) in _PUBLIC for a in audience)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _note(activity: dict[str, Any], context: InboundContext) -> dict[str, Any] | Outcome:
    obj = activity.get("object")
    if not isinstance(obj, dict) or not id_of(obj):
        return Outcome("ignored", "a Note without an id")
    if id_of(obj.get("attributedTo")) not in (None, context.signer):
        return Outcome("ignored", "a Note is only accepted from its author")
    if not _is_public(obj):
        return Outcome("ignored", "not a public Note: comments are shown to everyone")
    return obj


@register("Create", "Note")
def create(activity: dict[str, Any], context: InboundContext) -> Outcome:
    in_discussion = discussion_reply(activity, context)  # members-only: before the public check
    if in_discussion is not None:
        return in_discussion
    note = _note(activity, context)
    if isinstance(note, Outcome):
        return note
    target = answered(id_of(note.get("inReplyTo")))
    if target is None:
        return Outcome("ignored", "not a reply to one of our events or comments")
    if ports().repo.get(Comment, comments.remote_comment_id(str(note["id"]))) is not None:
        return Outcome("ignored", "this Note is already a comment here")
    author = _author(context)
    if isinstance(author, Outcome):
        return author
    uuid, parent = target
    url = note.get("url") if isinstance(note.get("url"), str) else None
    try:
        comment = comments.post_comment(ports(), author, uuid, markdown_source(_content(note)),
                                        in_reply_to=parent, ap_id=str(note["id"]), url=url)
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"comment {comment.id} on {uuid}")


@register("Update", "Note")
def update(activity: dict[str, Any], context: InboundContext) -> Outcome:
    in_discussion = discussion_edit(activity, context)  # members-only: before the public check
    if in_discussion is not None:
        return in_discussion
    note = _note(activity, context)
    if isinstance(note, Outcome):
        return note
    comment = remote_comment(id_of(note))
    if comment is None:
        # An edited reply whose Create never reached us (or came before we followed the thread)
        # is a reply all the same; `create` refuses it if it is not one of ours.
        return create(activity, context)
    author = _author(context)
    if isinstance(author, Outcome):
        return author
    try:
        comments.edit_comment(ports(), author, comment.id, markdown_source(_content(note)))
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"edited comment {comment.id}")


def forget_remote_comment(target: str, context: InboundContext) -> Outcome | None:
    """A Delete of a remote Note we keep as a comment; None when `target` is no such Note."""
    comment = remote_comment(target)
    if comment is None:
        return None
    author = _author(context)
    if isinstance(author, Outcome):
        return author
    try:
        comments.delete_comment(ports(), author, comment.id)
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"deleted comment {comment.id}")
