"""The CloudFront Function runs on an njs-like engine, not on node: it is checked under both.

CloudFront Functions (cloudfront-js-2.0) run on a restricted ECMAScript engine derived from njs;
code that only node accepts would be rejected at deploy time or fail at the edge. So the code the
template inlines runs here under Debian's `njs` as well as under node, on every site vector of
infra/negotiation-vectors.json, on a very long Accept header (a client may send kilobytes; the
function has about a millisecond), and within CloudFront's 10 KB code limit.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from affiche.local.negotiation import resolve
from tests.infra.test_negotiation import SITE_VECTORS
from tests.infra.test_template import props

IMPORT = "import cf from 'cloudfront';"
# A KeyValueStore stand-in; GONE is filled by the runner (folder -> Tombstone JSON).
KVS = ("var cf = {kvs: function () { return {get: async function (key) {"
       " if (Object.prototype.hasOwnProperty.call(GONE, key)) { return GONE[key]; }"
       " throw new Error('Key not found'); }}; }};")
RUNNER = """
var GONE = %(gone)s;
var VECTORS = %(vectors)s;
async function main() {
    for (var i = 0; i < VECTORS.length; i++) {
        var v = VECTORS[i];
        var headers = {host: {value: 'events.example.org'}};
        if (v.accept !== null) { headers.accept = {value: v.accept}; }
        var cut = v.path.indexOf('?');
        var r = await handler({version: '1.0', context: {eventType: 'viewer-request'},
            viewer: {ip: '192.0.2.1'}, request: {method: 'GET',
            uri: cut < 0 ? v.path : v.path.slice(0, cut), querystring: {}, headers: headers,
            cookies: {}}});
        // One line per result: njs cuts a console.log line at 2 KB.
        console.log(JSON.stringify(r.statusCode !== undefined ? {status: r.statusCode, key: ''}
                    : {uri: r.uri, key: decodeURIComponent(r.uri.slice(1))}));
    }
}
main().catch(function (e) { console.log('ERROR ' + e); });
"""
# 5 KB of ranges (browsers send ~100 bytes). Only the first MAX_RANGES count, so a client cannot
# make the function parse hundreds; here ActivityPub is named first and wins.
LONG_ACCEPT = "application/activity+json, " + ", ".join(
    f"text/x-{i};q=0.{i % 9 + 1}" for i in range(300))


def inline_code() -> str:
    """The code exactly as the template deploys it."""
    return str(props("NegotiateFunction")["FunctionCode"])


def engine(name: str) -> list[str]:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {name}, or nodejs)")
    return [found]


def run(name: str, vectors: list[dict[str, Any]], gone: dict[str, str] | None = None,
        tmp: Path | None = None) -> list[dict[str, Any]]:
    code = inline_code()
    assert IMPORT in code
    script = code.replace(IMPORT, KVS) + RUNNER % {
        "gone": json.dumps(gone or {}), "vectors": json.dumps(vectors)}
    folder = tmp or Path(tempfile.mkdtemp())
    path = folder / f"negotiate-{name}.js"
    path.write_text(script, "utf-8")
    done = subprocess.run([*engine(name), str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0 and not done.stdout.startswith("ERROR"), done.stdout + done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@cache
def site_results(name: str) -> tuple[dict[str, Any], ...]:
    vectors = [{"path": v["path"], "accept": v["accept"]} for v in SITE_VECTORS]
    return tuple(run(name, vectors))


@pytest.mark.parametrize("name", ["njs", "node"])
def test_every_site_vector_under_each_engine(name: str) -> None:
    results = site_results(name)
    assert [r["key"] for r in results] == [v["key"] for v in SITE_VECTORS]


@pytest.mark.parametrize("name", ["njs", "node"])
def test_a_long_accept_header_is_negotiated_quickly(name: str, tmp_path: Path) -> None:
    # Given an Accept header of several kilobytes whose only acceptable type is ActivityPub
    vectors = [{"path": "/@demo/", "accept": LONG_ACCEPT}] * 50
    started = time.perf_counter()
    results = run(name, vectors, tmp=tmp_path)
    elapsed = time.perf_counter() - started
    # Then the JSON is served, as the Python rule decides
    expected, _ = resolve("/@demo/", LONG_ACCEPT)
    assert {r["key"] for r in results} == {expected}
    assert expected.endswith("index.json")
    # and 50 requests, engine start included, stay inside the edge's budget (~1 ms each; this
    # is Debian's njs on a shared test machine, slower than the edge's engine)
    assert elapsed < 2, elapsed


@pytest.mark.parametrize("name", ["njs", "node"])
def test_deleted_objects_answer_410_under_each_engine(name: str, tmp_path: Path) -> None:
    tombstone = json.dumps({"type": "Tombstone", "id": "https://events.example.org/p/x/"})
    results = run(name, [{"path": "/p/x/", "accept": None}], gone={"p/x": tombstone},
                  tmp=tmp_path)
    assert results == [{"status": 410, "key": ""}]


def test_code_fits_cloudfront_limit() -> None:
    assert len(inline_code().encode("utf-8")) <= 10 * 1024
