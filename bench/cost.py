"""What an instance costs on AWS per month, from the request counts the benchmarks measure.

`cost_per_month_usd` in bench/results.json: for a reference small group and a busy instance, the
month's usage (requests, GB-seconds, GB) is built from measured figures (DynamoDB requests per
event created and per join, S3 writes per publish, inbox requests per activity, delivery time
per inbox, cold import times) and the activity of the reference instance, then priced with
bench/prices.json (AWS list prices, dated). Two totals: `with_free_tier` (the always-free tiers
and, flagged, the 12-month ones of a new account) and `without_free_tier`.

`python -m bench.cost` recomputes it from the results already in bench/results.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRICES = HERE / "prices.json"
RESULTS = HERE / "results.json"

# The reference instances (issue 11): activity per month. Besides the three given figures
# (follower servers, events, page views), the others are stated assumptions.
PROFILES: dict[str, dict[str, float]] = {
    "small_group": {
        "follower_servers": 120, "events": 30, "page_views": 20_000,
        "joins": 150, "inbound_activities": 600, "mails": 400, "posts": 4,
        "site_gb": 0.3, "table_gb": 0.05, "cold_share": 0.6,
    },
    "busy_instance": {
        "follower_servers": 3_000, "events": 600, "page_views": 2_000_000,
        "joins": 6_000, "inbound_activities": 60_000, "mails": 20_000, "posts": 120,
        "site_gb": 5, "table_gb": 2, "cold_share": 0.05,
    },
}
ASSUMED = {
    "requests_per_page_view": 3,  # the HTML and two cached assets
    "kb_per_request": 25,
    "cache_hit_ratio": 0.9,  # misses are S3 GETs
    "rru_per_query": 2, "wru_per_transaction": 6, "wru_per_put": 2,
    "memory_gb": 0.5,  # MemorySize 512 in the template
    "inbox_ms": 60, "scheduled_ms": 200, "scheduled_runs": 2 * 4 * 24 * 30,
    "sqs_idle_poll_requests": 5 * 3 * 60 * 24 * 30,  # the delivery queue's event source
    "log_kb_per_invocation": 1.5, "alarm_metrics": 6,
}


def invalidated(paths: int) -> int:
    from affiche.publish.cdn import WILDCARD_FROM

    return paths if paths < WILDCARD_FROM else 1


def usage(profile: dict[str, float], measured: dict[str, Any]) -> dict[str, float]:
    """The month's usage of each priced unit, from measured figures and the profile."""
    ops = measured["aws_requests_per_event_created"]["by_operation"]
    reads_per_event = sum(n for k, n in ops.items() if k.endswith(".dynamodb.GetItem")) + \
        ASSUMED["rru_per_query"] * sum(n for k, n in ops.items() if k.endswith("dynamodb.Query"))
    writes_per_event = ASSUMED["wru_per_transaction"] * sum(
        n for k, n in ops.items() if k.endswith("TransactWriteItems"))
    puts_per_event = sum(n for k, n in ops.items() if k.endswith("s3.PutObject"))
    join = measured["participation"]["dynamodb_requests_per_join_by_operation"]
    join_reads = sum(n for k, n in join.items() if k.endswith("GetItem"))
    join_writes = ASSUMED["wru_per_transaction"] * sum(
        n for k, n in join.items() if k.endswith("TransactWriteItems"))
    inbound_reads = measured["inbox_dynamodb_requests_by_operation"].get("dynamodb.GetItem", 0)
    inbound_writes = ASSUMED["wru_per_put"] * measured[
        "inbox_dynamodb_requests_by_operation"].get("dynamodb.PutItem", 0)
    per_inbox_s = measured["delivery_fanout_s"] / measured["delivery_inboxes"]
    publishes = profile["events"] + profile["posts"]
    deliveries = publishes * profile["follower_servers"]
    requests = profile["page_views"] * ASSUMED["requests_per_page_view"]
    api_calls = profile["joins"] + publishes * 5 + profile["page_views"] * 0.01  # forms, logins
    invocations = (api_calls + profile["inbound_activities"] + publishes + profile["joins"]
                   + deliveries / 10 + ASSUMED["scheduled_runs"])
    cold = measured["cold_import_ms"]
    cold_s = profile["cold_share"] * (
        api_calls * cold["api"] + profile["inbound_activities"] * cold["inbox"]
        + (publishes + profile["joins"] + deliveries / 10) * cold["outbox"]) / 1000
    seconds = (api_calls * measured["participation"]["join_p50_ms"] / 1000
               + publishes * measured["publish_latency_ms"] / 1000
               + profile["joins"] * measured["publish_latency_ms"] / 1000 / 3
               + deliveries * per_inbox_s
               + profile["inbound_activities"] * ASSUMED["inbox_ms"] / 1000
               + ASSUMED["scheduled_runs"] * ASSUMED["scheduled_ms"] / 1000 + cold_s)
    return {
        "lambda_requests": invocations,
        "lambda_gb_seconds": seconds * ASSUMED["memory_gb"],
        "dynamodb_read_units": publishes * reads_per_event + profile["joins"] * join_reads
        + profile["inbound_activities"] * inbound_reads + deliveries
        + ASSUMED["scheduled_runs"] * 2,
        "dynamodb_write_units": publishes * writes_per_event + profile["joins"] * join_writes
        + profile["inbound_activities"] * inbound_writes + profile["mails"] * 2,
        "dynamodb_gb": profile["table_gb"],
        "s3_puts": publishes * puts_per_event + profile["joins"] * 3,
        "s3_gets": requests * (1 - ASSUMED["cache_hit_ratio"]),
        "s3_gb": profile["site_gb"],
        "cloudfront_requests": requests + api_calls + profile["inbound_activities"],
        "cloudfront_gb_out": requests * ASSUMED["kb_per_request"] / 2**20,
        "cloudfront_functions": requests,
        # affiche.publish.cdn sends "/*" (one billed path) for a batch of more paths than that
        "invalidation_paths": publishes * invalidated(puts_per_event)
        + profile["joins"] * invalidated(3),
        "http_api_requests": api_calls + profile["inbound_activities"],
        "sqs_requests": deliveries / 10 * 3 + ASSUMED["sqs_idle_poll_requests"],
        "emails": profile["mails"],
        "log_gb": invocations * ASSUMED["log_kb_per_invocation"] / 2**20,
        "alarm_metrics": ASSUMED["alarm_metrics"],
    }


