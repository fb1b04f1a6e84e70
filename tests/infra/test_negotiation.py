"""The content-negotiation rule agrees with its vectors, in Python and in the CloudFront Function.

`infra/negotiation-vectors.json` is the single table both implementations must pass
(DESIGN.md §3): `affiche.local.negotiation` for the local gateway, and
`infra/cloudfront/negotiate.js` run under node through `run_negotiate.js`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from affiche.local.negotiation import resolve, route

ROOT = Path(__file__).resolve().parents[2]
VECTORS_FILE = ROOT / "infra" / "negotiation-vectors.json"
RUNNER = Path(__file__).with_name("run_negotiate.js")


def load_vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text("utf-8"))["vectors"]
    return vectors


VECTORS = load_vectors()
SITE_VECTORS = [v for v in VECTORS if v["route"] == "site"]


def vector_id(vector: dict[str, Any]) -> str:
    return f"{vector['path']} [{vector['accept']}]"


@lru_cache(maxsize=1)
def node_results() -> tuple[dict[str, Any], ...]:
    """Every site vector through the JavaScript handler, in one node process."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    request = [{"path": v["path"], "accept": v["accept"]} for v in SITE_VECTORS]
    done = subprocess.run(
        [node, str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(results) == len(SITE_VECTORS)
    return tuple(results)


def test_vector_table_is_broad_enough() -> None:
    assert len(VECTORS) >= 25
    assert {v["route"] for v in VECTORS} == {"site", "api", "moderation", "inbox", "webfinger"}
    assert any(v["accept"] is None for v in VECTORS)
    assert any(v["key"] == "" for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=vector_id)
def test_python_route(vector: dict[str, Any]) -> None:
    assert route(vector["path"]) == vector["route"]


@pytest.mark.parametrize("vector", VECTORS, ids=vector_id)
def test_python_resolve(vector: dict[str, Any]) -> None:
    assert resolve(vector["path"], vector["accept"]) == (vector["key"], vector["content_type"])


@pytest.mark.parametrize(
    ("index", "vector"), list(enumerate(SITE_VECTORS)), ids=[vector_id(v) for v in SITE_VECTORS]
)
def test_cloudfront_function_agrees(index: int, vector: dict[str, Any]) -> None:
    result = node_results()[index]
    assert result["key"] == vector["key"]
    if vector["key"] == "":
        # Rejected paths are answered by the function, never sent to the bucket root.
        assert result["status"] == 404
    else:
        assert result["uri"].startswith("/")
        assert "%40" not in result["uri"]


def test_keys_never_start_with_a_slash() -> None:
    for vector in VECTORS:
        key, _ = resolve(vector["path"], vector["accept"])
        assert not key.startswith("/")
