"""Concurrent requests through the local gateway cannot corrupt data: every join of an open group
is counted exactly once, whatever the interleaving."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from affiche.local.runner import Instance
from tests.functions.api_client import last_mail_link

PEOPLE = 8


def _member(instance: Instance, i: int) -> httpx.Client:
    client = httpx.Client(base_url=instance.url, timeout=30)
    email = f"p{i}@example.org"
    assert client.post("/api/accounts", json={"email": email, "password": "correct horse",
                                              "username": f"p{i}"}).status_code == 201
    token = last_mail_link(instance.data / "mail", email)
    assert client.post("/api/accounts/confirm", json={"token": token}).status_code == 200
    assert client.post("/api/session", json={"email": email,
                                             "password": "correct horse"}).status_code == 200
    return client


def test_concurrent_joins_are_all_counted(instance: Instance) -> None:
    # Given an open group and several people ready to join it
    owner = _member(instance, 0)
    assert owner.post("/api/groups", json={"name": "open", "display_name": "Open",
                                           "openness": "open"}).status_code == 201
    clients = [_member(instance, i) for i in range(1, PEOPLE + 1)]
    # When they all join at the same time
    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(pool.map(lambda c: c.post("/api/groups/open/join", json={}), clients))
    # Then every join succeeded and the member count is exact
    assert [a.status_code for a in answers] == [201] * PEOPLE, [a.text for a in answers]
    group = owner.get("/api/groups/open").json()
    assert group["member_count"] == PEOPLE + 1
    members = owner.get("/api/groups/open/members").json()
    assert len(members["members"]) == PEOPLE + 1
