"""Joining an event through the local runner: the time a join takes as a person sees it (HTTP
through the gateway), and the DynamoDB requests the API makes for one join (target ≤ 5: session,
account, profile, event, and the one transaction; DESIGN.md §7: request counts carry over to AWS,
moto's speed does not)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.publish import _login, counting_requests

RUNS = 20


def participation_figures() -> dict[str, Any]:
    from affiche.local.emulator import free_port
    from affiche.local.runner import start

    with tempfile.TemporaryDirectory(prefix="affiche-bench-") as folder:
        instance = start(free_port(), Path(folder), empty=True)
        instance.start_background()
        try:
            client = httpx.Client(base_url=instance.url, timeout=10)
            _login(client, instance)
            client.post("/api/groups", json={"name": "benchp", "display_name": "Bench"})
            created = client.post("/api/groups/benchp/events", json={
                "title": "Bench", "begins_on": "2031-01-01T10:00", "ends_on": "2031-01-01T12:00",
                "timezone": "Europe/Paris", "capacity": 100})
            created.raise_for_status()
            path = f"/api/events/{created.json()['uuid']}/participation"
            instance.wait_idle()
            samples = []
            for _ in range(RUNS):
                started = time.perf_counter()
                client.post(path, json={}).raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
                client.delete(path, headers={"Content-Type": "application/json"}).raise_for_status()
            with counting_requests() as counts:
                client.post(path, json={}).raise_for_status()
            instance.wait_idle()
        finally:
            instance.stop()
    dynamodb = sum(n for key, n in counts.items() if key.startswith("api.dynamodb."))
    return {"participation": {
        "join_p50_ms": round(statistics.median(samples), 1),
        "join_max_ms": round(max(samples), 1),
        "dynamodb_requests_per_join": dynamodb,
        "dynamodb_requests_per_join_by_operation": {k: n for k, n in sorted(counts.items())
                                                    if k.startswith("api.dynamodb.")},
    }}
