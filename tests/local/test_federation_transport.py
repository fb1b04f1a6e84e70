"""The local runner drives the federation transport exactly as AWS would: an activity POSTed to
the gateway's /inbox is stored, then processed by the stream poller's outbox function; a queued
delivery is signed and POSTed by the queue poller's outbox function; /actor is served as
ActivityPub JSON. Remote servers are httpx.MockTransport fakes (the runner is in-process)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from affiche.activitypub import delivery, fetch
from affiche.activitypub.signatures import sign_request
from affiche.local.runner import Instance
from affiche.store.table import Item, bind
from tests.functions.test_inbox import actor_doc, pems

ALICE = "https://remote.example/users/alice"


@pytest.fixture
def remote() -> Iterator[list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(202)
        return httpx.Response(200, json=actor_doc(ALICE, "alice"),
                              headers={"Content-Type": "application/activity+json"})

    fetch.set_transport_factory(lambda: httpx.MockTransport(serve))
    fetch.set_resolver(lambda host, port: ["93.184.215.14"])
    yield seen
    fetch.set_transport_factory(None)
    fetch.set_resolver(None)


def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def inbound_states() -> list[str]:
    bind()
    return [json.loads(i.data)["state"] for i in Item.scan() if i.kind == "inbound"]


def test_the_runner_processes_inbound_and_delivers(instance: Instance,
                                                   remote: list[httpx.Request]) -> None:
    client = httpx.Client(base_url=instance.url, timeout=10)
    # /actor is the instance actor, as ActivityPub JSON
    actor = client.get("/actor")
    assert actor.status_code == 200
    assert actor.headers["content-type"] == "application/activity+json"
    assert actor.json()["type"] == "Application"
    # When alice's server POSTs a signed Follow to the shared inbox
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
                "id": "https://remote.example/follows/9", "actor": ALICE,
                "object": f"{instance.url}/@nobody/"}
    body = json.dumps(activity).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request("POST", f"{instance.url}/inbox", headers, body,
                                f"{ALICE}#main-key", pems("alice")[1]))
    answer = client.post("/inbox", content=body, headers=headers)
    # Then it is acknowledged at once, and the stream poller's outbox function processes it
    assert answer.status_code == 202, answer.text
    until(lambda: inbound_states() and inbound_states()[0] != "received")
    assert inbound_states()[0] in ("processed", "ignored", "failed")
    # When a delivery is queued, the queue poller's outbox function signs and POSTs it
    delivery.enqueue({**activity, "id": f"{instance.url}/activities/1"}, sender="",
                     inboxes=["https://remote.example/inbox"])
    until(lambda: any(r.method == "POST" for r in remote))
    posted = next(r for r in remote if r.method == "POST")
    assert f'keyId="{instance.url}/actor#main-key"' in posted.headers["Signature"]
