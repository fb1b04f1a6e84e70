"""Two instances federating over real HTTP on 127.0.0.1 (DESIGN.md §8: federation tests run two
instances against each other).

Each instance is the local runner in its own process (its own moto, table, bucket and queues),
with AFFICHE_ALLOW_PRIVATE_FETCH so the guarded client may reach loopback: `affiche dev` itself,
as a person would start it. Everything is the product: WebFinger, signed POSTs, signature
verification with key fetches, the asynchronous inbox and its handlers, the outbox stream
consumer and its fan-out, and the delivery queue's consumer (signing at send time, retries).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from affiche.local.emulator import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def instance(data: Path, *extra: str) -> Iterator[tuple[str, str, str]]:
    """One instance until the block ends; yields (base URL, admin email, admin password)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AFFICHE_"))}
    env.update(AFFICHE_ALLOW_PRIVATE_FETCH="1", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "affiche.cli", "dev", "--port", str(port), "--data", str(data),
         "--public-url", f"http://127.0.0.1:{port}", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = ""
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    while "affiche is running" not in printed:
        line = process.stdout.readline()
        assert line or process.poll() is None, printed
        printed += line
        assert time.monotonic() < deadline, printed
    email = re.search(r"email:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
    password = re.search(r"password:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", email, password
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def logged_in(url: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=15.0)
    answer = client.post("/api/session", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return client


def eventually(check: Callable[[], Any], what: str, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"never happened: {what}")


def test_a_person_on_b_follows_a_group_on_a_and_receives_its_new_event(tmp_path: Path) -> None:
    # Given instance A with its demo group, and instance B with one person (its admin)
    with instance(tmp_path / "a") as (a_url, a_email, a_password), \
            instance(tmp_path / "b", "--empty") as (b_url, b_email, b_password):
        a, b = logged_in(a_url, a_email, a_password), logged_in(b_url, b_email, b_password)
        a_host = a_url.removeprefix("http://")
        # When the person on B follows @demo@A by its handle
        answer = b.post("/api/me/following", json={"handle": f"@demo@{a_host}"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["state"] == "pending"
        # Then A's group accepts (signed Follow B -> A, signed Accept A -> B)
        def accepted() -> bool:
            follows = b.get("/api/me/following").json()["following"]
            return [f["state"] for f in follows] == ["accepted"]

        eventually(accepted, "the follow is accepted")
        followers = eventually(lambda: (r := a.get("/@demo/followers")).status_code == 200 and (
            r.json()["totalItems"] == 1) and r.json(), "A counts one follower")
        assert "orderedItems" not in followers
        # When A's group publishes a new public event
        created = a.post("/api/groups/demo/events", json={
            "title": "Federated picnic", "begins_on": "2031-06-01T12:00",
            "ends_on": "2031-06-01T15:00", "timezone": "Europe/Paris",
            "address": {"name": "Parc", "locality": "Lyon"}})
        assert created.status_code == 201, created.text
        # Then it shows in the B person's own space...
        eventually(lambda: "Federated picnic" in b.get("/app/").text,
                   "the event reaches B's member space")
        # ...and never on B's public pages
        assert "Federated picnic" not in httpx.get(f"{b_url}/").text
        assert "Federated picnic" not in httpx.get(f"{b_url}/events/").text
        # When the person on B stops following, A's group hears it (signed Undo{Follow})
        group_id = answer.json()["group"]
        gone = b.request("DELETE", "/api/me/following", json={"group": group_id})
        assert gone.status_code == 200, gone.text
        eventually(lambda: a.get("/@demo/followers").json()["totalItems"] == 0,
                   "A counts no follower any more")
