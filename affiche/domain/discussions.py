"""Group discussions (Mobilizon's): members-only threads, each a title and Markdown replies.

Every service takes the *acting actor* (DESIGN.md §9): a local profile chosen by the web layer,
or, once federation lands, a remote member resolved by the inbox; membership is looked up by the
actor's name either way. Who may do what (affiche/domain/roles.py):

- the group's members ("discuss") read the threads, start one, reply, follow or unfollow one;
- a reply's author edits and deletes it; a thread's starter renames it;
- moderators and above ("moderate_discussions") rename, close, reopen or delete any thread and
  delete any reply.

A thread is started with its opening message (as Mobilizon asks for one). Each change commits
the entity and its Activity (object kind "discussion" or "discussion_reply", target the group)
in one transaction, with the audience "members": the publisher renders nothing for it, and the
fan-out (affiche/activitypub/discussion_fanout.py) sends it to the group's remote members alone,
so nothing of a discussion ever reaches the bucket or a follower. A remote member's reply comes
in through affiche/activitypub/handlers/discussion.py and calls `reply` here (keeping the Note's
id, so their `Update` and `Delete` reach `edit_reply` and `delete_reply`, author-checked as for
anyone); the fan-out relays it to the other remote members as the group's `Announce`.
Following a thread is a person's own switch (no activity); the starter follows from the start,
and affiche/notify/rules/discussions.py mails followers each new reply.
"""

from __future__ import annotations

import dataclasses

from affiche.domain import activities, rules
from affiche.domain.comments import RATE_ACTION, checked_text, remote_comment_id
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from affiche.domain.event_fields import line
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import (
    Activity,
    Actor,
    Discussion,
    DiscussionFollow,
    DiscussionReply,
    Membership,
)
from affiche.domain.ports import ChangeSet, Slice
from affiche.domain.retry import optimistically
from affiche.domain.roles import allowed, authorize
from affiche.domain.suspended_authors import suspended_among
from affiche.domain.text import markdown_to_html

TITLE_MAX = 200
PAGE_SIZE = 20
PAGE_MAX = 100
CURSOR_MAX = 200  # a cursor is a sort key: an ISO time, "#" and an id
AUDIENCE = "members"  # never published, never federated to followers (DESIGN.md principle 2)
BATCH = 90  # items per transaction when a deleted thread's replies are cleared (limit 100)


# --- reading -------------------------------------------------------------------------------------

def member_in(ports: Ports, group: str, actor: Actor, action: str = "discuss") -> Membership:
    """The actor's membership in `group` when it may do `action`; PermissionDenied otherwise."""
    existing_group(ports, group)
    if actor.deleted or actor.is_group:
        raise PermissionDenied("only people take part in discussions")
    return authorize(membership_of(ports, group, actor.name), action)


def discussions(ports: Ports, actor: Actor, group: str, *, limit: int = PAGE_SIZE,
                after: str | None = None, before: str | None = None) -> Slice[Discussion]:
    """A page of the group's threads, most recently active first."""
    member_in(ports, group, actor)
    return ports.repo.discussions_of_group(group, limit=_limit(limit), after=_cursor(after),
                                           before=_cursor(before))


def discussion(ports: Ports, actor: Actor, discussion_id: str) -> Discussion:
    """The thread, when `actor` is a member of its group."""
    found = ports.repo.get(Discussion, discussion_id)
    if found is None or found.deleted:
        raise NotFound(f"no discussion {discussion_id}")
    member_in(ports, found.group, actor)
    return found


def replies(ports: Ports, actor: Actor, discussion_id: str, *, limit: int = PAGE_SIZE,
            after: str | None = None, before: str | None = None) -> Slice[DiscussionReply]:
    """A page of the thread's replies, oldest first; deleted ones stay as placeholders."""
    discussion(ports, actor, discussion_id)
    found = ports.repo.replies_of_discussion(discussion_id, limit=_limit(limit),
                                             after=_cursor(after), before=_cursor(before))
    hidden = suspended_among(ports, (r.author for r in found.items))
    if not hidden:
        return found
    # A suspended person's replies keep their place, as deleted ones do, without their text.
    return dataclasses.replace(found, items=[
        r.evolve(deleted=True, text_html="", text_source="") if r.author in hidden else r
        for r in found.items])


def latest(ports: Ports, actor: Actor, group: str, count: int = 5) -> list[Discussion]:
    """The few most recently active threads (the group dashboard's block)."""
    return discussions(ports, actor, group, limit=count).items


