"""The instance's settings administrators edit online: name, description, contact, the texts of
its rules, terms, privacy and about pages, who may create groups, who may sign up, anonymous
participation and reports.

One InstanceSettings item; each change is an `Update` of it (private: nothing federates) that the
outbox turns into fresh NodeInfo (artifacts.touched_by), with an audit entry in the same commit."""

from __future__ import annotations

from typing import Any

from affiche.domain import activities, audit, rules
from affiche.domain.accounts import instance_settings
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, PermissionDenied
from affiche.domain.instance import MODES, require_admin
from affiche.domain.model import Account, InstanceSettings
from affiche.domain.ports import ChangeSet

GROUP_CREATION = ("anyone", "admins")
LINES = {"name": 100, "contact_email": 254}
TEXTS = {"description": 2000, "rules": 50000, "terms": 50000, "privacy": 50000, "about": 50000}
FLAGS = ("anonymous_reports", "anonymous_participation")
CHOICES = {"group_creation": GROUP_CREATION, "registration_mode": MODES}
EDITABLE = (*LINES, *TEXTS, *FLAGS, *CHOICES)


def public_view(settings: InstanceSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in EDITABLE}


def update(ports: Ports, admin: Account, values: dict[str, Any]) -> InstanceSettings:
    """Change the given settings (others keep their value); refuses unknown or bad values."""
    require_admin(admin)
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"unknown settings: {', '.join(unknown)}", field=unknown[0])
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name in FLAGS:
            if not isinstance(value, bool):
                raise InvalidInput(f"{name} must be true or false", field=name)
            clean[name] = value
        elif name in CHOICES:
            clean[name] = rules.choice(str(value), name, CHOICES[name])
        elif name == "contact_email":
            clean[name] = rules.email(str(value)) if str(value).strip() else ""
        elif name in LINES:
            line = rules.text(str(value), name, max_length=LINES[name], required=False)
            if any(ord(c) < 32 for c in line):
                raise InvalidInput(f"{name} must be one line of text", field=name)
            clean[name] = line
        else:
            clean[name] = rules.text(str(value), name, max_length=TEXTS[name], required=False)
    current = instance_settings(ports)
    updated = current.evolve(**clean)
    changes = ChangeSet().put(updated, audit.record(
        ports, admin, "instance.settings", "instance", InstanceSettings.key,
        ", ".join(sorted(clean))))
    changes.record(activities.new(ports, "Update", admin.default_profile or "admin", updated,
                                  InstanceSettings.key, audience="private"))
    ports.repo.commit(changes)
    return updated


def may_create_group(ports: Ports, account: Account) -> None:
    """Refuse group creation to non-administrators when the instance keeps it for them."""
    if account.role != "admin" and instance_settings(ports).group_creation == "admins":
        raise PermissionDenied("on this instance only administrators create groups")
