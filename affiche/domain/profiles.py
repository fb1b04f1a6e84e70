"""Profiles: the Person actors an account acts as. Each has its own handle and key pair."""

from __future__ import annotations

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, NotFound, PermissionDenied
from affiche.domain.model import Account, Activity, Actor, ActorKey
from affiche.domain.ports import ChangeSet


def new_profile(ports: Ports, account: Account, *, name: str, display_name: str,
                summary: str = "", publish: bool = True) -> ChangeSet:
    """The writes creating a profile; `publish` adds the Create activity that renders its page."""
    name = rules.handle(name, "username")
    if ports.repo.get(Actor, name) is not None:
        raise Conflict(f"the name @{name} is already taken")
    public_pem, private_pem = ports.keys.generate()
    from affiche.domain.text import markdown_to_html

    profile = Actor(name=name, type="Person",
                    display_name=rules.line(display_name, "display_name", max_length=100),
                    created_at=ports.clock.now(), account_id=account.id,
                    summary_source=rules.text(summary, "summary", max_length=5000, required=False),
                    summary_html=markdown_to_html(summary) if summary else "",
                    public_key_pem=public_pem)
    changes = ChangeSet().put(profile, ActorKey(name=name, private_key_pem=private_pem))
    if publish:
        changes.record(publish_activity(ports, profile, "Create"))
    return changes


def publish_activity(ports: Ports, actor: Actor, type_: str) -> Activity:
    audience = "public" if actor.visibility == "public" else "unlisted"
    return activities.new(ports, type_, actor.name, actor, actor.name, audience=audience)


def acting_profile(ports: Ports, account: Account, name: str | None) -> Actor:
    """The profile an account acts as: the one named, or its default. It must be its own."""
    name = name or account.default_profile
    profile = ports.repo.get(Actor, name) if name else None
    if profile is None or profile.deleted:
        raise NotFound(f"no profile @{name}")
    if profile.account_id != account.id:
        raise PermissionDenied(f"@{name} is not one of your profiles")
    if profile.suspended:
        raise PermissionDenied(f"@{name} is suspended by this instance's administrators")
    return profile
