"""Managing an account's profiles: add one, edit its name and summary, choose the default one,
delete one. Every public change records the Person's Create/Update/Delete activity, which
re-renders (or removes) its pages and federates the change (DESIGN.md principle 1).

A profile never carries its account's email: the Actor entity has no field for it, and the
public documents are rendered from the Actor alone (tests/functions/test_profiles.py checks it).
"""

from __future__ import annotations

from affiche.domain import retirement, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput
from affiche.domain.model import Account, Actor
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile, new_profile, publish_activity
from affiche.domain.text import markdown_to_html

# Bounded so that deleting an account (three writes per profile) fits in one transaction.
MAX_PROFILES = 10
SUMMARY_MAX = 5000


def create_profile(ports: Ports, account: Account, *, name: str, display_name: str,
                   summary: str = "") -> Actor:
    """Add a profile with its own handle and key pair; published once the account is confirmed
    (an unconfirmed account's profiles are published by `accounts.confirm`)."""
    if len(ports.repo.profiles_of(account.id)) >= MAX_PROFILES:
        raise InvalidInput(f"an account can have at most {MAX_PROFILES} profiles", field="name")
    changes = new_profile(ports, account, name=name, display_name=display_name,
                          summary=summary, publish=account.confirmed)
    ports.repo.commit(changes)
    profile = changes.puts[0]
    assert isinstance(profile, Actor)
    return profile


def edit_profile(ports: Ports, account: Account, name: str, *, display_name: str | None = None,
                 summary: str | None = None) -> Actor:
    """Change the display name and/or the summary (Markdown, stored with its sanitised HTML)."""
    profile = acting_profile(ports, account, name)
    updates: dict[str, str] = {}
    if display_name is not None:
        updates["display_name"] = rules.line(display_name, "display_name", max_length=100)
    if summary is not None:
        source = rules.text(summary, "summary", max_length=SUMMARY_MAX, required=False)
        updates.update(summary_source=source,
                       summary_html=markdown_to_html(source) if source else "")
    if not updates:
        return profile
    updated = profile.evolve(**updates)
    ports.repo.commit(ChangeSet().put(updated).record(publish_activity(ports, updated, "Update")))
    return updated


def set_default_profile(ports: Ports, account: Account, name: str) -> Account:
    """The profile used when a request names none. Private: no activity."""
    profile = acting_profile(ports, account, name)
    updated = account.evolve(default_profile=profile.name)
    ports.repo.commit(ChangeSet().put(updated))
    return updated


def delete_profile(ports: Ports, account: Account, name: str) -> None:
    """Turn one profile into a deleted actor. An account keeps at least one profile, and a
    group keeps at least one administrator."""
    profile = acting_profile(ports, account, name)
    others = [p for p in ports.repo.profiles_of(account.id) if p.name != profile.name]
    if not others:
        raise Conflict(f"@{profile.name} is your only profile; delete your account instead")
    retirement.ensure_not_last_admins(ports, [profile])
    retirement.leave_everything(ports, profile)
    changes = retirement.retired(ports, profile, published=account.confirmed)
    if account.default_profile == profile.name:
        changes.put(account.evolve(default_profile=sorted(p.name for p in others)[0]))
    ports.repo.commit(changes)
