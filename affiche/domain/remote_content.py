"""Removing what remote actors left here: their comments on our events and our copies of their
groups' events. Used when an actor deletes itself (a self-`Delete`) and when an administrator
blocks its server (activitypub/domain_policy.py).

Both are scans: rare actions (a departed account we knew, an administrator's block), never a
visitor's request path."""

from __future__ import annotations

from collections.abc import Callable

from affiche.domain import activities
from affiche.domain.context import Ports
from affiche.domain.model import Actor, Comment, Event
from affiche.domain.ports import ChangeSet


def remove_comments_by(ports: Ports, authors: set[str]) -> int:
    """Blank and mark deleted the live comments of `authors`; a `Delete` is recorded so the
    event page is re-rendered and the group's followers are told. Returns how many."""
    from affiche.domain.events import event_audience

    removed = 0
    for comment in ports.repo.all_of_kind(Comment.kind):
        if comment.author not in authors or comment.deleted:
            continue
        event = ports.repo.get(Event, comment.event)
        group = ports.repo.get(Actor, event.group) if event else None
        gone = comment.evolve(text_source="", text_html="", deleted=True,
                              updated_at=ports.clock.now())
        changes = ChangeSet().put(gone)
        if event is not None and group is not None:
            changes.record(activities.new(ports, "Delete", comment.author, gone, comment.id,
                                          audience=event_audience(event, group)))
        ports.repo.commit(changes)
        removed += 1
    return removed


def remove_remote_events(ports: Ports, doomed: Callable[[Event], bool]) -> int:
    """Delete our copies of remote events for which `doomed(event)` holds; returns how many.
    Copies are only shown in members' agendas: nothing to re-render."""
    removed = 0
    for event in ports.repo.all_of_kind(Event.kind):
        if event.is_remote and doomed(event):
            ports.repo.commit(ChangeSet(deletes=[event]))
            removed += 1
    return removed
