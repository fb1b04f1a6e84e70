"""Which notification mails were sent: one item per (activity or job key, recipient).

The change stream and the scheduler deliver at least once (DESIGN.md principle 5): a retried
batch must not mail anyone twice. `claim` is a conditional put that only one attempt wins; when
the send then fails, `release` removes the claim so the retry sends it. Items expire after 30
days (moto never runs TTL, but nobody reads an old claim again: keys are activity ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from hashlib import sha256

from pynamodb.exceptions import PutError

from affiche.store.table import bind

KEEP = timedelta(days=30)


def _pk(key: str, recipient: str) -> str:
    # The recipient is an email address: stored as a digest, like the rate limit subjects.
    return f"MAILED#{key}#{sha256(recipient.strip().lower().encode()).hexdigest()}"


class MailLedger:
    """The Ledger port of affiche/notify over the single table."""

    def claim(self, key: str, recipient: str) -> bool:
        """True when this call is the first to claim (key, recipient); False if already sent."""
        model = bind()
        item = model(_pk(key, recipient), "A", kind="mail_sent",
                     expires=datetime.now(UTC) + KEEP)
        try:
            item.save(condition=model.pk.does_not_exist(), add_version_condition=False)
        except PutError as error:
            if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, key: str, recipient: str) -> None:
        model = bind()
        model(_pk(key, recipient), "A").delete(add_version_condition=False)
