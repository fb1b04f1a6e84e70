"""What several rules need: the event an activity is about, its participants and organisers."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Event, Membership
from affiche.domain.roles import allowed
from affiche.notify import Mail


def event_context(event: Event) -> dict[str, Any]:
    from affiche.activitypub.vocabulary import human_when

    return {"event_title": event.title, "event_uuid": event.uuid, "when": human_when(event),
            "where": event.place.one_line() if event.place else (event.online_url or ""),
            "status": event.status}


def participants(repo: Any, uuid: str) -> list[Any]:
    """Participations of the event whose role is "participant" (the participation helper's
    Repository.participations_of_event; an instance without it has nobody to tell)."""
    listing = getattr(repo, "participations_of_event", None)
    if listing is None:
        return []
    return [p for p in listing(uuid) if p.role == "participant"]


def to_participants(repo: Any, uuid: str, template: str, context: dict[str, Any],
                    preference: str) -> list[Mail]:
    mails = []
    for p in participants(repo, uuid):
        if str(p.participant).startswith("anon:"):
            if getattr(p, "email", None):  # anonymous participants: their confirmed address
                mails.append(Mail(template, context, email=p.email))
            continue
        mails.append(Mail(template, {**context, "name": p.participant},
                          recipient=p.participant, preference=preference))
    return mails


def organisers(repo: Any, event: Event) -> list[str]:
    """Who answers for an event: its organiser and the group's moderators and above."""
    found = [event.organizer]
    found += [m.member for m in repo.memberships_of_group(event.group)
              if isinstance(m, Membership) and allowed(m, "edit_event")]
    return list(dict.fromkeys(found))
