"""Reminders: run by an EventBridge schedule (infra/template.yaml ReminderFunction) and by the
local runner's ReminderPoller; mails the day-before reminders that are due (affiche/notify)."""

from __future__ import annotations

from typing import Any

from affiche.domain.ports import SystemClock
from affiche.mail import mailer
from affiche.notify.reminders import remind
from affiche.observe import observed
from affiche.store.mail_ledger import MailLedger
from affiche.store.repository import DynamoRepository


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sent = remind(repo=DynamoRepository(), mailer=mailer(), ledger=MailLedger(),
                  now=SystemClock().now())
    return {"sent": sent}
