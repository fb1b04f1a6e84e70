"""Participation (the participation module's activities, object_kind "participation"):

- Join of someone who must be approved (role "not_approved") -> the event's organisers;
- Accept / Reject of a request -> the person who asked.

Written against the agreed Participation snapshot (event, participant, role, message)."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Activity, Event
from affiche.notify import Mail, rule
from affiche.notify.rules.common import event_context, organisers


def _event(activity: Activity, repo: Any) -> Event | None:
    event = repo.get(Event, str(activity.object.get("event")))
    return None if event is None or event.deleted else event


def _anonymous(participant: str) -> bool:
    return participant.startswith("anon:")


@rule("Join", "participation")
def request(activity: Activity, repo: Any) -> list[Mail]:
    event = _event(activity, repo)
    if event is None or activity.object.get("role") != "not_approved":
        return []
    participant = str(activity.object.get("participant"))
    context = {**event_context(event), "participant": participant,
               "message": str(activity.object.get("message") or "")}
    return [Mail("participation_request", {**context, "name": who}, recipient=who,
                 preference="participation_request")
            for who in organisers(repo, event) if who != participant]


def _answer(activity: Activity, repo: Any, template: str) -> list[Mail]:
    event = _event(activity, repo)
    participant = str(activity.object.get("participant"))
    if event is None:
        return []
    context = {**event_context(event), "name": participant,
               "message": str(activity.object.get("message") or "")}
    if _anonymous(participant):
        email = activity.object.get("email")
        return [Mail(template, context, email=str(email))] if email else []
    return [Mail(template, context, recipient=participant, preference="participation_answer")]


@rule("Accept", "participation")
def approved(activity: Activity, repo: Any) -> list[Mail]:
    return _answer(activity, repo, "participation_approved")


@rule("Reject", "participation")
def rejected(activity: Activity, repo: Any) -> list[Mail]:
    return _answer(activity, repo, "participation_rejected")