def is_following(ports: Ports, actor: Actor, discussion_id: str) -> bool:
    return ports.repo.get(DiscussionFollow, f"{discussion_id}|{actor.name}") is not None


def can_moderate(ports: Ports, found: Discussion, actor: Actor) -> bool:
    """Whether `actor` may rename, close or delete this thread and delete any reply (pages)."""
    return allowed(membership_of(ports, found.group, actor.name), "moderate_discussions")


def can_rename(ports: Ports, found: Discussion, actor: Actor) -> bool:
    return found.creator == actor.name or can_moderate(ports, found, actor)


# --- writing -------------------------------------------------------------------------------------

def start_discussion(ports: Ports, actor: Actor, group: str, title: str,
                     text: str) -> Discussion:
    """`actor` starts a thread in `group` with its opening message, and follows it."""
    member_in(ports, group, actor)
    title = line(title, "title", max_length=TITLE_MAX)
    source = checked_text(text)
    ports.limiter.hit(RATE_ACTION, actor.name)
    now = ports.clock.now()
    created = Discussion(id=rules.new_id(), group=group, creator=actor.name, title=title,
                         created_at=now, updated_at=now, last_reply_at=now,
                         last_reply_by=actor.name, reply_count=1)
    opening = _new_reply(ports, created, actor, source)
    changes = ChangeSet().put(created, opening,
                              DiscussionFollow(discussion=created.id, follower=actor.name,
                                               created_at=now))
    changes.record(_activity(ports, "Create", actor, created))
    ports.repo.commit(changes)
    return created


def reply(ports: Ports, actor: Actor, discussion_id: str, text: str, *,
          ap_id: str | None = None) -> DiscussionReply:
    """`actor` answers in a thread; its followers are mailed (from the change stream).

    A remote member's reply keeps its Note's id (`ap_id`), from which its own id is derived: the
    same Note delivered twice is one reply, and their Update and Delete find it again."""
    source = checked_text(text)
    if ap_id is not None:
        ap_id = rules.http_url(ap_id, "ap_id")
        if not actor.is_remote:
            raise InvalidInput("only a remote member's reply has a Note id", field="ap_id")
    _open(discussion(ports, actor, discussion_id))
    if ap_id is not None and ports.repo.get(
            DiscussionReply, f"{discussion_id}|{remote_comment_id(ap_id)}") is not None:
        raise Conflict("this message is already a reply in the discussion")
    ports.limiter.hit(RATE_ACTION, actor.name)

    def write() -> DiscussionReply:
        found = _open(discussion(ports, actor, discussion_id))
        answer = _new_reply(ports, found, actor, source, ap_id)
        if ap_id is not None:
            twin = ports.repo.get(DiscussionReply, answer.key)
            if twin is not None:  # the same Note, delivered twice at once
                return twin
        changes = ChangeSet().put(answer, found.evolve(
            reply_count=found.reply_count + 1, last_reply_at=answer.created_at,
            last_reply_by=actor.name))
        changes.record(_activity(ports, "Create", actor, answer))
        ports.repo.commit(changes)
        return answer

    return optimistically(write)


# --- threads of groups of other servers (our copies) ------------------------------------------

def keep_remote_message(ports: Ports, author: Actor, group: Actor, recipient: str,
                        context_url: str, note_id: str, text: str,
                        title: str = "") -> DiscussionReply:
    """A message of a thread of a group of another server reached one of our people who is a
    member there (`recipient`): we keep a copy, the thread keyed by its id there and the message
    by its Note's id, so they read it here and answer with `reply` (whose Create the fan-out
    sends to the group's server). Who may write there is that server's business; we check that
    our person is a member. The same Note delivered twice is kept once."""
    if not group.is_remote or not group.is_group or not author.is_remote:
        raise InvalidInput("only a remote group's members' messages are kept", field="object")
    authorize(membership_of(ports, group.name, recipient), "discuss")
    context_url = rules.http_url(context_url, "context")
    note_id = rules.http_url(note_id, "id")
    source = checked_text(text)
    title = line(title, "title", max_length=TITLE_MAX, required=False) if title else ""
    thread_id = remote_comment_id(context_url)
    if ports.repo.get(DiscussionReply, f"{thread_id}|{remote_comment_id(note_id)}") is None:
        ports.limiter.hit(RATE_ACTION, author.name)  # a flood from afar is refused like ours

    def write() -> DiscussionReply:
        now = ports.clock.now()
        found = ports.repo.get(Discussion, thread_id) or Discussion(
            id=thread_id, group=group.name, creator=author.name, title=title or "Discussion",
            created_at=now, updated_at=now, last_reply_at=now, ap_id=context_url)
        if found.deleted or found.group != group.name:
            raise NotFound("this discussion is gone")
        answer = _new_reply(ports, found, author, source, note_id)
        twin = ports.repo.get(DiscussionReply, answer.key)
        if twin is not None:
            return twin
        ports.repo.commit(ChangeSet().put(answer, found.evolve(
            title=title or found.title, reply_count=found.reply_count + 1, last_reply_at=now,
            last_reply_by=author.name)))
        return answer

    return optimistically(write)


