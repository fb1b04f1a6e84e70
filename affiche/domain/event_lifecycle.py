"""What happens to an event after it is written: published from a draft, cancelled,
duplicated, deleted; and who may read an event that is not public.

Reading follows Mobilizon: a public or unlisted event is anyone's; a private event is its
group's members'; a draft is its group's moderators' and above. Anyone else is told the event
does not exist (404), never that it is hidden.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, NotFound
from affiche.domain.events import editable_event, event_audience, save_event
from affiche.domain.group_images import MediaStore, retire_image
from affiche.domain.model import Account, Event, Membership
from affiche.domain.ports import ChangeSet
from affiche.domain.roles import MEMBER_ROLES, allowed, rank


def publish_event(ports: Ports, account: Account, uuid: str, *,
                  profile: str | None = None) -> Event:
    """Publish a draft: from now on it renders and federates (a Create activity)."""
    event, group, _ = editable_event(ports, account, uuid, profile)
    if not event.draft:
        raise Conflict("the event is already published")
    return save_event(ports, event, group, {"draft": False})


def cancel_event(ports: Ports, account: Account, uuid: str, *,
                 profile: str | None = None) -> Event:
    """Mark the event cancelled: it stays visible, says so, and offers no participation."""
    event, group, _ = editable_event(ports, account, uuid, profile)
    if event.status == "cancelled":
        raise Conflict("the event is already cancelled")
    return save_event(ports, event, group, {"status": "cancelled"})


def duplicate_event(ports: Ports, account: Account, uuid: str, *,
                    profile: str | None = None) -> Event:
    """A copy of the event as a new draft (same group, fields and times, no participants),
    organised by the profile duplicating it; the organiser edits it, then publishes it."""
    event, _, editor = editable_event(ports, account, uuid, profile)
    now = ports.clock.now()
    copy = event.evolve(uuid=rules.new_id(), organizer=editor.name, title=event.title,
                        created_at=now, updated_at=now, participant_count=0, draft=True,
                        status="confirmed" if event.status == "cancelled" else event.status,
                        version=0, sequence=0)
    ports.repo.commit(ChangeSet().put(copy))
    return copy


def delete_event(ports: Ports, account: Account, uuid: str, *,
                 profile: str | None = None, store_media: MediaStore | None = None) -> Event:
    """Soft-delete the event (its id is never reused) and record a Delete: the outbox removes
    its pages and tells the group's followers. Its picture's variants go too (the original
    stays, for moderators), unless another event of the group shows the same image."""
    event, group, _ = editable_event(ports, account, uuid, profile)
    deleted = event.evolve(deleted=True, updated_at=ports.clock.now(),
                           sequence=event.sequence + 1)
    changes = ChangeSet().put(deleted)
    if not event.draft:  # a draft was never published: nothing to take back
        changes.record(activities.new(ports, "Delete", group.name, deleted, uuid,
                                      audience=event_audience(event, group)))
    ports.repo.commit(changes)
    retire_image(ports, store_media, group.name, event.picture, None)
    return deleted


def open_for_participation(event: Event, now: datetime) -> bool:
    """Whether people may still join: not a draft, not deleted, not cancelled, not over.
    The static page offers "Participate" only then (publish/event_page.py); participation's
    services should refuse a Join otherwise."""
    return not (event.deleted or event.draft or event.status == "cancelled"
                or event.is_over(now))


# --- reading ---------------------------------------------------------------------------------
def best_membership(ports: Ports, account: Account | None, group: str) -> Membership | None:
    """Of all the account's profiles in `group`, the membership with the highest role."""
    if account is None:
        return None
    mine = [m for p in ports.repo.profiles_of(account.id) if not p.is_group and not p.deleted
            for m in ports.repo.memberships_of(p.name) if m.group == group]
    return max(mine, key=lambda m: rank(m.role)) if mine else None


def can_read(event: Event, membership: Membership | None) -> bool:
    if event.deleted:
        return False
    if event.draft:
        return allowed(membership, "edit_event")
    if event.visibility == "private":
        return membership is not None and membership.role in MEMBER_ROLES
    return True


def readable_event(ports: Ports, account: Account | None, uuid: str) -> Event:
    """The event, if the account (None: a visitor) may read it; NotFound otherwise."""
    event = ports.repo.get(Event, uuid)
    if event is None or not can_read(event, best_membership(ports, account, event.group)
                                     if not event.is_public else None):
        raise NotFound(f"no event {uuid}")
    return event


# How far back the members' lists (the dashboard, my space) look for an event still running:
# the date indexes are by start, so an event begun earlier than this and not over yet is left
# out of those lists (its own page still shows it). Events have no maximum length; a month
# covers the multi-day ones (festivals, camps) while what a list reads stays bounded by the
# events begun in the last month, not by the group's whole past.
RUNNING_LOOKBACK = timedelta(days=31)


def still_on_since(now: datetime) -> datetime:
    """Where a list of what is not over yet starts its read in a date index."""
    return now - RUNNING_LOOKBACK


def members_events(ports: Ports, group: str, membership: Membership | None, *,
                   since: datetime | None = None) -> list[Event]:
    """The group's events `membership` may read that the public pages do not show: private
    events for members, drafts for moderators and above; soonest first."""
    # The group's own index of those (store/keys.py, gsi3): public events, however many, are
    # not read at all.
    found = [e for e in ports.repo.members_events_of_group(group, start=since)
             if not e.is_public and can_read(e, membership)]
    return sorted(found, key=lambda e: (e.begins_on, e.uuid))
