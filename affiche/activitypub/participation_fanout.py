"""Fan-out of participation activities: our answers to remote people's Joins, and our
people's Join / Leave of remote events (`_to_remote_event`).

Participation is "private": only the remote person concerned hears of it, from the organising
group's actor, at their personal inbox; followers never do. What goes out:
- a remote person's Join that made them a participant (free event), or an organiser's approval
  of their request -> `Accept{Join}`;
- an organiser's refusal, or the rules refusing their Join (affiche.domain.remote_participation)
  -> `Reject{Join}`;
- a request still waiting for the organisers (not_approved) -> nothing yet (Mobilizon waits).
The object echoes their Join by id when we kept it (`Participation.join_activity_id`), else it is
the Join rewritten (actor: them, object: our event).
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.activitypub.fanout import Delivery, register_planner
from affiche.domain.model import Activity, Actor, Participation, is_remote_name
from affiche.domain.ports import Repository


def _answer(activity: Activity) -> str | None:
    """Accept or Reject this activity means for a remote participant, or None."""
    role = activity.object.get("role")
    if activity.type in {"Join", "Accept"} and role == "participant":
        return "Accept"
    if activity.type == "Reject" and role == "rejected":
        return "Reject"
    return None


def join_object(urls: ap.Urls, participation: Participation) -> dict[str, Any] | str:
    if participation.join_activity_id:
        return participation.join_activity_id
    return {"type": "Join", "actor": participation.participant,
            "object": urls.event(participation.event)}


def _to_remote_event(activity: Activity, participation: Participation, repo: Repository,
                     urls: ap.Urls) -> list[Delivery]:
    """One of our people's Join or Leave of a remote event (affiche.domain.
    remote_event_participation), from their profile to the organising group's inbox (the
    activity's target); the event's server answers the Join with Accept or Reject."""
    group = repo.get(Actor, activity.target) if activity.target else None
    if activity.type not in {"Join", "Leave"} or group is None or not group.inbox:
        return []
    doc: dict[str, Any] = {
        "@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": activity.type,
        "actor": urls.actor(participation.participant), "object": participation.event,
        "to": [group.name], "cc": [], "published": activity.published.isoformat(),
    }
    return [Delivery(doc, participation.participant, (group.inbox,))]


@register_planner("participation")
def _participation(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    participation = Participation.from_dict(activity.object)
    if is_remote_name(participation.event) and not is_remote_name(participation.participant):
        return _to_remote_event(activity, participation, repo, urls)
    answer = _answer(activity)
    if answer is None or not is_remote_name(participation.participant) or not activity.target:
        return []
    person = repo.get(Actor, participation.participant)
    if person is None or person.deleted or not person.inbox:
        return []
    group = activity.target
    doc: dict[str, Any] = {
        "@context": ap.CONTEXT, "id": urls.activity(activity.id), "type": answer,
        "actor": urls.actor(group), "object": join_object(urls, participation),
        "to": [participation.participant], "cc": [],
        "published": activity.published.isoformat(),
    }
    if activity.object.get("answer"):
        doc["content"] = str(activity.object["answer"])
    return [Delivery(doc, group, (person.inbox,))]
