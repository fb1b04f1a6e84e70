"""Capacity is never overbooked: many people joining an event with few places at the same moment,
through the local gateway (HTTP -> api function -> DynamoDB on the emulator), end with exactly as
many participants as places, everyone else getting a clear 409; the public page follows (how fast
is bench/scale.py's publish_latency_ms, not this test's: on a busy machine the ten publishes the
joins leave behind take a few seconds)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from affiche.local.runner import Instance
from tests.local.test_concurrency import _member

ACCOUNTS, PROFILES_EACH, PLACES = 6, 9, 10  # 6 default profiles + 54 more: 60 people


def _people(instance: Instance) -> list[tuple[httpx.Client, str]]:
    """(logged-in client, profile name) for each person; an account has at most 10 profiles."""
    people = []
    for i in range(1, ACCOUNTS + 1):
        client = _member(instance, i)
        people.append((client, f"p{i}"))
        for j in range(PROFILES_EACH):
            name = f"p{i}x{j}"
            made = client.post("/api/me/profiles", json={"name": name, "display_name": name})
            assert made.status_code == 201, made.text
            people.append((client, name))
    return people


def test_sixty_joins_fill_ten_places_exactly(instance: Instance) -> None:
    # Given an event with 10 places and 60 people ready to join it
    owner = _member(instance, 0)
    assert owner.post("/api/groups", json={"name": "club", "display_name": "Club",
                                           "openness": "open"}).status_code == 201
    created = owner.post("/api/groups/club/events", json={
        "title": "Workshop", "begins_on": "2031-05-01T10:00", "ends_on": "2031-05-01T12:00",
        "timezone": "Europe/Paris", "capacity": PLACES})
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    people = _people(instance)
    assert len(people) >= 50
    # When they all join at the same moment
    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        answers = list(pool.map(
            lambda cp: cp[0].post(f"/api/events/{uuid}/participation", json={"profile": cp[1]}),
            people))
    # Then exactly 10 are in, and everyone else got a clear 409 (never a 500)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * PLACES + [409] * (len(people) - PLACES), [
        a.text for a in answers if a.status_code not in {201, 409}]
    refusals = {a.json()["message"] for a in answers if a.status_code == 409}
    assert refusals <= {"“Workshop” is full (10 places)",
                        "too many people are answering this event at the same moment; try again"}
    assert owner.get(f"/api/events/{uuid}").json()["participant_count"] == PLACES
    listed = owner.get(f"/api/events/{uuid}/participants").json()
    assert listed["total"] == PLACES
    # And the public page says so once the stream has been read (a generous bound: the page must
    # follow, its speed is measured by the benchmarks)
    deadline = time.monotonic() + 20.0
    while "10 / 10 taken" not in owner.get(f"/events/{uuid}/").text:
        assert time.monotonic() < deadline, "the event page did not follow"
        time.sleep(0.02)
