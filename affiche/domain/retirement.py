"""Retiring profiles: what deleting one profile, or a whole account, does to its Person actors.

A retired profile is kept as a deleted Person (`deleted=True`, "Deleted profile", no summary,
images or owner) instead of vanishing: events and posts it wrote in groups stay attributed to an
author whose pages are gone (the renderer deletes the files of deleted actors), and its handle is
never handed to someone else, since an object id is never reused after a Delete (DESIGN.md §4).
What is personal goes: the private key, the memberships, follows and participations, the link to
the account. The private key of a published profile goes last: it signs the Delete that tells
remote servers (Mastodon checks that the actor itself signed it), so it expires a few days later,
past the delivery retries, instead of with the commit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from affiche.domain import activities, follows
from affiche.domain.context import Ports
from affiche.domain.errors import PermissionDenied
from affiche.domain.membership import Change
from affiche.domain.model import Actor, ActorKey, Follow, Membership, is_remote_name
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import publish_activity
from affiche.domain.retry import optimistically
from affiche.domain.roles import ADMIN_ROLES

DELETED_NAME = "Deleted profile"
# Deliveries retry for about two days (activitypub/delivery.py), then wait in the dead-letter
# queue, from which an administrator may replay them within the week.
KEY_OUTLIVES_ACTOR = timedelta(days=9)
# Each membership leaves with a tally of its group's count, checked against the group's version
# as read (membership.Change); an administrator's leaving also bumps that version. A concurrent
# change of the group fails it, so the removal is re-read and tried again.


def ensure_not_last_admins(ports: Ports, leaving: Collection[Actor]) -> None:
    """Refuse while the `leaving` profiles are all the administrators a group has: a group must
    keep someone able to run it (the rule membership.leave applies), and only its members can
    choose who. Checked for all the profiles together: two profiles of one account may be a
    group's only two administrators."""
    names = {profile.name for profile in leaving}
    for profile in leaving:
        for membership in ports.repo.memberships_of(profile.name):
            if membership.role in ADMIN_ROLES and not _other_admin(ports, membership.group, names):
                raise PermissionDenied(
                    f"@{profile.name} is the last administrator of the group "
                    f"@{membership.group}: appoint another administrator of that group first, "
                    "then try again")


def _other_admin(ports: Ports, group: str, leaving: set[str]) -> bool:
    return any(m.role in ADMIN_ROLES and m.member not in leaving
               for m in ports.repo.memberships_of_group(group))


def leave_everything(ports: Ports, profile: Actor) -> None:
    """Remove every membership (one transaction per group) and every follow of `profile`."""
    for membership in ports.repo.memberships_of(profile.name):
        _leave(ports, membership.key)
    for follow in ports.repo.following_of(profile.name):
        _unfollow(ports, follow)
    from affiche.domain.participation import forget_participant

    forget_participant(ports, profile.name)  # frees the places it held


def _leave(ports: Ports, key: str) -> None:
    def attempt() -> None:
        membership = ports.repo.get(Membership, key)
        group = ports.repo.get(Actor, membership.group) if membership else None
        if membership is None or group is None:
            return
        # membership.Change lowers the member count (a tally) and records the Leave activity
        # with the audience the membership flows use (the page shows the count).
        ports.repo.commit(Change(group, membership, None, "Leave", membership.member)
                          .changeset(ports))

    optimistically(attempt)


def _unfollow(ports: Ports, follow: Follow) -> None:
    # As follows.unfollow does: the item, the group's followers counter and a private Undo.
    # A remote group keeps its own count (and has no page here); the Undo still reaches it
    # through the fan-out.
    remote = is_remote_name(follow.followed)
    changes = ChangeSet(deletes=[follow])
    if not remote:
        changes.counters[follows.counter_name(follow.followed)] = -1
    changes.record(activities.new(ports, "Undo", follow.follower, follow, follow.key,
                                  audience="private", target=None if remote else follow.followed))
    ports.repo.commit(changes)


def retired(ports: Ports, profile: Actor, *, published: bool) -> ChangeSet:
    """The writes turning `profile` into a deleted actor; a profile that was `published` also
    gets the Delete activity that removes its pages and tells the fediverse."""
    tombstone = profile.evolve(deleted=True, display_name=DELETED_NAME, summary_html="",
                               summary_source="", avatar=None, banner=None, account_id=None)
    changes = ChangeSet().put(tombstone)
    key = ports.repo.get(ActorKey, profile.name) if published else None
    if key is not None:
        changes.put(key.evolve(expires_at=ports.clock.now() + KEY_OUTLIVES_ACTOR))
    else:
        # Version 0 makes the delete unconditional: a key already gone is not a conflict.
        changes.deletes.append(ActorKey(name=profile.name, private_key_pem=""))
    if published:
        changes.record(publish_activity(ports, tombstone, "Delete"))
    return changes
