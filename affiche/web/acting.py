"""Which of an account's profiles acts in a group when the request does not name one.

A person may hold several profiles (Mobilizon's identities); in a group's members-only space the
one that belongs to the group acts, the highest-ranked if several do, so that a member whose
default profile is not the group's is not refused. A profile named in the request always wins
(and must be the account's own)."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.event_lifecycle import best_membership
from affiche.domain.model import Account, Actor
from affiche.domain.profiles import acting_profile


def acting_member(ports: Ports, account: Account, group: str, profile: str | None) -> Actor:
    if profile:
        return acting_profile(ports, account, profile)
    best = best_membership(ports, account, group)
    return acting_profile(ports, account, best.member if best else None)
