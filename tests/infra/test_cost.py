"""The monthly cost figures come from measured requests and dated prices, and the README says it.

Given bench/results.json (measured request counts) and bench/prices.json (dated list prices),
then `cost_per_month_usd` holds both reference instances with and without free tiers, the
figure recomputes from them, the small group stays inside its budget of about a dollar, and
infra/README.md states the small group's figure as results.json has it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.cost import PROFILES, cost_per_month_usd

ROOT = Path(__file__).resolve().parents[2]


def results() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((ROOT / "bench" / "results.json").read_text())
    return loaded


def test_the_stored_figures_recompute_from_measurements_and_prices() -> None:
    stored = results()
    recomputed = cost_per_month_usd(stored)
    assert stored["cost_per_month_usd"] == json.loads(json.dumps(recomputed))
    prices = json.loads((ROOT / "bench" / "prices.json").read_text())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", prices["as_of"])


def test_both_reference_instances_with_and_without_free_tiers() -> None:
    cost = cost_per_month_usd(results())
    assert PROFILES["small_group"]["follower_servers"] == 120
    assert PROFILES["small_group"]["events"] == 30
    assert PROFILES["small_group"]["page_views"] == 20_000
    for name in ("small_group", "busy_instance"):
        assert 0 <= cost[name]["with_free_tier"] <= cost[name]["without_free_tier"]
    assert cost["small_group"]["with_free_tier"] <= 1.0  # a small group's whole budget
    assert cost["busy_instance"]["without_free_tier"] > cost["small_group"]["without_free_tier"]


def test_the_readme_states_the_small_group_figure() -> None:
    small = cost_per_month_usd(results())["small_group"]
    readme = (ROOT / "infra" / "README.md").read_text("utf-8")
    assert f"${small['with_free_tier']:.2f}" in readme
    assert f"${small['without_free_tier']:.2f}" in readme
