"""The day-before reminder: a scheduled job (functions/reminders/handler.py, every 15 minutes
in AWS; the local runner's ReminderPoller) mails each participant of an event that begins in
the next 24 hours, once.

"Once" is the mail ledger's business: every run looks at the same window again, and the claim
keyed on `reminder:{uuid}` + recipient lets only the first run send. Events of every visibility
are read from the instance's index by start time (drafts are never in it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from affiche.domain.context import Mailer
from affiche.notify import Ledger, deliver
from affiche.notify.rules.common import event_context, to_participants

AHEAD = timedelta(hours=24)
LISTING_LIMIT = 200


def remind(*, repo: Any, mailer: Mailer, ledger: Ledger, now: datetime) -> int:
    """Send the reminders due at `now`; the number of mails sent."""
    sent = 0
    for event in repo.events_beginning_between(now, now + AHEAD, LISTING_LIMIT):
        if event.deleted or event.status == "cancelled" or event.begins_on < now:
            continue
        mails = to_participants(repo, event.uuid, "event_reminder", event_context(event),
                                "event_reminder")
        sent += deliver(mails, key=f"reminder:{event.uuid}", repo=repo, mailer=mailer,
                        ledger=ledger)
    return sent
