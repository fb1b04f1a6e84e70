"""Sending the account mails a request wrote as `OutgoingMail` items (affiche/domain/outgoing.py).

The outbox hands each inserted item here from the change stream. The mail goes through the same
ledger as the activity mails (claimed per item and address, so a retried record or a replay
mails nobody twice); then the item is deleted, so the plain secret of a link leaves the table as
soon as the mail is on its way. A refused send raises: the stream retries the record and, after
its last attempt, parks it in the failure queue, whose replay re-reads the item (still there,
until its TTL) and sends it then. Nothing here logs the mail's context (it holds the secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from affiche.domain.context import Mailer
from affiche.domain.model import OutgoingMail
from affiche.domain.ports import ChangeSet
from affiche.notify import Ledger, Mail, deliver


def send(mail: OutgoingMail, *, repo: Any, mailer: Mailer, ledger: Ledger, now: datetime) -> int:
    """Send `mail` unless it was sent already or has expired, then forget it; the number sent."""
    sent = 0
    if mail.expires_at > now:
        sent = deliver([Mail(mail.template, mail.context, email=mail.to)],
                       key=f"outgoing:{mail.id}", repo=repo, mailer=mailer, ledger=ledger)
    # Unconditional (version 0): an item already deleted by an earlier attempt is no conflict.
    repo.commit(ChangeSet(deletes=[mail.evolve(version=0)]))
    return sent

