"""Moderators take content down: an event, a post or a comment, of any group on this instance.

Hiding soft-deletes the item (its id is never reused) and records a `Delete`, so the change
stream does what an organiser's own deletion does: the static page answers 410 through its
tombstone, feeds drop it, and followers' servers receive the `Delete` when the content is ours.
The item keeps its text, so moderators can still read what was reported. The action and its
audit entry are one commit."""

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
        gone_event = entity.evolve(deleted=True, updated_at=now)
        changes.put(gone_event)
        if not entity.is_remote and not entity.draft:
            group = existing_group(ports, entity.group)
            changes.record(activities.new(ports, "Delete", group.name, gone_event, entity.uuid,
                                          audience=event_audience(entity, group)))
    elif isinstance(entity, Post):
        gone_post = entity.evolve(deleted=True, updated_at=now)
        changes.put(gone_post)
        audience = "members" if entity.visibility == "members" else entity.visibility
        changes.record(activities.new(ports, "Delete", entity.group, gone_post, entity.slug,
                                      audience=audience))
    elif isinstance(entity, Comment):
        gone_comment = entity.evolve(deleted=True, updated_at=now)
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