def change_remote_message(ports: Ports, author: Actor, answer: DiscussionReply,
                          text: str | None, title: str = "") -> None:
    """The author of a message we keep a copy of edited it (`text`) or deleted it (None) on
    their group's server; a new thread title comes with its opening message's edit."""
    if answer.author != author.name:
        raise PermissionDenied("only its author can change a message")

    def write() -> None:
        thread = ports.repo.get(Discussion, answer.discussion)
        current = ports.repo.get(DiscussionReply, answer.key)
        if thread is None or current is None or current.deleted:
            return
        now = ports.clock.now()
        if text is None:
            changed = current.evolve(text_source="", text_html="", deleted=True, updated_at=now)
            thread = thread.evolve(reply_count=max(thread.reply_count - 1, 0))
        else:
            source = checked_text(text)
            changed = current.evolve(text_source=source, text_html=markdown_to_html(source),
                                     updated_at=now)
            if title:
                thread = thread.evolve(title=line(title, "title", max_length=TITLE_MAX))
        ports.repo.commit(ChangeSet().put(changed, thread))

    optimistically(write)


def edit_reply(ports: Ports, actor: Actor, discussion_id: str, reply_id: str,
               text: str) -> DiscussionReply:
    """The author changes the text of their reply."""
    found, answer = _existing_reply(ports, actor, discussion_id, reply_id)
    if answer.author != actor.name:
        raise PermissionDenied("only its author can edit a reply")
    _open(found)
    source = checked_text(text)
    ports.limiter.hit(RATE_ACTION, actor.name)
    updated = answer.evolve(text_source=source, text_html=markdown_to_html(source),
                            updated_at=ports.clock.now())
    ports.repo.commit(ChangeSet().put(updated).record(_activity(ports, "Update", actor, updated)))
    return updated


def delete_reply(ports: Ports, actor: Actor, discussion_id: str, reply_id: str) -> None:
    """The author, or a moderator of the group, deletes a reply: its text is wiped, its place
    in the thread stays ("this reply was deleted")."""
    found, answer = _existing_reply(ports, actor, discussion_id, reply_id)
    if answer.author != actor.name and not can_moderate(ports, found, actor):
        raise PermissionDenied("only its author or a group moderator can delete a reply")

    def write() -> None:
        thread, current = _existing_reply(ports, actor, discussion_id, reply_id)
        gone = current.evolve(text_source="", text_html="", deleted=True,
                              updated_at=ports.clock.now())
        changes = ChangeSet().put(gone, thread.evolve(reply_count=max(thread.reply_count - 1, 0)))
        changes.record(_activity(ports, "Delete", actor, gone))
        ports.repo.commit(changes)

    optimistically(write)


def rename(ports: Ports, actor: Actor, discussion_id: str, title: str) -> Discussion:
    """The thread's starter, or a moderator, changes its title."""
    title = line(title, "title", max_length=TITLE_MAX)

    def write() -> Discussion:
        found = discussion(ports, actor, discussion_id)
        if not can_rename(ports, found, actor):
            raise PermissionDenied("only its starter or a group moderator can rename a "
                                   "discussion")
        if found.title == title:
            return found
        return _update(ports, actor, found.evolve(title=title, updated_at=ports.clock.now()))

    return optimistically(write)


def set_closed(ports: Ports, actor: Actor, discussion_id: str, closed: bool) -> Discussion:
    """Moderators close a thread (no more replies nor edits) or reopen it."""

    def write() -> Discussion:
        found = discussion(ports, actor, discussion_id)
        member_in(ports, found.group, actor, "moderate_discussions")
        if found.closed == closed:
            return found
        return _update(ports, actor, found.evolve(closed=closed, updated_at=ports.clock.now()))

    return optimistically(write)


