"""Cost as the instance grows (issue 8 item 11): the same figures at ~100 and ~2,000 public events,
measured in one run through the local runner (`affiche dev` in-process).

- publish_latency_ms: API answer of an event creation -> its page served by the gateway (p50, p95),
  each creation made once the instance has settled (what one change costs);
  publish_back_to_back_ms the same for creations one right after another's page is served, so
  each also waits for the rest of the previous publish (its listings' uploads).
- publish_dynamodb_requests: DynamoDB requests the outbox makes to publish one new event.
- member_home_ms: `/app/` for a member of the group holding the events (median).
- full_build_pages_per_s beside render_pages_per_s: the full build (store read, render, write) and
  the renderer alone on the same artifacts, from a store already in memory.
- runner_restart_s: `affiche dev` start with the data folder of the instance (import, the site
  saved at stop put back in the bucket, or a full build when in doubt), then the first poll; on
  the same port, as `make run` restarts (the public URL is in every page: another one rebuilds).
- idle_cpu_percent, idle_rss_growth_mb_per_min: the restarted instance left alone for IDLE_S
  seconds: CPU time of the whole process (runner, emulator, pollers) as a percentage of one
  core, and the slope of its resident memory (least squares over one sample a second).

The events are written straight into the table (not through the API: 2,000 API creations would
each be published one by one and take minutes) with their tag and month index rows; they are
spread over two years and a few tags, all in the one group the measured changes go to (its page
is the one that grows)."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid as uuids
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.publish import bench_group, counting_requests

SIZES = (100, 2000)
RUNS = 10
HOME_RUNS = 3
IDLE_S = 30
TAGS = ("music", "film", "walk", "talk", "food")


def _seed_events(count: int, group: str, organizer: str) -> None:
    from affiche.domain.model import Event
    from affiche.store.repository import to_item
    from affiche.store.table import bind

    model = bind()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    with model.batch_write() as batch:
        for i in range(count):
            begins = start + timedelta(hours=9 * i % (24 * 700))
            event = Event(uuid=str(uuids.uuid4()), group=group, organizer=organizer,
                          title=f"Seeded event {i}", begins_on=begins,
                          ends_on=begins + timedelta(hours=2), timezone="Europe/Paris",
                          created_at=start, updated_at=start,
                          description_html=f"<p>Seeded event number {i}.</p>",
                          tags=[TAGS[i % len(TAGS)]])
            batch.save(to_item(event))
    # Their tag and month index rows, as publishing each would have written them (a full
    # build's repair writes the same): pages then read an index of the real size.
    from affiche.publish import indexes
    from affiche.publish.snapshot import SnapshotStore

    indexes.write(indexes.repairs(SnapshotStore.load()))


def _create(client: httpx.Client, i: int) -> httpx.Response:
    response = client.post("/api/groups/bench/events", json={
        "title": f"Bench event {i}", "begins_on": f"2027-0{1 + i % 9}-{1 + i % 28:02d}T10:00",
        "ends_on": f"2027-0{1 + i % 9}-{1 + i % 28:02d}T12:00", "timezone": "Europe/Paris",
        "tags": ["music"]})
    response.raise_for_status()
    return response


def _published_ms(client: httpx.Client, i: int) -> float:
    response = _create(client, i)
    started = time.perf_counter()
    path = f"/events/{response.json()['uuid']}/"
    while client.get(path).status_code != 200:
        if time.perf_counter() - started > 120:
            raise TimeoutError(f"{path} not published after 120 s")
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _build_figures() -> dict[str, float]:
    from affiche.build import build
    from affiche.config import get_settings
    from affiche.publish import artifacts
    from affiche.publish.renderer import Renderer
    from affiche.publish.snapshot import SnapshotStore

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="affiche-bench-build-") as folder:
        started = time.perf_counter()
        build(Path(folder), now=now)
        build_s = time.perf_counter() - started
    store = SnapshotStore.load()
    planned = artifacts.everything(store)
    started = time.perf_counter()
    rendered = artifacts.render(Renderer(get_settings(), store, now), planned)
    render_s = time.perf_counter() - started
    pages = len(rendered.files)
    return {"pages": pages, "full_build_s": round(build_s, 2),
            "full_build_pages_per_s": round(pages / build_s, 1),
            "render_pages_per_s": round(pages / render_s, 1)}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _idle_figures(seconds: float = IDLE_S) -> dict[str, float]:
    """CPU and memory of this process while the instance in it does nothing."""
    samples: list[tuple[float, float]] = []
    started, cpu = time.monotonic(), time.process_time()
    while (elapsed := time.monotonic() - started) < seconds:
        samples.append((elapsed, _rss_mb()))
        time.sleep(1.0)
    cpu_s, elapsed = time.process_time() - cpu, time.monotonic() - started
    times, sizes = [t for t, _ in samples], [r for _, r in samples]
    mean_t, mean_r = statistics.fmean(times), statistics.fmean(sizes)
    slope = (sum((t - mean_t) * (r - mean_r) for t, r in samples)
             / sum((t - mean_t) ** 2 for t in times))  # MB per second
    return {"idle_cpu_percent": round(100 * cpu_s / elapsed, 2),
            "idle_rss_mb": round(sizes[-1], 1),
            "idle_rss_growth_mb_per_min": round(slope * 60, 2)}


def one_size(count: int) -> dict[str, Any]:
    from affiche.local.emulator import free_port
    from affiche.local.runner import start

    figures: dict[str, Any] = {}
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="affiche-bench-") as folder:
        with bench_group(Path(folder), port) as (instance, client, organizer):
            _seed_events(count, "bench", organizer)
            instance.wait_idle()
            _create(client, 999)  # re-renders the group page and listings once at this size
            instance.wait_idle(60)
            # Each change on a settled instance: the latency of one publish. Then the same
            # changes back to back, each waiting for the previous ones' uploads: throughput.
            samples = []
            for i in range(RUNS):
                instance.wait_idle(60)
                samples.append(_published_ms(client, i))
            instance.wait_idle(60)
            with counting_requests() as counts:
                _create(client, RUNS)
                instance.wait_idle(60)
            burst = [_published_ms(client, RUNS + 1 + i) for i in range(RUNS)]
            instance.wait_idle(60)
            home = []
            for _ in range(HOME_RUNS):
                started = time.perf_counter()
                client.get("/app/").raise_for_status()
                home.append((time.perf_counter() - started) * 1000)
            figures.update(_build_figures())
            # The seeded events went straight into the table, so the outbox never published
            # them: publish the whole site as it would be at this size, or the restart below
            # would restore a site without them.
            assert instance.site is not None
            instance.site.build()
        started = time.perf_counter()
        again = start(port, Path(folder))
        again.start_background()
        try:
            again.wait_idle(120)
            figures["runner_restart_s"] = round(time.perf_counter() - started, 2)
            again.wait_idle(60)
            figures.update(_idle_figures())
        finally:
            again.stop()
    outbox_ddb = {k: v for k, v in counts.items() if k.startswith("outbox.dynamodb.")}
    figures.update({
        "events": count,
        "publish_latency_ms": {"p50": _percentile(samples, 0.5), "p95": _percentile(samples, 0.95)},
        "publish_back_to_back_ms": {"p50": _percentile(burst, 0.5),
                                    "p95": _percentile(burst, 0.95)},
        "publish_dynamodb_requests": sum(outbox_ddb.values()),
        "publish_dynamodb_requests_by_operation": dict(sorted(outbox_ddb.items())),
        "publish_s3_puts": counts.get("outbox.s3.PutObject", 0),
        "member_home_ms": round(statistics.median(home), 1),
    })
    return figures


def scale() -> dict[str, Any]:
    small, large = (one_size(n) for n in SIZES)
    ratio = {
        "publish_latency_p50": round(large["publish_latency_ms"]["p50"]
                                     / small["publish_latency_ms"]["p50"], 2),
        "member_home": round(large["member_home_ms"] / small["member_home_ms"], 2),
        "full_build_vs_render": round(large["full_build_pages_per_s"]
                                      / large["render_pages_per_s"], 2),
    }
    return {"scale": {"small": small, "large": large, "ratios": ratio}}


if __name__ == "__main__":
    import json
    import sys

    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    for n in sizes:
        print(json.dumps({n: one_size(n)}, indent=2), file=sys.stderr, flush=True)
