"""Run every benchmark and write bench/results.json.

- cold_import_ms.<function>: median over 5 fresh interpreter processes of the time to import the
  function's handler module (what a Lambda cold start pays before the first event). Target ≤ 250 ms.
- publish_latency_ms: in a local instance (`affiche dev` in-process), the time from the API answer
  of an event creation to the event page being served by the gateway. Target ≤ 500 ms. Median of
  10, with p90 and max; also the DynamoDB requests the outbox made per publish.
- participation.join_p50_ms and participation.dynamodb_requests_per_join: joining an event through
  the gateway (median of 20), and the API's DynamoDB requests for one join. Target ≤ 5 requests.
- scale (bench/scale.py, issue 8): at ~100 and ~2,000 public events, publish_latency_ms p50/p95
  (p50 ≤ 300 ms, ratio ≤ 1.5), publish_dynamodb_requests per change (≤ 10 and equal),
  member_home_ms (ratio ≤ 1.5), full_build_pages_per_s beside render_pages_per_s (ratio ≥ 0.3),
  runner_restart_s with nothing changed (≤ 5 s), and the restarted runner left idle:
  idle_cpu_percent of one core (< 1) and idle_rss_growth_mb_per_min (flat: < 0.5).
- federation transport (bench/federation.py): inbox_cpu_ms_per_activity (≤ 1 ms, beside the bare
  rsa_verify_ms), inbox_dynamodb_requests (≤ 3 with a cached key), delivery_fanout_s (≤ 3 s for
  1,000 followers on 200 inboxes) with delivery_requests (must be 200).
- load (bench/load.py): 50 people for 60 s of mixed reads, sign-ups, joins and comments through
  the gateway of an `affiche dev` subprocess: load.rps, load.p50_ms, load.p95_ms, load.errors
  (must be 0: no 5xx, no failed connection or timeout), load.join_conflicts (joins refused with
  409 while others joined at once) and load.lost_writes (must be 0: the counts add up).
  `python -m bench load` (or `scale`) runs that part alone and updates only its key.
- cost_per_month_usd (bench/cost.py): a small group and a busy instance priced from the figures
  above and bench/prices.json; `python -m bench.cost` recomputes it alone.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.cost import cost_per_month_usd
from bench.federation import federation
from bench.load import load_figures
from bench.participation import participation_figures
from bench.publish import publish_latency
from bench.scale import scale

FUNCTIONS = ("api", "inbox", "outbox", "webfinger", "moderation")
RESULTS = Path(__file__).resolve().parent / "results.json"
ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import time; t = time.perf_counter(); import {module}; "
    "print((time.perf_counter() - t) * 1000)"
)


def cold_import_ms(name: str, runs: int = 5) -> float:
    module = name if name == "boto3" else f"functions.{name}.handler"
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return round(statistics.median(times), 1)


def cold_imports() -> dict[str, Any]:
    """Each handler's import, and a bare `import boto3` in the same run: the ratio is what
    compares across machines (issue 11 asks api ≤ 1.6× boto3)."""
    times = {name: cold_import_ms(name) for name in (*FUNCTIONS, "boto3")}
    return {"cold_import_ms": times,
            "cold_import_api_to_boto3": round(times["api"] / times["boto3"], 2)}


def main() -> int:
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        **cold_imports(),
        "targets": {"cold_import_ms": 250, "publish_latency_ms": 500,
                    "participation.dynamodb_requests_per_join": 5,
                    "inbox_cpu_ms_per_activity": 1, "inbox_dynamodb_requests": 3,
                    "delivery_fanout_s": 3, "delivery_requests": 200,
                    "load.errors": 0, "load.lost_writes": 0,
                    "cold_import_api_to_boto3": 1.6,
                    "scale.publish_latency_ms.p50": 300, "scale.ratios.publish_latency_p50": 1.5,
                    "scale.publish_dynamodb_requests": 10, "scale.ratios.member_home": 1.5,
                    "scale.ratios.full_build_vs_render": 0.3, "scale.runner_restart_s": 5,
                    "scale.idle_cpu_percent": 1, "scale.idle_rss_growth_mb_per_min": 0.5},
    }
    results.update(federation())  # in-process moto first: the runner leaves its endpoint set
    results.update(publish_latency())
    results.update(participation_figures())
    results.update(load_figures())
    results.update(scale())
    results["cost_per_month_usd"] = cost_per_month_usd(results)  # from the figures above
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def main_part(name: str) -> int:
    """`python -m bench load` or `python -m bench scale`: run only that part and update its key
    in results.json."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(PARTS[name]())
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results[name], indent=2, sort_keys=True))
    return 0


PARTS = {"load": load_figures, "scale": scale}


if __name__ == "__main__":
    sys.exit(main_part(sys.argv[1]) if sys.argv[1:2] and sys.argv[1] in PARTS else main())
