"""Moderators take content down: an event, a post or a comment, of any group on this instance.

Hiding soft-deletes the item (its id is never reused) and records a `Delete`, so the change
stream does what an organiser's own deletion does: the static page answers 410 through its
tombstone, feeds drop it, and followers' servers receive the `Delete` when the content is ours.
The item keeps its text, so moderators can still read what was reported. The action and its
audit entry are one commit.

Restoring undoes a hide (never an author's own deletion: only items marked `hidden` come back):
the item is live again and a `Create` is recorded, marked as restoring (activities.restoring),
so the outbox writes its pages again and lifts the 410 marker (publish/tombstones.lifted), and
the servers that were sent the `Delete` receive the object again: they dropped their copy, so an
`Update` would name something they no longer know, while a `Create` makes them take it back.
Nobody is mailed about it (the mail rules skip restoring activities)."""

from __future__ import annotations

from affiche.domain import activities, audit, reports
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput
from affiche.domain.events import event_audience
from affiche.domain.groups import existing_group
from affiche.domain.model import Account, Comment, Event, Post
from affiche.domain.ports import ChangeSet

HIDEABLE = ("event", "post", "comment")


def hide(ports: Ports, moderator: Account, target_kind: str, target_key: str,
         reason: str = "") -> None:
    reports.require_moderator(moderator)
    if target_kind not in HIDEABLE:
        raise InvalidInput(f"target_kind must be one of: {', '.join(HIDEABLE)}",
                           field="target_kind")
    entity = reports.reported_entity(ports, target_kind, target_key)
    if getattr(entity, "deleted", False):
        raise Conflict(f"this {target_kind} is already hidden")
    now = ports.clock.now()
    changes = ChangeSet()
    if isinstance(entity, Event):
        gone_event = entity.evolve(deleted=True, hidden=True, updated_at=now)
        changes.put(gone_event)
        if not entity.is_remote and not entity.draft:
            group = existing_group(ports, entity.group)
            changes.record(activities.new(ports, "Delete", group.name, gone_event, entity.uuid,
                                          audience=event_audience(entity, group)))
    elif isinstance(entity, Post):
        gone_post = entity.evolve(deleted=True, hidden=True, updated_at=now)
        changes.put(gone_post)
        changes.record(activities.new(ports, "Delete", entity.group, gone_post, entity.slug,
                                      audience=entity.visibility))
    elif isinstance(entity, Comment):
        gone_comment = entity.evolve(deleted=True, hidden=True, updated_at=now)
        changes.put(gone_comment)
        event = ports.repo.get(Event, entity.event)
        if event is not None:
            group = existing_group(ports, event.group)
            delete = activities.new(ports, "Delete", entity.author, gone_comment, entity.id,
                                    audience=event_audience(event, group))
            # The item keeps the text for the moderators; the activity, which the outbox and
            # fan-out read, carries none of it.
            delete.object.update(text_source="", text_html="")
            changes.record(delete)
    changes.put(audit.record(ports, moderator, f"{target_kind}.hide", target_kind, target_key,
                             reason=reason))
    ports.repo.commit(changes)


def restore(ports: Ports, moderator: Account, target_kind: str, target_key: str,
            reason: str = "") -> bool:
    """Bring back what a moderator hid: published and federated again, on the audit log.
    False when it is already live (restoring is idempotent: nothing is recorded)."""
    reports.require_moderator(moderator)
    if target_kind not in HIDEABLE:
        raise InvalidInput(f"target_kind must be one of: {', '.join(HIDEABLE)}",
                           field="target_kind")
    entity = reports.reported_entity(ports, target_kind, target_key)
    if not getattr(entity, "deleted", False):
        return False
    if not getattr(entity, "hidden", False):
        # Its author (or the group) deleted it: moderators take down, they do not republish.
        raise Conflict(f"this {target_kind} was deleted by its author, not hidden by the "
                       "moderators: it cannot be restored")
    now = ports.clock.now()
    changes = ChangeSet()
    if isinstance(entity, Event):
        back_event = entity.evolve(deleted=False, hidden=False, updated_at=now)
        changes.put(back_event)
        if not entity.is_remote and not entity.draft:
            group = existing_group(ports, entity.group)
            changes.record(activities.restoring(activities.new(
                ports, "Create", group.name, back_event, entity.uuid,
                audience=event_audience(back_event, group))))
    elif isinstance(entity, Post):
        back_post = entity.evolve(deleted=False, hidden=False, updated_at=now)
        changes.put(back_post)
        if not entity.draft:
            changes.record(activities.restoring(activities.new(
                ports, "Create", entity.group, back_post, entity.slug,
                audience=entity.visibility)))
    elif isinstance(entity, Comment):
        back_comment = entity.evolve(deleted=False, hidden=False, updated_at=now)
        changes.put(back_comment)
        event = ports.repo.get(Event, entity.event)
        if event is not None:  # a remote author's is not sent again (fanout.plan)
            group = existing_group(ports, event.group)
            changes.record(activities.restoring(activities.new(
                ports, "Create", entity.author, back_comment, entity.id,
                audience=event_audience(event, group))))
    changes.put(audit.record(ports, moderator, f"{target_kind}.restore", target_kind,
                             target_key, reason=reason))
    ports.repo.commit(changes)
    return True