def delete_discussion(ports: Ports, actor: Actor, discussion_id: str) -> None:
    """Moderators delete a thread with all its replies and follows. The thread's item stays,
    title-less and out of the list, so its id is never reused; the replies are deleted with it,
    the first BATCH in the same transaction and the rest right after (the thread is already
    gone by then, so nothing of it can be read in between)."""
    found = discussion(ports, actor, discussion_id)
    member_in(ports, found.group, actor, "moderate_discussions")
    gone = found.evolve(title="", deleted=True, reply_count=0, updated_at=ports.clock.now())
    children = [item.evolve(version=0) for item in ports.repo.discussion_items(discussion_id)
                if not isinstance(item, Discussion)]
    changes = ChangeSet().put(gone)
    changes.deletes.extend(children[:BATCH])
    changes.record(_activity(ports, "Delete", actor, gone))
    ports.repo.commit(changes)
    for start in range(BATCH, len(children), BATCH):
        rest = ChangeSet()
        rest.deletes.extend(children[start:start + BATCH])
        ports.repo.commit(rest)


def follow(ports: Ports, actor: Actor, discussion_id: str) -> DiscussionFollow:
    """`actor` will be mailed about the thread's new replies."""
    found = discussion(ports, actor, discussion_id)
    existing = ports.repo.get(DiscussionFollow, f"{found.id}|{actor.name}")
    if existing is not None:
        return existing
    created = DiscussionFollow(discussion=found.id, follower=actor.name,
                               created_at=ports.clock.now())
    ports.repo.commit(ChangeSet().put(created))
    return created


def unfollow(ports: Ports, actor: Actor, discussion_id: str) -> None:
    """No more mail about this thread (its starter too may stop following it)."""
    found = discussion(ports, actor, discussion_id)
    existing = ports.repo.get(DiscussionFollow, f"{found.id}|{actor.name}")
    if existing is not None:
        changes = ChangeSet()
        changes.deletes.append(existing.evolve(version=0))
        ports.repo.commit(changes)


# --- helpers -------------------------------------------------------------------------------------

def _limit(limit: int) -> int:
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"limit must be a whole number from 1 to {PAGE_MAX}", field="limit")
    return limit


def _cursor(value: str | None) -> str | None:
    if value is None:
        return None
    if not value or len(value) > CURSOR_MAX or not value.isprintable():
        raise InvalidInput("this page link is broken: go back to the first page", field="cursor")
    return value


def _open(found: Discussion) -> Discussion:
    if found.closed:
        raise PermissionDenied("this discussion is closed")
    return found


def _new_reply(ports: Ports, found: Discussion, actor: Actor, source: str,
               ap_id: str | None = None) -> DiscussionReply:
    now = ports.clock.now()
    return DiscussionReply(id=remote_comment_id(ap_id) if ap_id else rules.new_id(),
                           discussion=found.id, group=found.group, author=actor.name,
                           text_source=source, text_html=markdown_to_html(source),
                           created_at=now, updated_at=now, ap_id=ap_id)


def reply_of_note(ports: Ports, note_id: str) -> DiscussionReply | None:
    """The live reply a remote member's Note became, if we keep one (their Update or Delete
    then goes through edit_reply / delete_reply, which let only the author do it)."""
    found = ports.repo.discussion_reply_by_note(note_id)
    return found if found is not None and not found.deleted else None


def _existing_reply(ports: Ports, actor: Actor, discussion_id: str,
                    reply_id: str) -> tuple[Discussion, DiscussionReply]:
    found = discussion(ports, actor, discussion_id)
    answer = ports.repo.get(DiscussionReply, f"{discussion_id}|{reply_id}")
    if answer is None or answer.deleted:
        raise NotFound(f"no reply {reply_id} in this discussion")
    return found, answer


def _update(ports: Ports, actor: Actor, updated: Discussion) -> Discussion:
    ports.repo.commit(ChangeSet().put(updated).record(_activity(ports, "Update", actor, updated)))
    return updated


def _activity(ports: Ports, type_: str, actor: Actor,
              obj: Discussion | DiscussionReply) -> Activity:
    key = obj.key if isinstance(obj, DiscussionReply) else obj.id
    return activities.new(ports, type_, actor.name, obj, key, audience=AUDIENCE,
                          target=obj.group)
