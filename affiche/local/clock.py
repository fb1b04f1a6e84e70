"""The local runner's stand-in for the EventBridge schedule of functions/outbox/clock.py: one
call every CLOCK_MINUTES, the same event-less invocation AWS makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from affiche.local.pollers import Poller
from affiche.publish.sweep import CLOCK_MINUTES


class ClockPoller(Poller):
    def __init__(self, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        super().__init__("clock", CLOCK_MINUTES * 60.0)
        self.handler = handler

    def poll_once(self) -> bool:
        self.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)
        return False  # then wait a whole interval
