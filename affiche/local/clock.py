"""The local runner's stand-in for the EventBridge schedule of functions/outbox/clock.py: the
same event-less invocation AWS makes, once every CLOCK_MINUTES.

It wakes every few seconds only to look at the time, and reports itself idle except while a
run is under way, so the runner's `wait_idle` waits for that run only, never for the next look."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from affiche.local.pollers import Poller, RunFlag
from affiche.publish.sweep import CLOCK_MINUTES

TICK = 5.0  # seconds between looks at the time


class ClockPoller(Poller):
    def __init__(self, handler: Callable[[dict[str, Any], Any], Any],
                 period: float = CLOCK_MINUTES * 60.0) -> None:
        super().__init__("clock", TICK)
        self.handler = handler
        self.period = period
        self.next_run = time.monotonic()  # once at start: catch up after downtime
        self.run_flag = RunFlag()
        self.idle = self.run_flag

    def poll_once(self) -> bool:
        if time.monotonic() >= self.next_run:
            self.next_run = time.monotonic() + self.period
            with self.run_flag.running():
                self.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)
        return False
