"""Participation (affiche/domain/participation.py's activities, object_kind "participation"):

- Join of someone who must be approved (role "not_approved") -> the event's organisers;
- Accept / Reject of a request -> the person who asked, with the organisers' message (`answer`);
- Invite -> the invited profile.

An anonymous participant's address is kept off the activity (the log is long-lived): it is read
from the Participation item itself when they are to be told."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Activity, Event, Participation
from affiche.notify import Mail, rule
from affiche.notify.rules.common import event_context, organisers


def _event(activity: Activity, repo: Any) -> Event | None:
    event = repo.get(Event, str(activity.object.get("event")))
    return None if event is None or event.deleted else event


def _anonymous(participant: str) -> bool:
    return participant.startswith("anon:")


def _who(activity: Activity) -> str:
    """How the participant is named to the organisers."""
    participant = str(activity.object.get("participant"))
    if _anonymous(participant):
        return str(activity.object.get("display_name") or "A visitor")
    return participant if participant.startswith(("http://", "https://")) else f"@{participant}"


def _context(event: Event) -> dict[str, Any]:
    return {**event_context(event), "group": event.group}


@rule("Join", "participation")
def request(activity: Activity, repo: Any) -> list[Mail]:
    event = _event(activity, repo)
    if event is None or activity.object.get("role") != "not_approved":
        return []
    participant = str(activity.object.get("participant"))
    context = {**_context(event), "participant": _who(activity),
               "message": str(activity.object.get("message") or "")}
    return [Mail("participation_request", {**context, "name": who}, recipient=who,
                 preference="participation_request")
            for who in organisers(repo, event) if who != participant]


def _to_participant(activity: Activity, repo: Any, template: str,
                    context: dict[str, Any]) -> list[Mail]:
    participant = str(activity.object.get("participant"))
    if _anonymous(participant):
        item = repo.get(Participation, f"{activity.object.get('event')}|{participant}")
        email = item.email if item is not None else None
        name = (item.display_name if item is not None else "") or "there"
        return [Mail(template, {**context, "name": name}, email=email)] if email else []
    return [Mail(template, {**context, "name": participant}, recipient=participant,
                 preference="participation_answer")]


def _answer(activity: Activity, repo: Any, template: str) -> list[Mail]:
    event = _event(activity, repo)
    if event is None:
        return []
    context = {**_context(event), "message": str(activity.object.get("answer") or "")}
    return _to_participant(activity, repo, template, context)


@rule("Accept", "participation")
def approved(activity: Activity, repo: Any) -> list[Mail]:
    return _answer(activity, repo, "participation_approved")


@rule("Reject", "participation")
def rejected(activity: Activity, repo: Any) -> list[Mail]:
    return _answer(activity, repo, "participation_rejected")


@rule("Invite", "participation")
def invited(activity: Activity, repo: Any) -> list[Mail]:
    event = _event(activity, repo)
    if event is None:
        return []
    context = {**_context(event), "organiser": f"@{activity.actor}"}
    return _to_participant(activity, repo, "participation_invited", context)
