"""Every real activity in ../shared/fixtures goes through the inbox and the stream consumer without
a crash and ends with a recorded state and reason (DESIGN.md §9 "Inbound is asynchronous").

Whatever handlers the registry holds: an activity is processed, ignored with a reason (no handler
yet, or the handler declined), or failed at once with the domain's refusal (a Follow of a group
that is not ours) — never left `received`, and never failed by retries running out (a crash).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from affiche.activitypub import fetch
from affiche.activitypub.inbound import MAX_ATTEMPTS
from tests.conftest import FIXTURES
from tests.functions.test_inbox import Consumer, actor_doc, deliver, records


def _actor(activity: dict[str, Any]) -> str:
    actor = activity["actor"]
    return str(actor["id"] if isinstance(actor, dict) else actor)


def activity_fixtures() -> list[str]:
    names = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "actor" in data and "type" in data:
            names.append(str(path.relative_to(FIXTURES)))
    return names


@pytest.fixture
def anyone(aws: Path, cheap_crypto: None) -> Iterator[None]:
    """Every remote actor's document is served, with one test key (key id `<actor>#main-key`)."""

    def serve(request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(fragment=None))
        return httpx.Response(200, json=actor_doc(url, "fixtures"),
                              headers={"Content-Type": "application/activity+json"})

    fetch.set_transport_factory(lambda: httpx.MockTransport(serve))
    fetch.set_resolver(lambda host, port: ["93.184.215.14"])
    yield
    fetch.set_transport_factory(None)
    fetch.set_resolver(None)


def test_the_fixture_list_is_not_empty() -> None:
    assert len(activity_fixtures()) >= 20


@pytest.mark.parametrize("name", activity_fixtures())
def test_every_fixture_is_handled_or_ignored_with_a_reason(anyone: None, name: str) -> None:
    # Given the stream consumer running, and a real activity signed by its actor's server
    consumer = Consumer()
    activity = json.loads((FIXTURES / name).read_text())
    actor = _actor(activity)
    # When it is delivered to the shared inbox
    status, answer = deliver(activity, path="/inbox", key_id=f"{actor}#main-key",
                             key_name="fixtures")
    # Then it is acknowledged at once
    assert status == 202, answer
    if answer["status"] == "ignored":  # acknowledged without storing (a self-Delete storm)
        assert answer["detail"]
        return
    assert answer["status"] == "received"
    # and once the consumer ran, its stored copy records what became of it
    consumer.drain()
    (record,) = records()
    assert record["state"] in ("processed", "ignored", "failed"), record
    if record["state"] == "ignored":
        assert record["reason"]
    if record["state"] == "failed":  # refused by the rules at once, not crashed and retried
        assert record["error"] and record["attempts"] < MAX_ATTEMPTS
