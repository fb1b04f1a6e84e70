"""Comments on events: post, reply, edit or delete one's own, and the organisers' moderation.

Every service takes the *acting actor* (DESIGN.md §9): a local profile resolved by the web layer,
or a remote actor resolved by the inbox when federation turns a `Create{Note}` reply into a
comment (then `ap_id`/`url` name the remote Note). Who may do what:

- anyone may read and comment on a public or unlisted event while its comments are open;
  a private event's comments are its group's members' business only;
- the author edits and deletes their own comment;
- a group moderator or above (roles.PERMISSIONS "moderate_comments") deletes any comment of the
  group's events and closes or reopens comments on them (`Event.comments_enabled`).

Each change commits the comment and its Activity (Create/Update/Delete, object_kind "comment")
in one transaction; the activity's audience is the event's, so the outbox re-renders the static
event page (and its AS2 `replies`) for public events only. A deleted comment keeps its item, with
its text wiped, so replies keep their place in the thread; nothing of it is shown any more.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotFound, PermissionDenied
from affiche.domain.events import event_audience
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Actor, Comment, Event, is_remote_name
from affiche.domain.ports import ChangeSet, Repository
from affiche.domain.roles import MEMBER_ROLES, allowed
from affiche.domain.suspended_authors import suspended_among
from affiche.domain.text import markdown_to_html

TEXT_MAX = 5000
RATE_ACTION = "comment"  # the limiter action (affiche/web/ratelimit.py DOMAIN_LIMITS)


# --- reading -------------------------------------------------------------------------------------

def commentable_event(ports: Ports, uuid: str, viewer: Actor | None) -> Event:
    """The event, when `viewer` may see its comments (a private event: its group's members)."""
    event = ports.repo.get(Event, uuid)
    if event is None or event.deleted:
        raise NotFound(f"no event {uuid}")
    if event.visibility == "private" and not _is_member(ports, event.group, viewer):
        raise PermissionDenied(f"this event is private: only members of @{event.group} can see "
                               "and write its comments")
    return event


def comments_of(ports: Ports, uuid: str, viewer: Actor | None) -> list[Comment]:
    """The live comments of an event `viewer` may see, oldest first."""
    commentable_event(ports, uuid, viewer)
    live = [c for c in ports.repo.comments_of_event(uuid) if not c.deleted]
    hidden = suspended_among(ports, (c.author for c in live))
    return [c for c in live if c.author not in hidden]


@dataclass(frozen=True)
class Entry:
    """One line of a thread: a comment, how deep it sits, and whether it is only a placeholder
    (a deleted comment that still has live replies)."""

    comment: Comment
    depth: int
    placeholder: bool = False


MAX_DEPTH = 5  # deeper replies are shown at this depth, still in order


def thread(comments: list[Comment]) -> list[Entry]:
    """Comments in reading order: each followed by its replies, oldest first. Deleted comments
    disappear, except as a placeholder above live replies. Iterative: a long chain of replies
    must not hit Python's recursion limit."""
    ordered = sorted(comments, key=lambda c: (c.created_at, c.id))
    ids = {c.id for c in ordered}
    children: dict[str | None, list[Comment]] = {}
    for comment in ordered:
        parent = comment.in_reply_to if comment.in_reply_to in ids else None
        children.setdefault(parent, []).append(comment)
    # A reply is always newer than what it answers: newest first, children are known first.
    shown: dict[str, bool] = {}
    for comment in reversed(ordered):
        shown[comment.id] = not comment.deleted or any(
            shown.get(child.id, not child.deleted) for child in children.get(comment.id, []))
    out: list[Entry] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        if not shown[comment.id]:
            continue
        out.append(Entry(comment, min(depth, MAX_DEPTH), placeholder=comment.deleted))
        stack += [(c, depth + 1) for c in reversed(children.get(comment.id, []))]
    return out


def remote_authors(repo: Repository, comments: list[Comment]) -> dict[str, str]:
    """`@user@host` of each remote author (named by their AP id), for pages to show."""
    names = {c.author for c in comments if is_remote_name(c.author)}
    found = {name: repo.get(Actor, name) for name in names}
    return {name: actor.handle for name, actor in found.items() if actor is not None}


# --- writing -------------------------------------------------------------------------------------

def post_comment(ports: Ports, actor: Actor, uuid: str, text: str, *,
                 in_reply_to: str | None = None, ap_id: str | None = None,
                 url: str | None = None) -> Comment:
    """`actor` comments on event `uuid` (or answers comment `in_reply_to` there)."""
    _check_actor(actor)
    event = commentable_event(ports, uuid, actor)
    if not event.comments_enabled:
        raise PermissionDenied("comments are closed on this event")
    source = checked_text(text)
    if in_reply_to:
        parent = ports.repo.get(Comment, in_reply_to)
        if parent is None or parent.event != uuid or parent.deleted:
            raise InvalidInput("in_reply_to must be a comment of this event", field="in_reply_to")
    ports.limiter.hit(RATE_ACTION, actor.name)
    now = ports.clock.now()
    comment = Comment(id=remote_comment_id(ap_id) if ap_id else rules.new_id(), event=uuid,
                      author=actor.name, text_source=source,
                      text_html=markdown_to_html(source), created_at=now, updated_at=now,
                      in_reply_to=in_reply_to or None,
                      ap_id=rules.http_url(ap_id, "ap_id") if ap_id else None,
                      url=rules.http_url(url, "url") if url else None)
    _commit(ports, event, comment, "Create")
    return comment


def edit_comment(ports: Ports, actor: Actor, comment_id: str, text: str) -> Comment:
    """The author changes the text of their comment."""
    comment, event = _existing(ports, comment_id, actor)
    if comment.author != actor.name:
        raise PermissionDenied("only its author can edit a comment")
    source = checked_text(text)
    ports.limiter.hit(RATE_ACTION, actor.name)
    updated = comment.evolve(text_source=source, text_html=markdown_to_html(source),
                             updated_at=ports.clock.now())
    _commit(ports, event, updated, "Update")
    return updated


def delete_comment(ports: Ports, actor: Actor, comment_id: str) -> None:
    """The author, or a moderator of the event's group, deletes a comment."""
    comment, event = _existing(ports, comment_id, actor)
    if comment.author != actor.name and not _moderates(ports, event.group, actor):
        raise PermissionDenied("only its author or a group moderator can delete a comment")
    gone = comment.evolve(text_source="", text_html="", deleted=True,
                          updated_at=ports.clock.now())
    _commit(ports, event, gone, "Delete")


def set_comments_enabled(ports: Ports, actor: Actor, uuid: str, enabled: bool) -> Event:
    """Organisers (group moderators and above) close or reopen comments on an event."""
    event = ports.repo.get(Event, uuid)
    if event is None or event.deleted:
        raise NotFound(f"no event {uuid}")
    if not _moderates(ports, event.group, actor):
        raise PermissionDenied("only a group moderator or above can close or open comments")
    if event.comments_enabled == enabled:
        return event
    group = existing_group(ports, event.group)
    updated = event.evolve(comments_enabled=enabled)
    changes = ChangeSet().put(updated)
    changes.record(activities.new(ports, "Update", group.name, updated, uuid,
                                  audience=event_audience(updated, group)))
    ports.repo.commit(changes)
    return updated


def can_moderate(ports: Ports, event: Event, actor: Actor | None) -> bool:
    """Whether `actor` may delete any comment of `event` and close its comments (pages)."""
    return actor is not None and _moderates(ports, event.group, actor)


def remote_comment_id(ap_id: str) -> str:
    """The id of the comment a remote Note becomes: derived from the Note's id, so its Update,
    its Delete and replies to it find the comment again, and a repeated Create finds it taken."""
    return "ap-" + hashlib.sha256(ap_id.encode()).hexdigest()[:32]


# --- helpers -------------------------------------------------------------------------------------

def _check_actor(actor: Actor) -> None:
    if actor.deleted or actor.is_group:
        raise PermissionDenied("only people can comment")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def checked_text(text: str) -> str:
    """Multi-line text people write (comments, discussion replies): no control characters,
    not empty, at most TEXT_MAX characters."""
    if _CONTROL.search(text):
        raise InvalidInput("text must not contain control characters", field="text")
    return rules.text(text, "text", max_length=TEXT_MAX)


def _existing(ports: Ports, comment_id: str, actor: Actor) -> tuple[Comment, Event]:
    _check_actor(actor)
    comment = ports.repo.get(Comment, comment_id)
    if comment is None or comment.deleted:
        raise NotFound(f"no comment {comment_id}")
    return comment, commentable_event(ports, comment.event, actor)


def _is_member(ports: Ports, group: str, viewer: Actor | None) -> bool:
    if viewer is None:
        return False
    found = membership_of(ports, group, viewer.name)
    return found is not None and found.role in MEMBER_ROLES


def _moderates(ports: Ports, group: str, actor: Actor) -> bool:
    return allowed(membership_of(ports, group, actor.name), "moderate_comments")


def _commit(ports: Ports, event: Event, comment: Comment, type_: str) -> None:
    group = existing_group(ports, event.group)
    changes = ChangeSet().put(comment)
    # The event's audience: a private event's comments never reach a public page or outbox.
    changes.record(activities.new(ports, type_, comment.author, comment, comment.id,
                                  audience=event_audience(event, group), target=None))
    ports.repo.commit(changes)
