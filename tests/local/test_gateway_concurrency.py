"""Requests the local gateway handles at the same time each get their own answer: Powertools'
resolver keeps the request being handled in process-wide state, which Lambda never shares between
two invocations and the gateway must not either (affiche/local/gateway.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from affiche.local.runner import Instance
from tests.local.test_concurrency import _member

PEOPLE, ROUNDS = 6, 8


@pytest.fixture
def busy_switching() -> Iterator[None]:
    # Threads switch far more often than usual, so that shared request state would be overwritten.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def test_concurrent_requests_each_get_their_own_answer(instance: Instance,
                                                       busy_switching: None) -> None:
    # Given several people logged in (each with their own session cookie)
    clients = [_member(instance, i) for i in range(PEOPLE)]

    def use(person: int) -> list[str]:
        client: httpx.Client = clients[person]
        wrong = []
        for step in range(ROUNDS):
            me = client.get("/api/me")
            if me.status_code != 200 or me.json()["email"] != f"p{person}@example.org":
                wrong.append(f"p{person} /api/me: {me.status_code} {me.text[:120]}")
            name = f"g{person}x{step}"
            made = client.post("/api/groups", json={"name": name, "display_name": name})
            if made.status_code != 201 or made.json()["name"] != name:
                wrong.append(f"p{person} {name}: {made.status_code} {made.text[:120]}")
        return wrong

    # When they all use the site at the same time, with different cookies and bodies
    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        wrong = [w for found in pool.map(use, range(PEOPLE)) for w in found]

    # Then each request was answered as its own
    assert wrong == []
