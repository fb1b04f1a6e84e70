"""An idle `affiche dev` does next to nothing (DESIGN.md §6: "idle, it should use next to no CPU"):
its stream and queue pollers wait to be woken by the emulator when a write reaches the table or a
message a queue (affiche/local/pollers.py), instead of polling 25 times a second; a change is
still published at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from botocore.client import BaseClient

from affiche.local.runner import Instance


def test_an_idle_instance_barely_calls_the_emulator(instance: Instance,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    instance.wait_idle()
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        calls[f"{threading.current_thread().name}.{operation}"] += 1
        return original(client, operation, params)

    # When the instance is left alone for 3 s
    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    time.sleep(3)
    monkeypatch.undo()
    # Then its pollers looked only now and then (they polled 75 times in 3 s before)
    assert sum(calls.values()) <= 10, calls


def test_a_change_is_published_without_waiting_for_the_next_look(instance: Instance) -> None:
    # Given pollers that would look on their own only once a minute
    for poller in instance.pollers[:2]:
        poller.interval = 60
    instance.wait_idle()
    time.sleep(0.5)  # every poller is now waiting
    assert instance.admin_login is not None
    email, password = instance.admin_login
    client = httpx.Client(base_url=instance.url, timeout=30)
    assert client.post("/api/session", json={"email": email,
                                             "password": password}).status_code == 200
    # When a group is created
    assert client.post("/api/groups", json={"name": "woken",
                                            "display_name": "Woken"}).status_code == 201
    # Then its page is published within seconds: the write woke the stream poller
    deadline = time.monotonic() + 10
    while client.get("/@woken/").status_code != 200:
        assert time.monotonic() < deadline, "not published: the stream poller was not woken"
        time.sleep(0.05)
