"""Accounts: sign up, confirm the address, log in. An account is private (its email is never
published); everything social is done through its profiles (affiche/domain/profiles.py)."""

from __future__ import annotations

from datetime import timedelta

from affiche.domain import profiles, rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from affiche.domain.model import Account, InstanceSettings, Token
from affiche.domain.ports import ChangeSet

CONFIRM_TTL = timedelta(hours=48)
# One fixed hash, verified when the email is unknown so that a failed login takes the same time
# whether or not the address exists (login must not reveal which emails have accounts).
_DUMMY_PASSWORD = "affiche-timing-equaliser"


def instance_settings(ports: Ports) -> InstanceSettings:
    return ports.repo.get(InstanceSettings, InstanceSettings.key) or InstanceSettings()


def signup(ports: Ports, *, email: str, password: str, username: str | None = None,
           display_name: str | None = None, invitation: str | None = None,
           confirmed: bool = False, role: str = "user") -> Account:
    """Create an account and its default profile, and mail a confirmation link.

    The profile page is published only once the address is confirmed (see `confirm`)."""
    email = rules.email(email)
    password = rules.password(password)
    changes = ChangeSet()
    _check_registration_open(ports, email, invitation, changes)
    if ports.repo.claim_owner(f"email:{email}") is not None:
        raise InvalidInput("an account with this email already exists", field="email")
    now = ports.clock.now()
    account = Account(id=rules.new_id(), email=email, password_hash=ports.hasher.hash(password),
                      created_at=now, confirmed=confirmed, role=role)
    name = rules.handle(username, "username") if username else _free_handle(ports, email)
    profile_changes = profiles.new_profile(ports, account, name=name,
                                           display_name=display_name or name,
                                           publish=confirmed)
    account.default_profile = name
    changes.put(account)
    if confirmed:
        changes.counters["users"] = 1
    changes.claims[f"email:{email}"] = account.id
    changes.puts.extend(profile_changes.puts)
    changes.activities.extend(profile_changes.activities)
    secret = None
    if not confirmed:
        secret = rules.new_secret()
        changes.put(Token(token_hash=rules.digest(secret), purpose="confirm", account_id=account.id,
                          expires_at=now + CONFIRM_TTL))
    ports.repo.commit(changes)
    if secret:
        ports.mailer.send(email, "confirm", {"token": secret, "name": name})
    return account


def _check_registration_open(ports: Ports, email: str, invitation: str | None,
                             changes: ChangeSet) -> None:
    mode = instance_settings(ports).registration_mode
    if mode == "open":
        return
    if mode == "closed":
        raise PermissionDenied("registrations are closed on this instance")
    token = _valid_token(ports, invitation, "instance_invite") if invitation else None
    if token is None or token.payload.get("email") != email:
        raise PermissionDenied("registration on this instance is by invitation only; "
                               "use the link from your invitation email")
    changes.deletes.append(token)


def _free_handle(ports: Ports, email: str) -> str:
    from affiche.domain.model import Actor

    base = "".join(c for c in email.split("@", 1)[0].lower() if c.isalnum() or c == "_")[:48]
    base = base or "user"
    candidate, n = base, 1
    while ports.repo.get(Actor, candidate) is not None:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _valid_token(ports: Ports, secret: str | None, purpose: str) -> Token | None:
    if not secret:
        return None
    token = ports.repo.get(Token, rules.digest(secret))
    if token is None or token.purpose != purpose or token.expires_at <= ports.clock.now():
        return None
    return token


def confirm(ports: Ports, secret: str) -> Account:
    """Confirm an address from the emailed link; publishes the default profile."""
    token = _valid_token(ports, secret, "confirm")
    if token is None:
        raise NotFound("this confirmation link is invalid or has expired; "
                       "sign up or ask for a new one")
    account = ports.repo.get(Account, token.account_id)
    if account is None:
        raise NotFound("this account no longer exists")
    changes = ChangeSet()
    changes.deletes.append(token)
    if not account.confirmed:
        changes.put(account.evolve(confirmed=True))
        changes.counters["users"] = 1
        for profile in ports.repo.profiles_of(account.id):
            changes.record(profiles.publish_activity(ports, profile, "Create"))
    ports.repo.commit(changes)
    return account


def login(ports: Ports, *, email: str, password: str) -> Account:
    """The account for these credentials. The error never says which of the two was wrong."""
    wrong = NotAuthenticated("email or password is incorrect")
    try:
        email = rules.email(email)
    except InvalidInput:
        raise wrong from None
    account = ports.repo.account_by_email(email)
    if account is None:
        ports.hasher.verify(_dummy_hash(ports), password)
        raise wrong
    if not ports.hasher.verify(account.password_hash, password):
        raise wrong
    if not account.confirmed:
        raise PermissionDenied("confirm your email address first: follow the link we sent you")
    if account.suspended:
        raise PermissionDenied("this account is suspended")
    return account


_dummy: dict[int, str] = {}


def _dummy_hash(ports: Ports) -> str:
    key = id(ports.hasher)
    if key not in _dummy:
        _dummy[key] = ports.hasher.hash(_DUMMY_PASSWORD)
    return _dummy[key]
