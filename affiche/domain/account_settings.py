"""The rest of an account's life after sign-up: reset a forgotten password, change the password
or the email address, get a new confirmation link, delete the account.

Emailed secrets are single-use Tokens (only their SHA-256 is stored, expiry checked in code); a
token is deleted in the same transaction as the change it authorises, under its version, so two
uses racing each other cannot both succeed. Answers to requests naming an email address never
reveal whether an account uses it (OWASP's forgot-password guidance:
https://cheatsheetseries.owasp.org/cheatsheets/Forgot_Password_Cheat_Sheet.html).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from affiche.domain import accounts, outgoing, retirement, rules
from affiche.domain.accounts import CONFIRM_TTL, _valid_token
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound
from affiche.domain.model import Account, OutgoingMail, Record, Session, Token
from affiche.domain.ports import ChangeSet

RESET_TTL = timedelta(hours=1)
CHANGE_EMAIL_TTL = timedelta(hours=24)
# DynamoDB's TransactWriteItems takes at most 100 items.
MAX_WRITES = 100


# --- password reset -------------------------------------------------------------------------
def request_password_reset(ports: Ports, email: str) -> None:
    """Mail a reset link if an account uses `email`; behave the same when none does."""
    account = ports.repo.account_by_email(rules.email(email))
    if account is None:
        return
    _issue(ports, account, "reset", RESET_TTL,
           lambda secret: outgoing.mail(ports, account.email, "reset", {"token": secret},
                                        ttl=RESET_TTL))


def complete_password_reset(ports: Ports, secret: str, password: str) -> Account:
    """Set a new password from a reset link, and log the account out everywhere: whoever knew
    the old password may hold a session."""
    token = _valid_token(ports, secret, "reset")
    if token is None:
        raise NotFound("this password reset link is invalid, expired or already used; "
                       "ask for a new one")
    account = _token_account(ports, token)
    # Following the mailed link proves the address is theirs: an unconfirmed account is confirmed
    # with the new password, so whoever signed up with someone else's address keeps no access.
    updated = account.evolve(password_hash=ports.hasher.hash(rules.password(password)),
                             confirmed=True)
    changes = ChangeSet(deletes=[token]).put(
        updated, outgoing.mail(ports, account.email, "password_changed"))
    if not account.confirmed:
        accounts.record_confirmation(ports, updated, changes)
    stale = {"reset"} if account.confirmed else {"reset", "confirm"}
    spare_links = [t for t in ports.repo.tokens_of(account.id)
                   if t.purpose in stale and t.token_hash != token.token_hash]
    commit_with_deletes(ports, changes, [*spare_links, *ports.repo.sessions_of(account.id)])
    return updated


# --- changes made while logged in -----------------------------------------------------------
def check_password(ports: Ports, account: Account, password: str, field: str) -> None:
    """Sensitive changes ask for the password again, so a borrowed session is not enough."""
    if not ports.hasher.verify(account.password_hash, password):
        raise InvalidInput("the password is incorrect", field=field)


def change_password(ports: Ports, account: Account, *, current_password: str,
                    new_password: str, keep: Session | None = None) -> Account:
    """Change the password; every other session of the account is closed."""
    check_password(ports, account, current_password, "current_password")
    updated = account.evolve(password_hash=ports.hasher.hash(rules.password(new_password)))
    others = [s for s in ports.repo.sessions_of(account.id)
              if keep is None or s.token_hash != keep.token_hash]
    commit_with_deletes(ports, ChangeSet().put(
        updated, outgoing.mail(ports, account.email, "password_changed")), others)
    return updated


def request_email_change(ports: Ports, account: Account, *, current_password: str,
                         email: str) -> None:
    """Mail a confirmation link to the new address; nothing changes until it is followed."""
    check_password(ports, account, current_password, "current_password")
    email = rules.email(email)
    if email == account.email:
        raise InvalidInput("this is already the email address of your account", field="email")
    _ensure_free(ports, email)
    _issue(ports, account, "change_email", CHANGE_EMAIL_TTL,
           lambda secret: outgoing.mail(ports, email, "change_email",
                                        {"token": secret, "email": email},
                                        ttl=CHANGE_EMAIL_TTL), {"email": email})


def confirm_email_change(ports: Ports, account: Account, secret: str) -> Account:
    """Move the account to the address the link was sent to. The old address is released and
    the new one claimed in one transaction, so the address stays unique even under races."""
    token = _valid_token(ports, secret, "change_email")
    if token is None or token.account_id != account.id:
        raise NotFound("this email confirmation link is invalid, expired or already used; "
                       "change your email address again")
    email = token.payload["email"]
    _ensure_free(ports, email)
    updated = account.evolve(email=email)
    changes = ChangeSet(deletes=[token], releases=[f"email:{account.email}"],
                        claims={f"email:{email}": account.id}).put(updated)
    # Tell the old address, in case the change was not made by its owner.
    changes.put(outgoing.mail(ports, account.email, "email_changed"))
    ports.repo.commit(changes)
    return updated


def _ensure_free(ports: Ports, email: str) -> None:
    if ports.repo.claim_owner(f"email:{email}") is not None:
        raise Conflict("an account with this email already exists", field="email")


# --- confirmation link ----------------------------------------------------------------------
def resend_confirmation(ports: Ports, email: str) -> None:
    """Mail a new confirmation link to an unconfirmed account; do nothing otherwise, with no
    difference visible to the caller."""
    account = ports.repo.account_by_email(rules.email(email))
    if account is None or account.confirmed:
        return
    _issue(ports, account, "confirm", CONFIRM_TTL,
           lambda secret: outgoing.mail(ports, account.email, "confirm",
                                        {"token": secret, "name": account.default_profile or ""},
                                        ttl=CONFIRM_TTL))


# --- deletion -------------------------------------------------------------------------------
def delete_account(ports: Ports, account: Account, password: str) -> None:
    """Delete the account and everything personal; its profiles become deleted actors so the
    group content they wrote keeps an author. Refused while a profile is a group's last
    administrator (nothing is changed then)."""
    check_password(ports, account, password, "password")
    profiles = ports.repo.profiles_of(account.id)
    retirement.ensure_not_last_admins(ports, profiles)
    for profile in profiles:
        retirement.leave_everything(ports, profile)
    changes = ChangeSet(deletes=[account], releases=[f"email:{account.email}"])
    # Written with the deletion: the address is gone from the table once the outbox sent it.
    changes.put(outgoing.mail(ports, account.email, "account_deleted",
                              {"profiles": [profile.name for profile in profiles]}))
    for profile in profiles:
        absorb(changes, retirement.retired(ports, profile, published=account.confirmed))
    if account.confirmed:
        changes.counters["users"] = -1
    private: list[Record] = [*ports.repo.sessions_of(account.id),
                             *ports.repo.tokens_of(account.id)]
    commit_with_deletes(ports, changes, private)


# --- helpers --------------------------------------------------------------------------------
def _issue(ports: Ports, account: Account, purpose: str, ttl: timedelta,
           mail: Callable[[str], OutgoingMail], payload: dict[str, str] | None = None) -> None:
    """Store a new single-use token for `account` with the mail that carries its secret (`mail`
    builds it from the secret): one commit, sent afterwards by the outbox."""
    secret = rules.new_secret()
    ports.repo.commit(ChangeSet().put(Token(
        token_hash=rules.digest(secret), purpose=purpose, account_id=account.id,
        expires_at=ports.clock.now() + ttl, payload=payload or {}), mail(secret)))


def _token_account(ports: Ports, token: Token) -> Account:
    account = ports.repo.get(Account, token.account_id)
    if account is None:
        raise NotFound("this account no longer exists")
    return account


def absorb(changes: ChangeSet, other: ChangeSet) -> ChangeSet:
    """Add `other`'s writes to `changes`, to commit both in one transaction."""
    changes.puts.extend(other.puts)
    changes.deletes.extend(other.deletes)
    changes.claims.update(other.claims)
    changes.releases.extend(other.releases)
    changes.activities.extend(other.activities)
    changes.tallies.extend(other.tallies)
    for name, delta in other.counters.items():
        changes.counters[name] = changes.counters.get(name, 0) + delta
    return changes


def _size(changes: ChangeSet) -> int:
    return (len(changes.puts) + len(changes.deletes) + len(changes.claims)
            + len(changes.releases) + len(changes.activities) + len(changes.counters)
            + len(changes.tallies))


def commit_with_deletes(ports: Ports, changes: ChangeSet, doomed: Sequence[Record]) -> None:
    """Commit `changes` together with deleting `doomed` (sessions, tokens).

    The deletes are unconditional (version 0): one that expired and vanished meanwhile is not a
    conflict. What does not fit in one transaction is deleted first, in transactions of its
    own, so the main change is the last step and a failure leaves nothing half-done behind it."""
    unconditional = [record.evolve(version=0) for record in doomed]
    room = max(0, MAX_WRITES - _size(changes))
    overflow = unconditional[room:]
    for start in range(0, len(overflow), MAX_WRITES):
        ports.repo.commit(ChangeSet(deletes=overflow[start:start + MAX_WRITES]))
    changes.deletes.extend(unconditional[:room])
    ports.repo.commit(changes)
