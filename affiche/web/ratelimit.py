"""Abuse limits: fixed-window counters in the table, one per (action, subject, window).

Each hit is one atomic ADD; the item carries a TTL so DynamoDB removes old windows (moto never
does, but a window's key changes with time, so stale counters are simply never read again).
Over the limit -> RateLimited with the seconds left in the window (sent as Retry-After).
Subjects (addresses, emails) are stored as SHA-256 digests: a counter must not keep an email
address after its account is deleted, and the digest counts the same."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256

from affiche.domain.errors import RateLimited
from affiche.store.table import Counter, bind


@dataclass(frozen=True)
class Limit:
    action: str
    max_hits: int
    window_seconds: int


# Per address (the client IP) and per account or email: generous for people, tight for scripts.
SIGNUP_PER_ADDRESS = Limit("signup", 10, 3600)
# Logins from one address without a device cookie, whatever the accounts; failures per account
# are slowed down, not locked, by login_throttle.py.
LOGIN_PER_ADDRESS = Limit("login", 30, 900)
RESET_PER_ADDRESS = Limit("reset", 10, 3600)
RESET_PER_EMAIL = Limit("reset-email", 3, 3600)
INVITE_PER_ACCOUNT = Limit("invite", 50, 3600)
INVITE_PER_ADDRESS = Limit("invite-address", 100, 3600)
# Re-entering the current password (change password or email, delete account) from a session:
# a stolen session must not become a password-guessing oracle.
PASSWORD_PER_ACCOUNT = Limit("password-check", 10, 900)
# Comments, per acting profile (or remote actor): a conversation, not a flood.
COMMENT_PER_ACTOR = Limit("comment", 20, 600)
# Limits the domain applies itself through the Ports.limiter port, by action name.
DOMAIN_LIMITS = {COMMENT_PER_ACTOR.action: COMMENT_PER_ACTOR}
# Adding a link makes this server fetch a stranger's page: a member's pace, not a crawler's.
LINK_PER_ACTOR = Limit("resource-link", 60, 3600)
DOMAIN_LIMITS[LINK_PER_ACTOR.action] = LINK_PER_ACTOR
# Reports, per reporting profile, remote actor or visitor's address.
REPORT_PER_REPORTER = Limit("report", 10, 3600)
DOMAIN_LIMITS[REPORT_PER_REPORTER.action] = REPORT_PER_REPORTER


def subject_digest(subject: str) -> str:
    """The key a subject is counted under: case and surrounding spaces do not make a new one."""
    return sha256(subject.strip().lower().encode()).hexdigest()


def hit(limit: Limit, subject: str, now: float | None = None) -> None:
    """Count one attempt of `limit.action` by `subject`; raise RateLimited past the limit."""
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    bind()
    counter = Counter(f"RATE#{limit.action}#{subject_digest(subject)}", f"W#{window}")
    ends = (window + 1) * limit.window_seconds
    counter.update(actions=[Counter.total.add(1),
                            Counter.expires.set(datetime.fromtimestamp(ends, UTC))])
    if int(counter.total) > limit.max_hits:
        retry_after = max(1, int(ends - now))
        raise RateLimited(f"too many attempts; try again in {retry_after} seconds",
                          retry_after=retry_after)


class TableLimiter:
    """The domain's RateLimiter port over `hit`: use cases name an action of DOMAIN_LIMITS."""

    def hit(self, action: str, subject: str) -> None:
        hit(DOMAIN_LIMITS[action], subject)
