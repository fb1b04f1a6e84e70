"""Account mails (confirmation and reset links, "your password changed"...) as writes, not sends.

A service puts `mail(...)` into the ChangeSet that stores the change the mail tells about, so both
are committed together or not at all; the outbox sends it from the change stream, with retries
and the failure queue (affiche/notify/outgoing.py). A refused send therefore never turns an
answered request into a 500 with the change already stored (DESIGN.md §9)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from affiche.domain import rules
from affiche.domain.context import Ports
from affiche.domain.model import OutgoingMail

# The stream keeps a record 24 hours; a mail not sent by then is not worth sending (its item, and
# the secret in it, then expire). A link's own shorter life caps it (`ttl`).
KEEP = timedelta(hours=24)


def mail(ports: Ports, to: str, template: str, context: dict[str, Any] | None = None, *,
         ttl: timedelta = KEEP) -> OutgoingMail:
    now = ports.clock.now()
    return OutgoingMail(id=rules.new_id(), to=to, template=template, context=dict(context or {}),
                        created_at=now, expires_at=now + min(ttl, KEEP))
