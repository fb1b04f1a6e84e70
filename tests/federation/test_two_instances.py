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


def table_items(data: Path, kind: str) -> list[dict[str, Any]]:
    """Items of `kind` in an instance's table, as its data folder holds them (data/table.jsonl
    with the journal of the writes since replayed over it)."""
    import json

    from affiche.local.journal import stored_items

    stored = stored_items(data, data / "table.jsonl", ["pk", "sk"])
    return [json.loads(item["data"]["S"]) for item in stored
            if item.get("kind", {}).get("S") == kind]


def signed_post(url: str, activity: dict[str, Any], key_id: str, private_pem: str
                ) -> httpx.Response:
    import json

    from affiche.activitypub.signatures import sign_request

    body = json.dumps(activity).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request("POST", url, headers, body, key_id, private_pem))
    return httpx.post(url, content=body, headers=headers, timeout=15.0)


def test_a_person_on_b_asks_to_join_a_restricted_event_on_a_and_is_accepted(
        tmp_path: Path) -> None:
    """A person on B joins a restricted event of A; A's organiser approves; B receives the Accept.

    B has no page to join a remote event yet (our people joining events elsewhere is not built),
    so the test speaks for B's person the way B's delivery consumer would: it reads that person's
    private key from B's own table export (`affiche dev` writes data/table.jsonl, the same file
    `affiche backup` makes), signs the Join with it, and POSTs it to A's real inbox over HTTP.
    Everything on A is the product (signature check fetching B's actor over HTTP, asynchronous
    inbox, participation service, organiser's API, fan-out, signed delivery to B), and so is B's
    inbox verifying A's signed Accept; B stores it as a verified inbound item, which the test reads
    from the same export (B has no handler for answers to Joins it never sent itself)."""
    with instance(tmp_path / "a") as (a_url, a_email, a_password), \
            instance(tmp_path / "b", "--empty") as (b_url, b_email, b_password):
        a, b = logged_in(a_url, a_email, a_password), logged_in(b_url, b_email, b_password)
        # Given a restricted event of A's demo group, and B's person with their key
        created = a.post("/api/groups/demo/events", json={
            "title": "Workshop on request", "begins_on": "2031-06-01T12:00",
            "ends_on": "2031-06-01T15:00", "timezone": "Europe/Paris",
            "join_mode": "restricted"})
        assert created.status_code == 201, created.text
        uuid = created.json()["uuid"]
        name = b.get("/api/me").json()["profiles"][0]["name"]
        person = f"{b_url}/@{name}/"
        keys = eventually(lambda: [k for k in table_items(tmp_path / "b", "actor_key")
                                   if k["name"] == name], "B exports its person's key")
        # When that person's Join (Mobilizon's shape) reaches A's inbox, signed with their key
        join = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Join",
                "id": f"{person}#join-1", "actor": person, "object": f"{a_url}/events/{uuid}/",
                "participationMessage": "May I come?"}
        posted = signed_post(f"{a_url}/inbox", join, f"{person}#main-key",
                             keys[0]["private_key_pem"])
        assert posted.status_code == 202, posted.text
        # Then A's organisers see the request, with its message
        def requests() -> list[dict[str, Any]]:
            listed = a.get(f"/api/events/{uuid}/participants").json()["participants"]
            return [p for p in listed if p["participant"] == person]

        (request,) = eventually(requests, "A lists the request")
        assert request["state"] == "not_approved" and request["message"] == "May I come?"
        # When the organiser approves it
        answer = a.post(f"/api/events/{uuid}/participants/answer",
                        json={"participants": [person], "approve": True})
        assert answer.status_code == 200, answer.text
        assert a.get(f"/api/events/{uuid}").json()["participant_count"] == 1
        # Then B's inbox receives A's signed Accept of that Join
        def accepts() -> list[dict[str, Any]]:
            return [r for r in table_items(tmp_path / "b", "inbound")
                    if r["activity"].get("type") == "Accept"
                    and r["activity"].get("object") == join["id"]]

        (accept,) = eventually(accepts, "B receives the Accept of the Join", timeout=60)
        assert accept["activity"]["actor"] == f"{a_url}/@demo/"
        assert accept["signer"] == f"{a_url}/@demo/"
