"""Groups: creation and settings. Membership flows are in membership.py."""

from __future__ import annotations

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict
from affiche.domain.model import Account, Actor, ActorKey, Membership
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.text import markdown_to_html

VISIBILITIES = ("public", "unlisted")
OPENNESS = ("open", "moderated", "invite_only")


def group_audience(group: Actor) -> str:
    return "public" if group.visibility == "public" else "unlisted"


def create_group(ports: Ports, account: Account, *, name: str, display_name: str,
                 summary: str = "", visibility: str = "public", openness: str = "moderated",
                 profile: str | None = None) -> Actor:
    """Create a group with its key pair; the acting profile becomes its creator."""
    creator = acting_profile(ports, account, profile)
    name = rules.handle(name, "name")
    if ports.repo.get(Actor, name) is not None:
        raise Conflict(f"the name @{name} is already taken")
    now = ports.clock.now()
    public_pem, private_pem = ports.keys.generate()
    group = Actor(
        name=name, type="Group", created_at=now,
        display_name=rules.text(display_name, "display_name", max_length=100),
        summary_source=rules.text(summary, "summary", max_length=20000, required=False),
        summary_html=markdown_to_html(summary) if summary else "",
        visibility=rules.choice(visibility, "visibility", VISIBILITIES),
        openness=rules.choice(openness, "openness", OPENNESS),
        member_count=1, public_key_pem=public_pem,
    )
    membership = Membership(group=name, member=creator.name, role="creator", created_at=now,
                            updated_at=now)
    changes = ChangeSet().put(group, ActorKey(name=name, private_key_pem=private_pem), membership)
    changes.counters["local_groups"] = 1
    changes.record(activities.new(ports, "Create", name, group, name,
                                  audience=group_audience(group)))
    ports.repo.commit(changes)
    return group


def membership_of(ports: Ports, group: str, member: str) -> Membership | None:
    return ports.repo.get(Membership, f"{group}|{member}")
