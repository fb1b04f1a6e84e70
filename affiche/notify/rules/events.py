"""An event that its participants take part in changes:

- Update that moves it (begins_on, ends_on, timezone, address or online address) -> event_updated;
- Update that cancels it (status becomes "cancelled"), or its Delete -> event_cancelled.

An Update's snapshot is the event after the change; what it was before is the snapshot of the
previous activity about the same event in the group's outbox (the activity log). Without one
(an event older than its log) nothing is compared, so nothing is sent."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Activity, Event
from affiche.notify import Mail, rule
from affiche.notify.rules.common import event_context, to_participants

MOVES = ("begins_on", "ends_on", "timezone", "address", "online_url")
LOOK_BACK = 50  # activities of the group's log searched for the previous snapshot


def previous_snapshot(activity: Activity, repo: Any) -> dict[str, Any] | None:
    # Event activities are the group's (whoever edits): its log holds the earlier versions.
    group = str(activity.object.get("group") or activity.actor)
    for earlier in repo.outbox(group, limit=LOOK_BACK):
        if (earlier.object_kind == "event" and earlier.object_key == activity.object_key
                and earlier.id != activity.id
                and (earlier.published, earlier.id) < (activity.published, activity.id)):
            snapshot: dict[str, Any] = earlier.object
            return snapshot
    return None


@rule("Update", "event")
def changed(activity: Activity, repo: Any) -> list[Mail]:
    event = Event.from_dict(activity.object)
    if event.deleted or event.ends_on < activity.published:
        return []  # nobody needs telling about a past event
    before = previous_snapshot(activity, repo)
    if before is None:
        return []
    context = event_context(event)
    if event.status == "cancelled" and before.get("status") != "cancelled":
        return to_participants(repo, event.uuid, "event_cancelled", context, "event_changed")
    moved = [name for name in MOVES if before.get(name) != activity.object.get(name)]
    if event.status == "cancelled" or not moved:
        return []
    return to_participants(repo, event.uuid, "event_updated", {**context, "changed": moved},
                           "event_changed")


@rule("Delete", "event")
def deleted(activity: Activity, repo: Any) -> list[Mail]:
    event = Event.from_dict(activity.object)
    if event.ends_on < activity.published or event.status == "cancelled":
        return []  # over, or its participants were told when it was cancelled
    return to_participants(repo, event.uuid, "event_cancelled", event_context(event),
                           "event_changed")
