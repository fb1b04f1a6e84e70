"""Accounts: sign up, confirm the address, log in. An account is private (its email is never
published); everything social is done through its profiles (affiche/domain/profiles.py)."""

from __future__ import annotations

from datetime import timedelta

from affiche.domain import outgoing, profiles, rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from affiche.domain.model import Account, InstanceSettings, Record, Token
from affiche.domain.ports import ChangeSet

CONFIRM_TTL = timedelta(hours=48)
SUSPENDED = ("this account is suspended by the instance's administrators: you cannot log in "
             "or act with it; write to them if you think this is a mistake")
# One fixed hash, verified when the email is unknown so that a failed login takes the same time
# whether or not the address exists (login must not reveal which emails have accounts).
_DUMMY_PASSWORD = "affiche-timing-equaliser"


def instance_settings(ports: Ports) -> InstanceSettings:
    return ports.repo.get(InstanceSettings, InstanceSettings.key) or InstanceSettings()


def signup(ports: Ports, *, email: str, password: str, username: str | None = None,
           display_name: str | None = None, invitation: str | None = None,
           confirmed: bool = False, role: str = "user",
           resume: str | None = None) -> Account | None:
    """Create an account and its default profile, and mail a confirmation link.

    The profile page is published only once the address is confirmed (see `confirm`). An
    instance invitation sent to this very address already proves it: that account is created
    confirmed, with no second mail to answer. `resume` is the members' page (a path the caller
    checked) the confirmation link leads back to, e.g. the Join form the person came from.

    When the address already has an account, nothing is created and None is returned; the caller
    answers exactly as for a new account, so sign-up does not tell who has an account here. The
    address's owner is mailed instead (`_address_in_use`)."""
    email = rules.email(email)
    password = rules.password(password)
    changes = ChangeSet()
    confirmed = _check_registration_open(ports, email, invitation, changes) or confirmed
    owner = ports.repo.claim_owner(f"email:{email}")
    if owner is not None:
        _address_in_use(ports, owner, email, password, resume)
        return None
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
    if not confirmed:
        secret = rules.new_secret()
        changes.put(Token(token_hash=rules.digest(secret), purpose="confirm", account_id=account.id,
                          expires_at=now + CONFIRM_TTL),
                    outgoing.mail(ports, email, "confirm",
                                  {"token": secret, "name": name, "resume": resume},
                                  ttl=CONFIRM_TTL))
    ports.repo.commit(changes)
    return account


def _address_in_use(ports: Ports, owner_id: str, email: str, password: str,
                    resume: str | None = None) -> None:
    """A sign-up with an address that has an account: mail its owner, change nothing they have.

    If that account is still unconfirmed, someone may have signed up with another person's
    address first. The new confirmation link carries the new password (hashed): whoever follows
    it proves they own the address, and the first sign-up's password is discarded (`confirm`)."""
    password_hash = ports.hasher.hash(password)  # both branches cost one hash: same timing
    account = ports.repo.get(Account, owner_id)
    if account is None:
        return
    if account.confirmed:
        ports.repo.commit(ChangeSet().put(outgoing.mail(ports, email, "signup_existing")))
        return
    secret = rules.new_secret()
    ports.repo.commit(ChangeSet().put(Token(
        token_hash=rules.digest(secret), purpose="confirm", account_id=account.id,
        expires_at=ports.clock.now() + CONFIRM_TTL, payload={"password_hash": password_hash}),
        outgoing.mail(ports, email, "confirm", {"token": secret,
                                                "name": account.default_profile or "",
                                                "resume": resume}, ttl=CONFIRM_TTL)))


def _check_registration_open(ports: Ports, email: str, invitation: str | None,
                             changes: ChangeSet) -> bool:
    """Refuse a sign-up the registration mode does not allow; True when an invitation sent to
    `email` comes with it (it is used up by this sign-up, and it proves the address)."""
    mode = instance_settings(ports).registration_mode
    if mode == "closed":
        raise PermissionDenied("registrations are closed on this instance")
    token = _valid_token(ports, invitation, "instance_invite") if invitation else None
    invited = token is not None and token.payload.get("email") == email
    if mode != "open" and not invited:
        raise PermissionDenied("registration on this instance is by invitation only; "
                               "use the link from your invitation email")
    if token is not None and invited:
        changes.deletes.append(token)
    return invited


def invited_address(ports: Ports, invitation: str | None) -> str | None:
    """The address an unexpired instance invitation was sent to, or None."""
    token = _valid_token(ports, invitation, "instance_invite")
    return str(token.payload.get("email")) if token is not None else None


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
    doomed: list[Record] = []
    if not account.confirmed:
        new_hash = token.payload.get("password_hash")
        if new_hash:
            # Confirmed through a later sign-up: its password wins, every other pending link
            # (the first sign-up's) and any session die with the first password.
            account = account.evolve(password_hash=new_hash)
            doomed = [*(t for t in ports.repo.tokens_of(account.id)
                        if t.token_hash != token.token_hash),
                      *ports.repo.sessions_of(account.id)]
        account = account.evolve(confirmed=True)
        changes.put(account)
        record_confirmation(ports, account, changes)
    from affiche.domain.account_settings import commit_with_deletes  # (it imports this module)

    commit_with_deletes(ports, changes, doomed)
    return account


def record_confirmation(ports: Ports, account: Account, changes: ChangeSet) -> None:
    """What confirming an address adds to the commit: the user count, the published profiles."""
    changes.counters["users"] = 1
    for profile in ports.repo.profiles_of(account.id):
        changes.record(profiles.publish_activity(ports, profile, "Create"))


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
        raise PermissionDenied(SUSPENDED)
    return account


_dummy: dict[int, str] = {}


def _dummy_hash(ports: Ports) -> str:
    key = id(ports.hasher)
    if key not in _dummy:
        _dummy[key] = ports.hasher.hash(_DUMMY_PASSWORD)
    return _dummy[key]
