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
its other remote members (affiche/activitypub/discussion_fanout.py).

The other way round, a Note addressed to the members collection (`{group}/members`) of a group of
another server one of our people is a member of is a message of one of its threads: we keep a copy
for them (remote_group_message -> discussions.keep_remote_message), from its author on the group's
server, or relayed by the group itself (`Announce{Note}`, `Announce{Tombstone}`: Mobilizon's
relay of a member of a third server); the author's Update and Delete change the copy."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.handlers import InboundContext, Outcome, register
from affiche.activitypub.handlers.support import id_of, local_name, ports, same_host
from affiche.domain import discussions
from affiche.domain.errors import DomainError
from affiche.domain.model import Actor, is_remote_name

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
        return remote_group_message(note, context)
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

    if is_remote_name(found.group):  # our copy of a thread of a group elsewhere
        title = _title(note)
        try:
            discussions.change_remote_message(ports(), author, found,
                                              markdown_source(_content(note)), title)
        except DomainError as error:
            return Outcome("ignored", f"refused: {error}")
        return Outcome("handled", f"edited our copy of {id_of(note)}")
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
        if is_remote_name(found.group):  # our copy of a thread of a group elsewhere
            discussions.change_remote_message(ports(), author, found, None)
            return Outcome("handled", f"deleted our copy of {target}")
        discussions.delete_reply(ports(), author, found.discussion, found.id)
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"deleted reply {found.id} in discussion {found.discussion}")


def _members_of(note: dict[str, Any]) -> list[str]:
    """The groups whose members collection (`{group}/members`, as we and Mobilizon name it) the
    Note is addressed to."""
    found = []
    for field in ("to", "cc"):
        value = note.get(field)
        for item in value if isinstance(value, list) else [value]:
            address = id_of(item) or ""
            if address.endswith("/members"):
                base = address.removesuffix("/members")
                found += [base, base + "/"]
    return found


def _our_members(note: dict[str, Any], context: InboundContext, group: Actor) -> list[str]:
    """Our people the Note reached: the owner of the personal inbox, or those it names, or (at
    our shared inbox, addressed to the members alone) our people who are members there."""
    if context.inbox:
        return [context.inbox]
    named = []
    for field in ("to", "cc"):
        value = note.get(field)
        for item in value if isinstance(value, list) else [value]:
            name = local_name(id_of(item))
            if name:
                named.append(name)
    return named or [m.member for m in ports().repo.memberships_of_group(group.name)
                     if not is_remote_name(m.member)]


def remote_group_message(note: dict[str, Any], context: InboundContext, *,
                         relayed: bool = False) -> Outcome | None:
    """A message of a thread of a group of another server, sent to its members, one of whom is
    one of our people: we keep a copy for them (discussions.keep_remote_message). None when the
    Note is addressed to no group's members (then it may be a comment). `relayed`: the group
    itself announces a member's message (Mobilizon's relay), so the author may be elsewhere."""
    candidates = _members_of(note)
    if not candidates:
        return None
    context_ports = ports()
    group = next((g for g in (context_ports.repo.get(Actor, c) for c in candidates)
                  if g is not None and g.is_group and g.is_remote), None)
    if group is None:
        return Outcome("ignored", "a message to the members of a group none of our people is in")
    thread = id_of(note.get("context")) or id_of(note.get("inReplyTo")) or ""
    if not same_host(group.name, context.signer) or not same_host(thread, group.name):
        return Outcome("ignored", "a group's discussion comes from the group's own server")
    author = _author_of(note, context, relayed, group)
    if isinstance(author, Outcome):
        return author
    from affiche.activitypub.handlers.note import _content, markdown_source

    found = discussions.reply_of_note(context_ports, id_of(note) or "")
    if found is not None:  # an edit the group relays
        try:
            discussions.change_remote_message(context_ports, author, found,
                                              markdown_source(_content(note)), _title(note))
        except DomainError as error:
            return Outcome("ignored", f"refused: {error}")
        return Outcome("handled", f"edited our copy of {id_of(note)}")

    title = _title(note)
    kept = None
    reasons = []
    for member in _our_members(note, context, group):
        try:
            kept = discussions.keep_remote_message(context_ports, author, group, member, thread,
                                                   id_of(note) or "",
                                                   markdown_source(_content(note)), title)
            break
        except DomainError as error:
            reasons.append(str(error))
    if kept is None:
        return Outcome("ignored", "refused: " + ("; ".join(reasons) or "none of our people "
                                                 "is a member of the group"))
    return Outcome("handled", f"kept {kept.ap_id} in our copy of {thread}")


def _author_of(note: dict[str, Any], context: InboundContext, relayed: bool,
               group: Actor) -> Any:
    """The message's author, or the Outcome saying why it is not taken: the signer for a
    message sent by its author; the Note's author when the group itself relays it."""
    if relayed and context.signer != group.name:
        return Outcome("ignored", "only the group itself relays its members' messages")
    if not relayed and id_of(note.get("attributedTo")) not in (None, context.signer):
        return Outcome("ignored", "a Note is only accepted from its author")
    if not relayed:
        return _signer(context)
    author_id = id_of(note.get("attributedTo"))
    if not author_id:
        return Outcome("ignored", "a relayed Note names no author")
    try:
        return resolve_actor(ports().repo, author_id)
    except FetchError as error:
        return Outcome("ignored", f"cannot resolve the author: {error}")


@register("Announce", "Note")
def announced_note(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """A group of another server relays a member's message of one of its threads to its members
    (Mobilizon's `Announce` of the Note), one of whom is one of our people."""
    note = activity.get("object")
    assert isinstance(note, dict)  # the registry dispatched on its type
    return (remote_group_message(note, context, relayed=True)
            or Outcome("ignored", "an announced Note addressed to no group's members"))


@register("Announce", "Tombstone")
def announced_deletion(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """The group relays the deletion of a member's message we keep a copy of."""
    target = id_of(activity.get("object")) or ""
    found = discussions.reply_of_note(ports(), target)
    group = ports().repo.get(Actor, found.group) if found else None
    if found is None or group is None or context.signer != group.name:
        return Outcome("ignored", "no message of this group's threads is kept here with this id")
    author = ports().repo.get(Actor, found.author)
    if author is None:
        return Outcome("ignored", "its author is unknown here")
    discussions.change_remote_message(ports(), author, found, None)
    return Outcome("handled", f"deleted our copy of {target}")


def _title(note: dict[str, Any]) -> str:
    name = note.get("name")
    return name if isinstance(name, str) else ""


def _signer(context: InboundContext) -> Any:
    try:
        return resolve_actor(ports().repo, context.signer)
    except FetchError as error:
        return Outcome("ignored", f"cannot resolve the author: {error}")
