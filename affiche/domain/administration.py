"""What instance administrators do to accounts, profiles and groups: change an account's role,
suspend and restore, mail a new confirmation link.

Suspending hides without deleting: the suspended actor's pages answer 410 (the renderer treats a
suspended actor like a deleted one, affiche/publish/renderer.py), a suspended group's events and
posts too, and a suspended person's comments leave the public event pages. A suspended account
cannot log in and its sessions are deleted in the same commit; a suspended profile cannot act
(profiles.acting_profile). Each change is an `Update` of the actor (the outbox re-renders its
pages; a group's remote followers receive a `Delete` of it, or its document again on restore:
affiche/activitypub/fanout.py) and an audit entry (affiche/domain/audit.py), in one ChangeSet.
"""

from __future__ import annotations

from affiche.domain import activities, audit, rules
from affiche.domain.account_settings import commit_with_deletes
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from affiche.domain.instance import require_admin
from affiche.domain.model import Account, Activity, Actor
from affiche.domain.ports import ChangeSet

# Instance roles, as stored; "administrator" is read as "admin" (what Mobilizon's API calls it).
ROLES = ("user", "moderator", "admin")
ROLE_NAMES = {"user": "user", "moderator": "moderator", "admin": "admin",
              "administrator": "admin"}


def existing_account(ports: Ports, account_id: str) -> Account:
    account = ports.repo.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account


def _local_actor(ports: Ports, name: str, type_: str) -> Actor:
    actor = ports.repo.get(Actor, name)
    if actor is None or actor.deleted or actor.is_remote or actor.type != type_:
        what = "group" if type_ == "Group" else "profile"
        raise NotFound(f"no {what} @{name} on this instance")
    return actor


def change_role(ports: Ports, admin: Account, account_id: str, role: str,
                reason: str = "") -> Account:
    """Make an account a user, a moderator or an administrator of the instance."""
    require_admin(admin)
    wanted = ROLE_NAMES.get(str(role).strip().lower())
    if wanted is None:
        raise InvalidInput("role must be one of user, moderator, administrator", field="role")
    account = existing_account(ports, account_id)
    if account.id == admin.id and wanted != "admin":
        # The instance must keep someone able to run it; another administrator can do this.
        raise PermissionDenied("you cannot lower your own role; ask another administrator")
    if account.role == wanted:
        return account
    updated = account.evolve(role=wanted)
    ports.repo.commit(ChangeSet().put(updated, audit.record(
        ports, admin, "account.role", "account", account.id, reason or wanted)))
    return updated


def _actor_change(ports: Ports, admin: Account, actor: Actor, suspended: bool) -> Activity:
    # Private: it is no entry of anyone's public outbox; the outbox still re-renders the actor's
    # pages (artifacts.touched_by) and tells a group's remote followers (fanout._actor).
    updated = actor.evolve(suspended=suspended)
    change = activities.new(ports, "Update", admin.default_profile or "admin", updated,
                            actor.name, audience="private")
    # Restored: its pages (a group's events and posts too) stop answering 410.
    return change if suspended else activities.restoring(change)


def _published(ports: Ports, actor: Actor) -> bool:
    """A profile's page exists once its account is confirmed; a group's always."""
    if actor.is_group or not actor.account_id:
        return True
    owner = ports.repo.get(Account, actor.account_id)
    return owner is not None and owner.confirmed


def _set_actor(ports: Ports, admin: Account, actor: Actor, suspended: bool,
               changes: ChangeSet) -> None:
    if actor.suspended == suspended:
        return
    changes.put(actor.evolve(suspended=suspended))
    if _published(ports, actor):
        changes.record(_actor_change(ports, admin, actor, suspended))


def suspend_account(ports: Ports, admin: Account, account_id: str, reason: str = "") -> Account:
    """Suspend an account: login refused, every session ended, every profile suspended."""
    require_admin(admin)
    account = existing_account(ports, account_id)
    if account.id == admin.id:
        raise PermissionDenied("you cannot suspend your own account")
    if account.suspended:
        raise Conflict("this account is already suspended")
    changes = ChangeSet().put(account.evolve(suspended=True), audit.record(
        ports, admin, "account.suspend", "account", account.id, reason))
    for profile in ports.repo.profiles_of(account.id):
        if not profile.deleted:
            _set_actor(ports, admin, profile, True, changes)
    commit_with_deletes(ports, changes, ports.repo.sessions_of(account.id))
    return account.evolve(suspended=True)


def restore_account(ports: Ports, admin: Account, account_id: str, reason: str = "") -> Account:
    """Lift an account's suspension, and its profiles' (their pages are published again)."""
    require_admin(admin)
    account = existing_account(ports, account_id)
    if not account.suspended:
        raise Conflict("this account is not suspended")
    changes = ChangeSet().put(account.evolve(suspended=False), audit.record(
        ports, admin, "account.restore", "account", account.id, reason))
    for profile in ports.repo.profiles_of(account.id):
        if not profile.deleted:
            _set_actor(ports, admin, profile, False, changes)
    ports.repo.commit(changes)
    return account.evolve(suspended=False)


def set_actor_suspended(ports: Ports, admin: Account, name: str, suspended: bool, *,
                        group: bool, reason: str = "") -> Actor:
    """Suspend (or restore) one profile or one group."""
    require_admin(admin)
    actor = _local_actor(ports, name, "Group" if group else "Person")
    if actor.suspended == suspended:
        state = "suspended" if suspended else "not suspended"
        raise Conflict(f"@{name} is already {state}")
    if not group and actor.account_id == admin.id and suspended:
        raise PermissionDenied("you cannot suspend your own profile")
    kind = "group" if group else "profile"
    changes = ChangeSet().put(audit.record(
        ports, admin, f"{kind}.{'suspend' if suspended else 'restore'}", kind, name, reason))
    _set_actor(ports, admin, actor, suspended, changes)
    ports.repo.commit(changes)
    return actor.evolve(suspended=suspended)


def resend_confirmation(ports: Ports, admin: Account, account_id: str) -> Account:
    """Mail a new confirmation link to an account that has not confirmed its address."""
    from affiche.domain import account_settings

    require_admin(admin)
    account = existing_account(ports, account_id)
    if account.confirmed:
        raise Conflict("this account's address is already confirmed")
    ports.repo.commit(ChangeSet().put(audit.record(
        ports, admin, "account.resend_confirmation", "account", account.id)))
    account_settings.resend_confirmation(ports, account.email)
    return account


def search_text(value: str | None) -> str:
    """The search box's text: one line, at most 100 characters, compared in lower case."""
    return rules.text(value or "", "q", max_length=100, required=False).lower()
