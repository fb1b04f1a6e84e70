"""What several pages show: option lists of the forms and the names of roles.

Kept apart from the routes so that a route module reads as "parse, call the domain, answer"."""

from __future__ import annotations

from affiche.domain.context import Ports
from affiche.domain.groups import OPENNESS, VISIBILITIES
from affiche.domain.membership import ASSIGNABLE_ROLES
from affiche.domain.model import Account, Actor, Membership
from affiche.domain.roles import MEMBER_ROLES

ROLE_NAMES = {
    "creator": "Creator", "administrator": "Administrator", "moderator": "Moderator",
    "member": "Member", "invited": "Invited", "not_approved": "Asked to join",
    "rejected": "Request refused",
}
VISIBILITY_NAMES = {"public": "Public: listed on this instance",
                    "unlisted": "Unlisted: only people with the link find it"}
OPENNESS_NAMES = {"open": "Anyone can join", "moderated": "Anyone can ask; administrators approve",
                  "invite_only": "By invitation only"}
VISIBILITY_OPTIONS = [(v, VISIBILITY_NAMES[v]) for v in VISIBILITIES]
OPENNESS_OPTIONS = [(v, OPENNESS_NAMES[v]) for v in OPENNESS]

COMMON = {"role_names": ROLE_NAMES, "member_roles": MEMBER_ROLES,
          "assignable": ASSIGNABLE_ROLES, "visibility_options": VISIBILITY_OPTIONS,
          "openness_options": OPENNESS_OPTIONS}


def my_profiles(ports: Ports, account: Account) -> list[Actor]:
    """The account's live profiles, the default one first."""
    found = [p for p in ports.repo.profiles_of(account.id) if not p.deleted and not p.is_group]
    return sorted(found, key=lambda p: (p.name != account.default_profile, p.name))


def profile_options(profiles: list[Actor]) -> list[tuple[str, str]]:
    return [(p.name, f"{p.display_name} (@{p.name})") for p in profiles]


def groups_by_name(ports: Ports, memberships: list[Membership]) -> dict[str, Actor]:
    """The groups of these memberships, for their display names."""
    found = {}
    for name in {m.group for m in memberships}:
        group = ports.repo.get(Actor, name)
        if group is not None and not group.deleted:
            found[name] = group
    return found
