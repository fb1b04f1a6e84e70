"""Create{Event}, Update{Event}, Announce{Event} and Announce{Create{Event}} from remote groups
we follow.

They land in the agenda of our people who follow that group (affiche.activitypub.remote_events),
never on public pages. A group is "followed" when one of our profiles has an accepted Follow of
it; anything else is ignored, so strangers cannot fill our table. The event must be the group's:
sent by it, or attributed to it (Mobilizon sends an organiser's Create and the group's Announce).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from affiche.activitypub.handlers import InboundContext, Outcome, register
from affiche.activitypub.handlers.support import id_of, ports, same_host
from affiche.activitypub.remote_events import NotAnEvent, event_from_object
from affiche.domain.model import Event
from affiche.domain.ports import ChangeSet


def _followed(group: str) -> bool:
    return any(f.state == "accepted" for f in ports().repo.followers_of(group))


def _group_of(obj: dict[str, Any], sender: str) -> str | None:
    """The followed group this event belongs to, or None."""
    attributed = obj.get("attributedTo")
    candidates = [sender] + [id_of(a) for a in (
        attributed if isinstance(attributed, list) else [attributed])]
    return next((c for c in candidates if c and same_host(c, sender) and _followed(c)), None)


def _keep(obj: Any, sender: str) -> Outcome:
    if not isinstance(obj, dict) or not same_host(str(obj.get("id", "")), sender):
        return Outcome("ignored", "an event of another server")
    group = _group_of(obj, sender)
    if group is None:
        return Outcome("ignored", "nobody here follows this group")
    try:
        event = event_from_object(obj, group, datetime.now(UTC))
    except NotAnEvent as error:
        return Outcome("ignored", str(error))
    repo = ports().repo
    existing = repo.get(Event, event.uuid)
    if existing is not None:
        event = event.evolve(version=existing.version, created_at=existing.created_at)
    repo.commit(ChangeSet().put(event))
    return Outcome("handled", f"kept {event.uuid} for the followers of {group}")


@register("Create", "Event")
@register("Update", "Event")
def create_or_update(activity: dict[str, Any], context: InboundContext) -> Outcome:
    return _keep(activity.get("object"), context.signer)


@register("Announce", "Event")
def announced_event(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """Mobilizon's group re-sends its members' content with the object embedded in the
    Announce itself (see fixtures/signed-requests/mobilizon-group-announce-article.json)."""
    return _keep(activity.get("object"), context.signer)


@register("Announce", "Create")
@register("Announce", "Update")
def announced(activity: dict[str, Any], context: InboundContext) -> Outcome:
    inner = activity.get("object") or {}
    obj = inner.get("object")
    if not isinstance(obj, dict) or obj.get("type") != "Event":
        return Outcome("ignored", "only announced events are kept")
    return _keep(obj, context.signer)
