"""Optimistic concurrency: run a read-modify-write again when a concurrent write won the race.

Every entity write is conditional on the version read (ChangeSet); a lost race raises Conflict.
Re-running from the read applies this change on top of the other one, so both survive. Each
round lets at least one contender through, so ten rounds with jittered back-off absorb a burst of
simultaneous writes to one item (tests/local/test_concurrency.py) without turning them into 409s.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from affiche.domain.errors import Conflict

T = TypeVar("T")
ATTEMPTS = 10


def back_off(attempt: int) -> None:
    """Sleep a random while that grows with the attempt, so racing writers spread out."""
    time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.2)))  # jitter, not a secret


def optimistically(read_modify_write: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """The result of `read_modify_write`, re-run after each Conflict; the last Conflict escapes."""
    for attempt in range(attempts - 1):
        try:
            return read_modify_write()
        except Conflict:
            back_off(attempt)
    return read_modify_write()
