"""Instance administration: registration mode and invitations to register."""

from __future__ import annotations

from datetime import timedelta

from affiche.domain import activities, audit, outgoing, rules
from affiche.domain.accounts import instance_settings
from affiche.domain.context import Ports
from affiche.domain.errors import PermissionDenied
from affiche.domain.model import Account, InstanceSettings, Token
from affiche.domain.ports import ChangeSet

MODES = ("open", "invite_only", "closed")
INVITATION_TTL = timedelta(days=14)


def require_admin(account: Account) -> None:
    if account.role != "admin":
        raise PermissionDenied("only an administrator of this instance can do this")


def set_registration_mode(ports: Ports, admin: Account, mode: str) -> InstanceSettings:
    require_admin(admin)
    current = instance_settings(ports)
    updated = current.evolve(registration_mode=rules.choice(mode, "registration_mode", MODES))
    # NodeInfo publishes `openRegistrations`: a public change, so it carries an activity that the
    # outbox turns into a fresh nodeinfo document. "private": nothing to federate (no instance
    # actor yet), only pages to re-render.
    changes = ChangeSet().put(updated, audit.record(ports, admin, "instance.registration_mode",
                                                    "instance", InstanceSettings.key,
                                                    reason=updated.registration_mode))
    changes.record(activities.new(ports, "Update", admin.default_profile or "admin", updated,
                                  InstanceSettings.key, audience="private"))
    ports.repo.commit(changes)
    return updated


def invite_to_register(ports: Ports, admin: Account, email: str) -> None:
    """Mail a sign-up link that works while registrations are invite-only."""
    require_admin(admin)
    email = rules.email(email)
    secret = rules.new_secret()
    ports.repo.commit(ChangeSet().put(Token(
        token_hash=rules.digest(secret), purpose="instance_invite", account_id=admin.id,
        expires_at=ports.clock.now() + INVITATION_TTL, payload={"email": email}),
        audit.record(ports, admin, "instance.invite", "email", email),
        outgoing.mail(ports, email, "instance_invite", {"token": secret, "email": email},
                      ttl=INVITATION_TTL)))


def set_anonymous_participation(ports: Ports, admin: Account, allowed: bool) -> InstanceSettings:
    """Let events (those that opt in) take participants without an account, or stop it."""
    require_admin(admin)
    current = instance_settings(ports)
    updated = current.evolve(anonymous_participation=bool(allowed))
    ports.repo.commit(ChangeSet().put(updated, audit.record(
        ports, admin, "instance.anonymous_participation", "instance", InstanceSettings.key,
        reason="allowed" if updated.anonymous_participation else "refused")))
    return updated


def set_anonymous_reports(ports: Ports, admin: Account, allowed: bool) -> InstanceSettings:
    """Let visitors without an account report content (with an email address), or stop it."""
    require_admin(admin)
    updated = instance_settings(ports).evolve(anonymous_reports=bool(allowed))
    ports.repo.commit(ChangeSet().put(updated, audit.record(
        ports, admin, "instance.anonymous_reports", "instance", InstanceSettings.key,
        reason="allowed" if updated.anonymous_reports else "refused")))
    return updated
