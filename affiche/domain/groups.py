"""Groups: creation and settings. Membership flows are in membership.py."""

from __future__ import annotations

from typing import Any

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, NotFound
from affiche.domain.model import Account, Actor, ActorKey, Membership
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.retry import optimistically
from affiche.domain.roles import authorize
from affiche.domain.text import markdown_to_html

VISIBILITIES = ("public", "unlisted")
OPENNESS = ("open", "moderated", "invite_only")


def group_audience(group: Actor) -> str:
    return "public" if group.visibility == "public" else "unlisted"


def create_group(ports: Ports, account: Account, *, name: str, display_name: str,
                 summary: str = "", visibility: str = "public", openness: str = "moderated",
                 profile: str | None = None, timezone: str = "") -> Actor:
    """Create a group with its key pair; the acting profile becomes its creator."""
    creator = acting_profile(ports, account, profile)
    from affiche.domain.instance_config import may_create_group

    may_create_group(ports, account)
    name = rules.handle(name, "name")
    if ports.repo.get(Actor, name) is not None:
        raise Conflict(f"the name @{name} is already taken")
    now = ports.clock.now()
    public_pem, private_pem = ports.keys.generate()
    group = Actor(
        name=name, type="Group", created_at=now,
        display_name=rules.line(display_name, "display_name", max_length=100),
        summary_source=rules.text(summary, "summary", max_length=20000, required=False),
        summary_html=markdown_to_html(summary) if summary else "",
        visibility=rules.choice(visibility, "visibility", VISIBILITIES),
        openness=rules.choice(openness, "openness", OPENNESS),
        timezone=group_timezone(timezone),
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


# --- settings -------------------------------------------------------------------------------
def update_group(ports: Ports, account: Account, name: str, *, display_name: str | None = None,
                 summary: str | None = None, visibility: str | None = None,
                 openness: str | None = None, profile: str | None = None,
                 timezone: str | None = None) -> Actor:
    """Change a group's settings (administrators); a field left as None keeps its value.

    `summary` is Markdown, stored with its sanitised HTML."""
    values = _settings(display_name=display_name, summary=summary, visibility=visibility,
                       openness=openness)
    if timezone is not None:
        values["timezone"] = group_timezone(timezone)
    group = administered_group(ports, account, name, "edit_group", profile)
    return apply_to_group(ports, group, values)


def _settings(*, display_name: str | None, summary: str | None, visibility: str | None,
              openness: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if display_name is not None:
        values["display_name"] = rules.line(display_name, "display_name", max_length=100)
    if summary is not None:
        source = rules.text(summary, "summary", max_length=20000, required=False)
        values["summary_source"] = source
        values["summary_html"] = markdown_to_html(source) if source else ""
    if visibility is not None:
        values["visibility"] = rules.choice(visibility, "visibility", VISIBILITIES)
    if openness is not None:
        values["openness"] = rules.choice(openness, "openness", OPENNESS)
    return values


def group_timezone(value: str) -> str:
    """A group's time zone: an IANA name, or "" for the instance's default."""
    value = value.strip()
    if value:
        rules.timezone(value)  # refuses an unknown zone with a message naming the field
    return value


def existing_group(ports: Ports, name: str) -> Actor:
    group = ports.repo.get(Actor, name)
    if group is None or not group.is_group or group.deleted:
        raise NotFound(f"no group @{name}")
    return group


def administered_group(ports: Ports, account: Account, name: str, action: str,
                       profile: str | None = None) -> Actor:
    """The group, when the account's acting profile has a role there allowed to do `action`."""
    group = existing_group(ports, name)
    editor = acting_profile(ports, account, profile)
    authorize(membership_of(ports, group.name, editor.name), action)
    return group


def apply_to_group(ports: Ports, group: Actor, values: dict[str, Any]) -> Actor:
    """Save `values` on the group with an Update activity; the group as saved.

    The write is conditional on the version read (optimistic locking). When someone else wrote
    the group in between (another administrator; joins only tally its count, which neither
    bumps the version nor is written back by this put), the values are
    applied again to a fresh read: both changes survive, and nobody sees an error for a field
    they did not touch (retry.py). When every attempt loses, the caller gets the Conflict (409)."""
    first_read = [group]

    def attempt() -> Actor:
        current = first_read.pop() if first_read else existing_group(ports, group.name)
        return _commit_update(ports, current, values)

    return optimistically(attempt)


def _commit_update(ports: Ports, group: Actor, values: dict[str, Any]) -> Actor:
    updated = group.evolve(**values)
    if updated == group:
        return group  # nothing changes: no write, no activity to federate
    # group_audience of the *new* state: a group turning unlisted still publishes this Update,
    # and an actor activity re-renders the home page (artifacts.touched_by), which drops it.
    changes = ChangeSet().put(updated)
    changes.record(activities.new(ports, "Update", group.name, updated, group.name,
                                  audience=group_audience(updated)))
    ports.repo.commit(changes)
    return updated
