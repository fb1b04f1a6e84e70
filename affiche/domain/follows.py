"""Following a group: receiving its public events and posts without being a member.

A Follow item's `state` is its flow. A group auto-accepts follows (DESIGN.md §4, as Mobilizon and
Takahe do), so a local follow is "accepted" as soon as it exists:

    (none) --follow--> accepted --unfollow--> (none)

Remote follows (a Follow arriving in the inbox) will pass through "pending" until the group's
Accept is delivered; that is the federation issue's job, the state field is ready for it.

The followers count lives in the `followers:{group}` counter (it feeds the public followers.json),
changed in the same transaction as the Follow item and its Follow / Undo activity, so it never
drifts: a second follow of the same group fails on the item's existence check, counter included.
"""

from __future__ import annotations

from affiche.domain import activities
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, NotFound
from affiche.domain.groups import existing_group
from affiche.domain.model import Account, Actor, Event, Follow
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.roles import MEMBER_ROLES

UPCOMING_LIMIT = 100


def counter_name(group: str) -> str:
    return f"followers:{group}"


def follow(ports: Ports, account: Account, group: str, profile: str | None = None) -> Follow:
    """The acting profile follows `group` (accepted at once: groups auto-accept)."""
    me = acting_profile(ports, account, profile)
    followed = existing_group(ports, group)
    if ports.repo.get(Follow, f"{followed.name}|{me.name}") is not None:
        raise Conflict(f"@{me.name} already follows @{followed.name}")
    created = Follow(follower=me.name, followed=followed.name, created_at=ports.clock.now())
    _commit(ports, ChangeSet().put(created), created, "Follow", +1)
    return created


def unfollow(ports: Ports, account: Account, group: str, profile: str | None = None) -> None:
    me = acting_profile(ports, account, profile)
    existing = ports.repo.get(Follow, f"{group}|{me.name}")
    if existing is None:
        raise NotFound(f"@{me.name} does not follow @{group}")
    _commit(ports, ChangeSet(deletes=[existing]), existing, "Undo", -1)


def _commit(ports: Ports, changes: ChangeSet, follow_: Follow, type_: str, delta: int) -> None:
    changes.counters[counter_name(follow_.followed)] = delta
    # Who follows whom is nobody else's business: "private" keeps it out of the public outbox,
    # while `target` still re-renders the group's pages (its followers count).
    changes.record(activities.new(ports, type_, follow_.follower, follow_, follow_.key,
                                  audience="private", target=follow_.followed))
    ports.repo.commit(changes)


def followed_groups(ports: Ports, profile: str) -> list[Actor]:
    """Groups the profile follows (accepted follows of groups that still exist), by name."""
    found = []
    for item in ports.repo.following_of(profile):
        group = ports.repo.get(Actor, item.followed) if item.state == "accepted" else None
        if group is not None and not group.deleted:
            found.append(group)
    return sorted(found, key=lambda g: g.name)


def upcoming_for(ports: Ports, account: Account, limit: int = UPCOMING_LIMIT) -> list[Event]:
    """A personal agenda: upcoming public and unlisted events of the groups the account's
    profiles follow or belong to, soonest first."""
    groups: set[str] = set()
    for person in ports.repo.profiles_of(account.id):
        groups |= {f.followed for f in ports.repo.following_of(person.name)
                   if f.state == "accepted"}
        groups |= {m.group for m in ports.repo.memberships_of(person.name)
                   if m.role in MEMBER_ROLES}
    now = ports.clock.now()
    events = {e.uuid: e for name in sorted(groups)
              for e in ports.repo.events_of_group(name, since=now) if e.is_public}
    return sorted(events.values(), key=lambda e: (e.begins_on, e.uuid))[:limit]
