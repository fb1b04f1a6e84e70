"""The local runner's stand-in for an EventBridge schedule (the day-before reminders)."""

from __future__ import annotations

import threading
from typing import Any

from affiche.local.pollers import SchedulePoller


def test_the_job_runs_at_start_then_once_per_interval_and_never_looks_busy() -> None:
    runs: list[dict[str, Any]] = []
    ran = threading.Event()

    def job(event: dict[str, Any], context: Any) -> dict[str, Any]:
        runs.append(event)
        ran.set()
        return {"sent": 0}

    poller = SchedulePoller("reminders", job, interval=3600)
    poller.start()
    try:
        assert ran.wait(5)
        # Between runs nothing is pending: a runner waiting for idle pollers is not held up
        poller.idle.clear()
        assert poller.idle.is_set()
        assert len(runs) == 1 and runs[0]["detail-type"] == "Scheduled Event"
    finally:
        poller.stop()
        poller.join(timeout=5)
    assert not poller.is_alive()
