"""Mail caused by recorded activities, sent after the commit by the change stream's consumer.

DESIGN.md §9: "effects after the commit come from the stream". A request commits its entity and
Activity; the outbox consumer (functions/outbox/handler.py) then calls `notify(activity, ...)`,
which asks the rule modules (affiche/notify/rules/, one small module per kind of activity) which
mails the activity causes, and sends them:

- a `Mail` names a local profile (its account's address is looked up at send time, so a changed
  address is honoured) or, for anonymous participants, an address;
- the person's switches (`Account.mail_off`, affiche/domain/mail_preferences.py) silence a
  mail whose `preference` they turned off; suspended and unconfirmed accounts get nothing;
- each (activity, template, recipient) is claimed in a ledger before sending, so a retried batch
  never mails twice; a failing send releases its claim and raises, so the stream record is
  retried and, after the last attempt, parked in the failure queue.

A module that wants mails for its activities adds a rule module and templates, nothing else.
Account mails (confirmation, reset and invitation links...) are not caused by activities: the
request writes them as `OutgoingMail` items with its change, and `outgoing.send` mails them from
the stream through the same ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from affiche.domain.context import Mailer
from affiche.domain.model import Account, Activity, Actor


@dataclass(frozen=True)
class Mail:
    """One mail an activity causes. `recipient` is a local profile name; `email` is used
    instead when there is no account (anonymous participants)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    recipient: str | None = None
    email: str | None = None
    preference: str | None = None  # the switch that silences it (mail_preferences.PREFERENCES)


class Ledger(Protocol):
    def claim(self, key: str, recipient: str) -> bool: ...

    def release(self, key: str, recipient: str) -> None: ...


Rule = Callable[[Activity, Any], list[Mail]]  # (activity, repository) -> mails
RULES: dict[tuple[str, str], list[Rule]] = {}


def rule(activity_type: str, object_kind: str) -> Callable[[Rule], Rule]:
    """Register a rule for activities of this type about objects of this kind."""

    def register(func: Rule) -> Rule:
        RULES.setdefault((activity_type, object_kind), []).append(func)
        return func

    return register


def mails_for(activity: Activity, repo: Any) -> list[Mail]:
    from affiche.notify import rules as _rules  # registers the rule modules on first use

    _rules.load()
    found: list[Mail] = []
    for decide in RULES.get((activity.type, activity.object_kind), []):
        found += decide(activity, repo)
    return found


def notify(activity: Activity, *, repo: Any, mailer: Mailer, ledger: Ledger) -> int:
    """Send the mails `activity` causes; the number sent. Raises when a send fails."""
    return deliver(mails_for(activity, repo), key=activity.id, repo=repo, mailer=mailer,
                   ledger=ledger)


def deliver(mails: list[Mail], *, key: str, repo: Any, mailer: Mailer, ledger: Ledger) -> int:
    sent = 0
    for mail in mails:
        address = address_of(mail, repo)
        if address is None:
            continue
        claim = f"{key}#{mail.template}"
        if not ledger.claim(claim, address):
            continue  # sent by an earlier attempt of this batch
        try:
            mailer.send(address, mail.template, mail.context)
        except Exception:
            ledger.release(claim, address)  # so that the retry of this record sends it
            raise
        sent += 1
    return sent


def address_of(mail: Mail, repo: Any) -> str | None:
    """Where to send `mail`, or None when it must not be sent (remote, silenced, suspended)."""
    if mail.recipient is None:
        return mail.email
    person = repo.get(Actor, mail.recipient)
    if person is None or person.deleted or person.is_group or not person.account_id:
        return None  # remote people are told over ActivityPub, never by mail
    account = repo.get(Account, person.account_id)
    if account is None or account.suspended or not account.confirmed:
        return None
    if mail.preference and mail.preference in account.mail_off:
        return None
    return account.email
