"""Publish latency through the local runner: API write -> stream -> outbox -> bucket -> gateway."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

RUNS = 10


def _login(client: httpx.Client, instance: Any) -> None:
    email, password = instance.admin_login
    response = client.post("/api/session", json={"email": email, "password": password})
    response.raise_for_status()


def publish_latency() -> dict[str, Any]:
    from affiche.local.emulator import free_port
    from affiche.local.runner import start

    with tempfile.TemporaryDirectory(prefix="affiche-bench-") as folder:
        instance = start(free_port(), Path(folder), empty=True)
        instance.start_background()
        try:
            client = httpx.Client(base_url=instance.url, timeout=10)
            _login(client, instance)
            client.post("/api/groups", json={"name": "bench", "display_name": "Bench"})
            instance.wait_idle()
            samples = [_one(client, i) for i in range(RUNS)]
        finally:
            instance.stop()
    ordered = sorted(samples)
    return {"publish_latency_ms": round(statistics.median(samples), 1),
            "publish_latency_ms_p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "publish_latency_ms_max": round(max(samples), 1)}


def _one(client: httpx.Client, i: int) -> float:
    response = client.post("/api/groups/bench/events", json={
        "title": f"Bench event {i}", "begins_on": f"2031-01-{i + 1:02d}T10:00",
        "ends_on": f"2031-01-{i + 1:02d}T12:00", "timezone": "Europe/Paris"})
    response.raise_for_status()
    started = time.perf_counter()
    path = f"/events/{response.json()['uuid']}/"
    while client.get(path).status_code != 200:
        if time.perf_counter() - started > 10:
            raise TimeoutError(f"{path} not published after 10 s")
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000
