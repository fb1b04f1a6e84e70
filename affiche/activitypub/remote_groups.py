"""Our people as members of groups on other servers: the use cases behind the members' pages.

- Ask to join a group by its address (`@garden@other.example`) or its actor URL: the address is
  resolved through WebFinger to the group's actor id before anything is stored (one key per
  actor, as for follows), then affiche.domain.membership.join_remote_group records the pending
  membership and its Join, which the fan-out sends to the group's inbox. The group's server
  answers with Accept{Join} or Reject{Join} (handlers/membership.py). An address on this server
  is simply a local join request.
- Leave such a group: affiche.domain.membership.leave_as, whose Leave the fan-out sends.
Invitations from remote groups are answered on My space like local ones (pages/joining.py).

Resolving an address makes us fetch from a server the person names: rate-limited per account,
failures become NotFound with a message a person can act on, never a 500.
"""

from __future__ import annotations

from affiche.activitypub import actors
from affiche.activitypub.remote_follow import FOLLOW_REMOTE_PER_ACCOUNT, is_here
from affiche.domain import membership
from affiche.domain.context import Ports
from affiche.domain.errors import NotFound
from affiche.domain.model import Account, Actor, Membership
from affiche.domain.profiles import acting_profile
from affiche.web import ratelimit


def _group(ports: Ports, account: Account, address: str) -> Actor | str:
    """The remote group `address` names (resolved and stored), or a local group's name."""
    from affiche.activitypub.fetch import FetchError
    from affiche.activitypub.handlers.support import local_name

    value = address.strip()
    if value.startswith(("https://", "http://")):
        name = local_name(value)
        if name is not None:
            return name
        ratelimit.hit(FOLLOW_REMOTE_PER_ACCOUNT, account.id)
        try:
            return actors.resolve_actor(ports.repo, value)
        except FetchError as error:
            raise NotFound(f"{value} could not be fetched ({error.reason})") from error
    user, host = actors.parse_handle(value)
    if is_here(host):
        return user.lower()
    ratelimit.hit(FOLLOW_REMOTE_PER_ACCOUNT, account.id)
    return actors.resolve_handle(ports.repo, f"{user}@{host}")


def join_by_handle(ports: Ports, account: Account, address: str, profile: str | None = None,
                   message: str = "") -> Membership:
    """The account's profile asks to join the group at `address` (here or elsewhere)."""
    me = acting_profile(ports, account, profile)
    group = _group(ports, account, address)
    if isinstance(group, str):
        return membership.request_to_join_as(ports, me, group, message)
    if not group.is_group:
        raise NotFound(f"{address} is not a group")
    return membership.join_remote_group(ports, me, group, message)


def leave_remote(ports: Ports, account: Account, group: str,
                 profile: str | None = None) -> None:
    """The account's profile leaves a group of another server (its actor id)."""
    membership.leave_as(ports, acting_profile(ports, account, profile), group)


def remote_memberships(ports: Ports, account: Account) -> list[tuple[Membership, Actor | None]]:
    """The account's memberships in groups of other servers (pending ones too), with the group."""
    found = [m for m in membership.groups_of(ports, account) if m.group.startswith(
        ("https://", "http://")) and m.role != "invited"]
    return [(m, ports.repo.get(Actor, m.group)) for m in found]