def price(use: dict[str, float], prices: dict[str, Any], free: bool) -> dict[str, float]:
    def over(amount: float, allowance: float) -> float:
        return max(0.0, amount - allowance) if free else amount

    lam, ddb, s3, cf = prices["lambda"], prices["dynamodb"], prices["s3"], prices["cloudfront"]
    api, sqs, cw = prices["http_api"], prices["sqs"], prices["cloudwatch"]
    lines = {
        "lambda": over(use["lambda_requests"], lam["free_requests"]) / 1e6
        * lam["per_million_requests"]
        + over(use["lambda_gb_seconds"], lam["free_gb_seconds"]) * lam["arm64_gb_second"],
        "dynamodb": use["dynamodb_read_units"] / 1e6 * ddb["per_million_read_units"]
        + use["dynamodb_write_units"] / 1e6 * ddb["per_million_write_units"]
        + over(use["dynamodb_gb"], ddb["free_storage_gb"]) * ddb["storage_gb_month"]
        + use["dynamodb_gb"] * ddb["pitr_gb_month"],
        "s3": over(use["s3_puts"], s3["free_put"]) / 1000 * s3["per_thousand_put"]
        + over(use["s3_gets"], s3["free_get"]) / 1000 * s3["per_thousand_get"]
        + over(use["s3_gb"], s3["free_storage_gb"]) * s3["storage_gb_month"],
        "cloudfront": over(use["cloudfront_requests"], cf["free_requests"]) / 1e4
        * cf["per_10k_https_requests"]
        + over(use["cloudfront_gb_out"], cf["free_gb_out"]) * cf["per_gb_out"]
        + over(use["cloudfront_functions"], cf["free_function_invocations"]) / 1e6
        * (cf["function_per_million"] + cf["kvs_read_per_million"])
        + over(use["invalidation_paths"], cf["free_invalidation_paths"]) * cf["invalidation_path"],
        "http_api": over(use["http_api_requests"], api["free_requests"]) / 1e6
        * api["per_million_requests"],
        "sqs": over(use["sqs_requests"], sqs["free_requests"]) / 1e6 * sqs["per_million_requests"],
        "ses": use["emails"] / 1000 * prices["ses"]["per_thousand_emails"],
        "cloudwatch": use["log_gb"] * cw["log_ingest_gb"] * (0 if free else 1)
        + over(use["alarm_metrics"], cw["free_alarm_metrics"]) * cw["alarm_metric_month"],
    }
    return {name: round(value, 4) for name, value in lines.items()}


def cost_per_month_usd(measured: dict[str, Any]) -> dict[str, Any]:
    prices = json.loads(PRICES.read_text("utf-8"))
    report: dict[str, Any] = {"prices_as_of": prices["as_of"], "assumptions": ASSUMED}
    for name, profile in PROFILES.items():
        use = usage(profile, measured)
        free_lines = price(use, prices, free=True)
        full_lines = price(use, prices, free=False)
        report[name] = {
            "profile": profile,
            "with_free_tier": round(sum(free_lines.values()), 2),
            "without_free_tier": round(sum(full_lines.values()), 2),
            "by_service_without_free_tier": full_lines,
            "usage": {k: round(v, 3) for k, v in use.items()},
            "not_included": "DNS (Route 53 zone $0.50 if used), the domain, an optional WAF "
                            "($5 + $1 per rule + $0.60 per million requests)",
        }
    return report


def main() -> int:
    results = json.loads(RESULTS.read_text("utf-8"))
    results["cost_per_month_usd"] = cost_per_month_usd(results)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    summary = {name: {k: results["cost_per_month_usd"][name][k]
                      for k in ("with_free_tier", "without_free_tier")}
               for name in PROFILES}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
