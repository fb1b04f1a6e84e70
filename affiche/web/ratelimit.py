"""Abuse limits: fixed-window counters in the table, one per (action, subject, window).

Each hit is one atomic ADD; the item carries a TTL so DynamoDB removes old windows (moto never
does, but a window's key changes with time, so stale counters are simply never read again).
Over the limit -> RateLimited with the seconds left in the window (sent as Retry-After)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from affiche.domain.errors import RateLimited
from affiche.store.table import Counter, bind


@dataclass(frozen=True)
class Limit:
    action: str
    max_hits: int
    window_seconds: int


# Per address (the client IP) and per account or email: generous for people, tight for scripts.
SIGNUP_PER_ADDRESS = Limit("signup", 10, 3600)
LOGIN_PER_ADDRESS = Limit("login", 30, 900)
LOGIN_PER_EMAIL = Limit("login-email", 10, 900)
RESET_PER_ADDRESS = Limit("reset", 10, 3600)
RESET_PER_EMAIL = Limit("reset-email", 3, 3600)
INVITE_PER_ACCOUNT = Limit("invite", 50, 3600)
INVITE_PER_ADDRESS = Limit("invite-address", 100, 3600)


def hit(limit: Limit, subject: str, now: float | None = None) -> None:
    """Count one attempt of `limit.action` by `subject`; raise RateLimited past the limit."""
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    bind()
    counter = Counter(f"RATE#{limit.action}#{subject.lower()}", f"W#{window}")
    ends = (window + 1) * limit.window_seconds
    counter.update(actions=[Counter.count.add(1),
                            Counter.expires.set(datetime.fromtimestamp(ends, UTC))])
    if int(counter.count) > limit.max_hits:
        retry_after = max(1, int(ends - now))
        raise RateLimited(f"too many attempts; try again in {retry_after} seconds",
                          retry_after=retry_after)
