"""The group dashboard (/app/groups/{name}/) as the group's events grow (issue 8 item 10): its
time and the DynamoDB items its queries go through, at ~100 and ~2,000 events of the group, half
of them past (spread over years) and half upcoming, through the local runner (`affiche dev`).

    .venv/bin/python -m bench.dashboard [count ...]

The events are written straight into the table, as bench/scale.py does."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid as uuids
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.publish import bench_group

SIZES = (100, 2000)
RUNS = 7


def _seed(count: int, group: str, organizer: str) -> None:
    from affiche.domain.model import Event
    from affiche.store.repository import to_item
    from affiche.store.table import bind

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with bind().batch_write() as batch:
        for i in range(count):
            # Even ones in the past (one every two days backwards), odd ones upcoming.
            begins = now + timedelta(days=1 + i) if i % 2 else now - timedelta(days=2 + 2 * i)
            batch.save(to_item(Event(
                uuid=str(uuids.uuid4()), group=group, organizer=organizer,
                title=f"Seeded event {i}", begins_on=begins, ends_on=begins + timedelta(hours=2),
                timezone="UTC", created_at=now, updated_at=now)))


def _items_queried() -> tuple[Counter[str], Any]:
    from botocore.client import BaseClient

    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        answer = original(self, operation, params)
        if operation == "Query":
            counts[params.get("IndexName", "table")] += int(answer.get("ScannedCount", 0))
        counts[f"requests.{operation}"] += 1
        return answer

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    return counts, original


def one_size(count: int) -> dict[str, Any]:
    from botocore.client import BaseClient

    with tempfile.TemporaryDirectory(prefix="affiche-bench-") as folder, \
            bench_group(Path(folder)) as (instance, client, organizer):
        _seed(count, "bench", organizer)
        instance.wait_idle(60)
        client.get("/app/groups/bench/").raise_for_status()  # warm
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            client.get("/app/groups/bench/").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
        counts, original = _items_queried()
        try:
            client.get("/app/groups/bench/").raise_for_status()
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]
    return {"events": count, "dashboard_ms_median": round(statistics.median(samples), 1),
            "dashboard_ms_min": round(min(samples), 1),
            "queried_items": dict(sorted(counts.items()))}


if __name__ == "__main__":
    import json
    import sys

    for n in [int(a) for a in sys.argv[1:]] or list(SIZES):
        print(json.dumps(one_size(n)), flush=True)
