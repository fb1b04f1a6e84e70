"""What happens here when a remote actor goes away (a self-`Delete` from its server).

Its follows of our groups, its memberships, its participations in our events, its comments and
our copies of its events (when it was a group) are removed
through the same flows a local person uses (follows.unfollow_as, the membership graph's "leave",
participation.forget_participant, which frees the places), so counters and the pages stay right;
our copy of the actor is marked deleted rather than removed, so an old signature or a late delivery
naming it still finds something to refuse.
"""

from __future__ import annotations

from affiche.domain import follows, membership, participation, remote_content
from affiche.domain.context import Ports
from affiche.domain.errors import NotFound
from affiche.domain.model import Actor, is_remote_name
from affiche.domain.ports import ChangeSet


def forget(ports: Ports, actor_id: str) -> int:
    """Remove the follows, memberships and participations of the remote actor `actor_id`;
    returns how many."""
    if not is_remote_name(actor_id):
        raise NotFound(f"{actor_id} is not a remote actor")
    actor = ports.repo.get(Actor, actor_id)
    removed = 0
    who = actor or Actor(name=actor_id, type="Person", display_name=actor_id,
                         created_at=ports.clock.now())
    for followed in ports.repo.following_of(actor_id):
        follows.unfollow_as(ports, who, followed.followed)
        removed += 1
    for item in ports.repo.memberships_of(actor_id):
        _leave(ports, item.group, actor_id)
        removed += 1
    taking_part = ports.repo.participations_of(actor_id)
    if taking_part:
        participation.forget_participant(ports, actor_id)
        removed += len(taking_part)
    if actor is not None and not actor.deleted:
        # What it wrote here goes with it (only for an actor we knew: a server announces the
        # deletion of many accounts that never came here, and each would cost a scan).
        removed += remote_content.remove_comments_by(ports, {actor_id})
        removed += remote_content.remove_remote_events(ports, lambda e: e.group == actor_id)
        ports.repo.commit(ChangeSet().put(actor.evolve(deleted=True)))
    return removed


def _leave(ports: Ports, group: str, member: str) -> None:
    def decide(g: Actor) -> membership.Change:
        before = membership.membership_of(ports, g.name, member)
        if before is None:
            raise NotFound(f"{member} is not in @{g.name}")
        # A departed remote account leaves whatever its role: nobody can act for it any more.
        return membership.Change(g, before, None, "Leave", g.name)

    membership._apply(ports, group, decide)
