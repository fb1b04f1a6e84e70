"""Concurrent requests through the local gateway cannot corrupt data: every join of an open group
is counted exactly once, whatever the interleaving."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from affiche.domain import retry
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


CROWD, PLACES, ACCOUNTS = 12, 5, 3  # sign-ups are limited to 10 an hour per address


def _crowd(instance: Instance) -> list[tuple[httpx.Client, str]]:
    """(logged-in client, profile name) for CROWD people: ACCOUNTS accounts with profiles."""
    people = []
    for i in range(1, ACCOUNTS + 1):
        client = _member(instance, i)
        people.append((client, f"p{i}"))
        for j in range(CROWD // ACCOUNTS - 1):
            made = client.post("/api/me/profiles", json={"name": f"p{i}x{j}",
                                                         "display_name": f"P{i}x{j}"})
            assert made.status_code == 201, made.text
            people.append((client, f"p{i}x{j}"))
    return people


def test_a_crowd_joins_a_group_and_fills_an_event_exactly(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an open group and twelve people ready to join it (a load run of this refused 5 of
    # 20 joins with 409 while each join rewrote the group under its version)
    lost: list[int] = []  # every read-modify-write that lost a race pauses in retry.back_off
    pause = retry.back_off

    def counted(attempt: int) -> None:
        lost.append(attempt)
        pause(attempt)

    monkeypatch.setattr(retry, "back_off", counted)
    owner = _member(instance, 0)
    assert owner.post("/api/groups", json={"name": "crowd", "display_name": "Crowd",
                                           "openness": "open"}).status_code == 201
    people = _crowd(instance)
    assert len(people) == CROWD
    # When they all join at the same moment
    with ThreadPoolExecutor(max_workers=CROWD) as pool:
        joins = list(pool.map(lambda cp: cp[0].post("/api/groups/crowd/join",
                                                    json={"profile": cp[1]}), people))
    # Then every join answered 2xx at its first try (none lost a race to another join: counts
    # are tallied), and the count is the number of members stored
    assert all(200 <= a.status_code < 300 for a in joins), [a.text for a in joins]
    assert lost == []
    members = owner.get("/api/groups/crowd/members").json()
    stored = members["total"]
    assert len(members["members"]) == stored  # one page of 20 holds them all
    assert owner.get("/api/groups/crowd").json()["member_count"] == stored == CROWD + 1
    # Given an event of the group with five places
    created = owner.post("/api/groups/crowd/events", json={
        "title": "Workshop", "begins_on": "2031-05-01T10:00", "ends_on": "2031-05-01T12:00",
        "timezone": "Europe/Paris", "capacity": PLACES})
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    # When the twelve take part at the same moment
    with ThreadPoolExecutor(max_workers=CROWD) as pool:
        answers = list(pool.map(
            lambda cp: cp[0].post(f"/api/events/{uuid}/participation",
                                  json={"profile": cp[1]}), people))
    # Then exactly five are in and the seven others were told the event is full (there is no
    # waiting list: participation.py refuses a join beyond capacity with EventFull, a 409)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * PLACES + [409] * (CROWD - PLACES), [a.text for a in answers]
    assert {a.json()["message"] for a in answers if a.status_code == 409} == {
        f"“Workshop” is full ({PLACES} places)"}
    assert owner.get(f"/api/events/{uuid}").json()["participant_count"] == PLACES
    listed = owner.get(f"/api/events/{uuid}/participants").json()
    assert listed["total"] == PLACES
