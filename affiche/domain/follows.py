"""Following a group: receiving its public events and posts without being a member.

A Follow item's `state` is its flow. A group auto-accepts follows (DESIGN.md §4, as Mobilizon and
Takahe do), so a local follow is "accepted" as soon as it exists:

    (none) --follow--> accepted --unfollow--> (none)

A remote person following one of our groups (a `Follow` in the inbox) is accepted at once too;
the group's `Accept` echoing their Follow is recorded as the activity, and the outbox's fan-out
delivers it. One of our people following a *remote* group waits for that group's answer:

    (none) --follow_remote--> pending --accepted--> accepted --unfollow--> (none)
                                 \\-------------rejected / unfollow-------> (none)

Services take the acting `Actor` (`*_as` functions): a local profile the web layer resolved from
the session, or a remote actor the inbox resolved from a verified signature (DESIGN.md §9).

The followers count lives in the `followers:{group}` counter (it feeds the public followers.json),
changed in the same transaction as the Follow item and its Follow / Undo activity, so it never
drifts: a second follow of the same group fails on the item's existence check, counter included.
"""

from __future__ import annotations

from itertools import islice

from affiche.domain import activities
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound
from affiche.domain.groups import existing_group
from affiche.domain.model import Account, Actor, Event, Follow, is_remote_name
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.roles import MEMBER_ROLES

UPCOMING_LIMIT = 100


def counter_name(group: str) -> str:
    return f"followers:{group}"


# (state before, action) -> state after; None is "no Follow item".
TRANSITIONS: dict[tuple[str | None, str], str | None] = {
    (None, "follow"): "accepted",  # a follow of one of our groups: auto-accepted
    (None, "follow_remote"): "pending",  # one of ours follows a remote group: it will answer
    ("pending", "accepted"): "accepted",
    ("pending", "rejected"): None,
    ("pending", "unfollow"): None,
    ("accepted", "unfollow"): None,
    ("accepted", "rejected"): None,  # a group may drop a follower later (Reject after Accept)
}


def next_state(current: Follow | None, action: str) -> str | None:
    state = current.state if current else None
    if (state, action) not in TRANSITIONS:
        raise Conflict(f"a follow in state {state or 'none'} cannot be {action}")
    return TRANSITIONS[(state, action)]


def _who(name: str) -> str:
    return name if is_remote_name(name) else f"@{name}"


def follow(ports: Ports, account: Account, group: str, profile: str | None = None) -> Follow:
    """The acting profile follows `group` (accepted at once: groups auto-accept)."""
    return follow_as(ports, acting_profile(ports, account, profile), group)


def follow_as(ports: Ports, me: Actor, group: str, *, activity_id: str | None = None) -> Follow:
    """`me` (a local profile or a remote actor) follows our group `group`; accepted at once.

    For a remote follower `activity_id` is the id of their Follow, which the Accept echoes."""
    followed = existing_group(ports, group)
    if followed.is_remote:
        raise InvalidInput("a remote group is followed through its own server",
                           field="handle")
    existing = ports.repo.get(Follow, f"{followed.name}|{me.name}")
    if existing is not None:
        raise Conflict(f"{_who(me.name)} already follows @{followed.name}")
    created = Follow(follower=me.name, followed=followed.name, created_at=ports.clock.now(),
                     state=str(next_state(None, "follow")), activity_id=activity_id)
    if me.is_remote:
        # The group answers: its Accept is what the fan-out delivers to the follower.
        _commit(ports, ChangeSet().put(created), created, "Accept", +1, actor=followed.name)
    else:
        _commit(ports, ChangeSet().put(created), created, "Follow", +1)
    return created


def accept_again(ports: Ports, group: str, follower: str, activity_id: str | None) -> None:
    """A remote follower sent its Follow again (it never got our Accept): accept it again."""
    existing = ports.repo.get(Follow, f"{group}|{follower}")
    if existing is None:
        raise NotFound(f"{follower} does not follow @{group}")
    changed = existing.evolve(activity_id=activity_id or existing.activity_id)
    changes = ChangeSet().put(changed)
    changes.record(activities.new(ports, "Accept", group, changed, changed.key,
                                  audience="private"))
    ports.repo.commit(changes)


def unfollow(ports: Ports, account: Account, group: str, profile: str | None = None) -> None:
    unfollow_as(ports, acting_profile(ports, account, profile), group)


def unfollow_as(ports: Ports, me: Actor, group: str) -> None:
    """`me` stops following `group` (ours, or a remote group's URL)."""
    existing = ports.repo.get(Follow, f"{group}|{me.name}")
    if existing is None:
        raise NotFound(f"{_who(me.name)} does not follow {_who(group)}")
    next_state(existing, "unfollow")
    remote_group = is_remote_name(group)
    _commit(ports, ChangeSet(deletes=[existing]), existing, "Undo", 0 if remote_group else -1)


def follow_remote(ports: Ports, me: Actor, group: Actor) -> Follow:
    """The local profile `me` asks the remote group `group` to be followed: pending until the
    group's Accept arrives. The Follow activity's id is the recorded activity's id."""
    if me.is_remote or not group.is_remote:
        raise InvalidInput("only a local profile can follow a remote group this way")
    if not group.is_group:
        raise InvalidInput(f"{group.handle} is not a group", field="handle")
    if ports.repo.get(Follow, f"{group.name}|{me.name}") is not None:
        raise Conflict(f"@{me.name} already follows {group.handle}")
    created = Follow(follower=me.name, followed=group.name, created_at=ports.clock.now(),
                     state=str(next_state(None, "follow_remote")))
    changes = ChangeSet().put(created)
    activity = activities.new(ports, "Follow", me.name, created, created.key, audience="private")
    created.activity_id = activity.id
    activity.object["activity_id"] = activity.id
    ports.repo.commit(changes.record(activity))
    return created


def answer_from_group(ports: Ports, group: str, follower: str, accepted: bool) -> Follow | None:
    """The remote group `group` accepted (or rejected) `follower`'s follow. No activity: this
    changes nothing anyone else sees. Returns the follow after the change (None if dropped)."""
    existing = ports.repo.get(Follow, f"{group}|{follower}")
    if existing is None:
        raise NotFound(f"@{follower} does not follow {group}")
    if accepted and existing.state == "accepted":
        return existing  # the same Accept delivered twice (deliveries are at least once)
    state = next_state(existing, "accepted" if accepted else "rejected")
    if state is None:
        ports.repo.commit(ChangeSet(deletes=[existing]))
        return None
    changed = existing.evolve(state=state)
    ports.repo.commit(ChangeSet().put(changed))
    return changed


def _commit(ports: Ports, changes: ChangeSet, follow_: Follow, type_: str, delta: int,
            actor: str | None = None) -> None:
    if delta:
        changes.counters[counter_name(follow_.followed)] = delta
    # Who follows whom is nobody else's business: "private" keeps it out of the public outbox,
    # while `target` still re-renders the group's pages (its followers count). A remote group
    # has no pages here: no target.
    target = None if is_remote_name(follow_.followed) else follow_.followed
    changes.record(activities.new(ports, type_, actor or follow_.follower, follow_, follow_.key,
                                  audience="private", target=target))
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
    # The first `limit` of each group at most: what the agenda shows bounds what it reads.
    events = {e.uuid: e for name in sorted(groups)
              for e in islice((e for e in ports.repo.group_events_in_order(name, start=now)
                               if e.is_public), limit)}
    return sorted(events.values(), key=lambda e: (e.begins_on, e.uuid))[:limit]
