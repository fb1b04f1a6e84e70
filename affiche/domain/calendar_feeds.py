"""A profile's private calendar: a secret link to an ICS feed of the events it takes part in.

Only the secret's SHA-256 is stored (CalendarFeed, like Session and Token). Making a new link
revokes the old one, so a leaked link is fixed by one click. The feed lists the events where the
profile is a participant or waits for approval, past ones of the last 30 days included."""

from __future__ import annotations

from datetime import timedelta

from affiche.domain import rules
from affiche.domain.context import Ports
from affiche.domain.errors import NotFound
from affiche.domain.model import Actor, CalendarFeed, Event
from affiche.domain.ports import ChangeSet

FEED_ROLES = frozenset({"participant", "not_approved", "organizer"})
KEEP_PAST = timedelta(days=30)
FEED_MAX = 500


def new_link(ports: Ports, profile: Actor) -> str:
    """Revoke the profile's feed links and make a new one; returns the secret (shown once)."""
    secret = rules.new_secret()
    changes = ChangeSet().put(CalendarFeed(token_hash=rules.digest(secret), profile=profile.name,
                                           created_at=ports.clock.now()))
    changes.deletes.extend(ports.repo.calendar_feeds_of(profile.name))
    ports.repo.commit(changes)
    return secret


def revoke(ports: Ports, profile: Actor) -> None:
    old = ports.repo.calendar_feeds_of(profile.name)
    if old:
        changes = ChangeSet()
        changes.deletes.extend(old)
        ports.repo.commit(changes)


def has_link(ports: Ports, profile: Actor) -> bool:
    return bool(ports.repo.calendar_feeds_of(profile.name))


def feed(ports: Ports, secret: str) -> tuple[Actor, list[Event]]:
    """The profile and its events for the feed `secret`; NotFound for a wrong or revoked one."""
    found = ports.repo.get(CalendarFeed, rules.digest(secret)) if secret else None
    profile = ports.repo.get(Actor, found.profile) if found else None
    if found is None or profile is None or profile.deleted or profile.suspended:
        raise NotFound("this calendar link is unknown or was revoked")
    since = ports.clock.now() - KEEP_PAST
    events = []
    for participation in ports.repo.participations_of(profile.name)[-FEED_MAX:]:
        if participation.role not in FEED_ROLES:
            continue
        event = ports.repo.get(Event, participation.event)
        if event is not None and not event.deleted and event.ends_on >= since:
            events.append(event)
    return profile, sorted(events, key=lambda e: e.begins_on)
