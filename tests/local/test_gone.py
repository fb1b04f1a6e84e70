"""A deleted object's URLs answer 410 Gone: a Tombstone for ActivityStreams clients (Mobilizon
applies a remote Delete only once the object answers 410), a short page for people; things that
never existed still answer 404."""

from __future__ import annotations

import time

import httpx

from affiche.local.runner import Instance
from tests.functions.api_client import last_mail_link

AP = {"Accept": "application/activity+json"}


def wait_for_status(client: httpx.Client, path: str, status: int, *, timeout: float = 15.0,
                    **kw: object) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(path, **kw)  # type: ignore[arg-type]
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


def _signed_up(instance: Instance, name: str) -> httpx.Client:
    client = httpx.Client(base_url=instance.url, timeout=30)
    email = f"{name}@example.org"
    assert client.post("/api/accounts", json={"email": email, "password": "correct horse",
                                              "username": name}).status_code == 201
    token = last_mail_link(instance.data / "mail", email)
    assert client.post("/api/accounts/confirm", json={"token": token}).status_code == 200
    assert client.post("/api/session", json={"email": email,
                                             "password": "correct horse"}).status_code == 200
    return client


def test_a_deleted_profile_answers_410_with_a_tombstone(instance: Instance) -> None:
    # Given Ann, whose profile page is published
    ann = _signed_up(instance, "ann")
    assert wait_for_status(ann, "/@ann/", 200).status_code == 200
    # When she deletes her account
    deleted = ann.request("DELETE", "/api/me", json={"password": "correct horse"})
    assert deleted.status_code in {200, 204}, deleted.text
    # Then her profile's URL answers 410: a page for people...
    page = wait_for_status(ann, "/@ann/", 410)
    assert page.status_code == 410 and "text/html" in page.headers["content-type"]
    assert "removed" in page.text
    # ...and a Tombstone for fediverse servers, with the id they knew
    tomb = ann.get("/@ann/", headers=AP)
    assert tomb.status_code == 410
    assert tomb.headers["content-type"] == "application/activity+json"
    doc = tomb.json()
    assert doc["type"] == "Tombstone" and doc["id"] == f"{instance.url}/@ann/"
    assert doc["formerType"] == "Person"
    # And its feeds are gone too, while a name that never existed is still a 404
    assert ann.get("/@ann/outbox", headers=AP).status_code == 410
    assert ann.get("/@nobody-here/").status_code == 404
    assert ann.get("/events/00000000-0000-4000-8000-000000000000/").status_code == 404
