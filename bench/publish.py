"""Publish latency through the local runner: API write -> stream -> outbox -> bucket -> gateway,
and how many AWS requests each side makes for one event (DESIGN.md §7: moto's speed is not AWS's,
so request counts are the figure that carries over)."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RUNS = 10


def _login(client: httpx.Client, instance: Any) -> None:
    email, password = instance.admin_login
    response = client.post("/api/session", json={"email": email, "password": password})
    response.raise_for_status()


@contextmanager
def counting_requests() -> Iterator[Counter[str]]:
    """Count AWS API calls by the thread kind making them: the outbox (stream poller and its
    upload threads) or the API (gateway request threads). pynamodb and boto3 both go through
    botocore's _make_api_call."""
    from botocore.client import BaseClient

    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        # The outbox uploads a page's files from its writer threads (publish/writers.py).
        name = threading.current_thread().name
        side = "outbox" if name == "stream-poller" or name.startswith("outbox-writer") else "api"
        if side == "outbox" or "process_request" in threading.current_thread().name:
            counts[f"{side}.{client.meta.service_model.service_name}.{operation}"] += 1
        return original(client, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def bench_group(folder: Path, port: int | None = None,
                timeout: float = 120) -> Iterator[tuple[Any, httpx.Client, str]]:
    """A local instance started empty in `folder` with its administrator logged in and a group
    @bench: (instance, client, the administrator's profile name). Stopped on exit."""
    from affiche.local.emulator import free_port
    from affiche.local.runner import start

    instance = start(port or free_port(), folder, empty=True)
    instance.start_background()
    try:
        client = httpx.Client(base_url=instance.url, timeout=timeout)
        _login(client, instance)
        client.post("/api/groups", json={"name": "bench", "display_name": "Bench"})
        instance.wait_idle()
        me = client.get("/api/me").json()
        yield instance, client, (me.get("profiles") or [{}])[0].get("name", "admin")
    finally:
        instance.stop()


def publish_latency() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="affiche-bench-") as folder, \
            bench_group(Path(folder), timeout=10) as (instance, client, _):
        samples = [_one(client, i) for i in range(RUNS)]
        with counting_requests() as counts:
            _create(client, RUNS)  # the API call alone: its requests are all made now
            instance.wait_idle()  # then everything the outbox does for it
    ordered = sorted(samples)
    return {"publish_latency_ms": round(statistics.median(samples), 1),
            "publish_latency_ms_p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "publish_latency_ms_max": round(max(samples), 1),
            "aws_requests_per_event_created": _summary(counts)}


def _summary(counts: Counter[str]) -> dict[str, Any]:
    """Totals per side (api, outbox) and per service, plus the detail by operation."""
    totals: Counter[str] = Counter()
    for key, n in counts.items():
        side, service, _ = key.split(".", 2)
        totals[f"{side}.{service}"] += n
    return {"totals": dict(sorted(totals.items())), "by_operation": dict(sorted(counts.items()))}


def _create(client: httpx.Client, i: int) -> httpx.Response:
    response = client.post("/api/groups/bench/events", json={
        "title": f"Bench event {i}", "begins_on": f"2031-01-{i + 1:02d}T10:00",
        "ends_on": f"2031-01-{i + 1:02d}T12:00", "timezone": "Europe/Paris"})
    response.raise_for_status()
    return response


def _one(client: httpx.Client, i: int) -> float:
    response = _create(client, i)
    started = time.perf_counter()
    path = f"/events/{response.json()['uuid']}/"
    while client.get(path).status_code != 200:
        if time.perf_counter() - started > 10:
            raise TimeoutError(f"{path} not published after 10 s")
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000
