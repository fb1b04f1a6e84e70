"""The account mails written and not sent yet (kind outgoing_mail, keys.py): normally none for
longer than the stream takes to reach them; tests and a stalled stream's operators list them."""

from __future__ import annotations

from affiche.domain.model import OutgoingMail
from affiche.store.repository import from_item
from affiche.store.table import bind


def pending() -> list[OutgoingMail]:
    """Oldest first."""
    found = [from_item(item) for item in bind().gsi1.query("OUTGOING_MAIL")]
    return [mail for mail in found if isinstance(mail, OutgoingMail)]
