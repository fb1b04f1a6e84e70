"""The vertical slice through the real path: HTTP gateway -> api function -> DynamoDB ->
stream -> outbox function -> bucket -> gateway, in one local instance."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import icalendar

from affiche.local.runner import Instance
from tests.functions.api_client import last_mail_link

AP = {"Accept": "application/activity+json"}


def wait_for(client: httpx.Client, path: str, *, timeout: float = 20.0, showing: str = "",
             **kw: object) -> httpx.Response:
    """Poll until `path` answers 200 (and shows `showing`). How fast pages appear is measured by
    `make bench` (publish_latency_ms), not here: a deadline of a second failed on a busy CI."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(path, **kw)  # type: ignore[arg-type]
        if (response.status_code == 200 and showing in response.text) or (
                time.monotonic() > deadline):
            return response
        time.sleep(0.02)


def test_signup_to_published_event(instance: Instance) -> None:
    client = httpx.Client(base_url=instance.url)
    # Given a person who signs up, confirms by mail and logs in
    assert client.post("/api/accounts", json={"email": "ann@example.org",
                                              "password": "correct horse",
                                              "username": "ann"}).status_code == 201
    token = last_mail_link(instance.data / "mail", "ann@example.org")
    assert client.post("/api/accounts/confirm", json={"token": token}).status_code == 200
    login = client.post("/api/session", json={"email": "ann@example.org",
                                              "password": "correct horse"})
    assert login.status_code == 200
    assert "HttpOnly" in login.headers["set-cookie"] and "Secure" not in login.headers["set-cookie"]
    # When she creates a group and a public event in it
    group = client.post("/api/groups", json={"name": "gardeners", "display_name": "Gardeners",
                                             "summary": "We *grow* <script>x</script> things."})
    assert group.status_code == 201, group.text
    event = client.post("/api/groups/gardeners/events", json={
        "title": "Seed swap & tea", "begins_on": "2030-03-14T14:00", "ends_on": "2030-03-14T17:00",
        "timezone": "Europe/Paris", "address": {"street": "1 rue des Lilas", "locality": "Paris"},
        "capacity": 30})
    assert event.status_code == 201, event.text
    uuid = event.json()["uuid"]
    # Then the event page, the group page and the home page are published
    page = wait_for(client, f"/events/{uuid}/")
    assert page.status_code == 200
    assert "Seed swap &amp; tea" in page.text and "text/html" in page.headers["content-type"]
    group_page = wait_for(client, "/@gardeners/", showing="Seed swap &amp; tea")
    assert "Seed swap &amp; tea" in group_page.text
    assert "<script>" not in group_page.text  # sanitised summary
    assert f"/events/{uuid}/" in wait_for(client, "/", showing=f"/events/{uuid}/").text
    # And the iCalendar file is valid, in the event's time zone
    ics = wait_for(client, f"/events/{uuid}/event.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    vevent = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    start = vevent.decoded("dtstart")
    assert start == datetime(2030, 3, 14, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(vevent["dtstart"].params["TZID"]) == "Europe/Paris"
    # And ActivityPub clients get the JSON documents by content negotiation
    as_json = client.get(f"/events/{uuid}/", headers=AP)
    assert as_json.headers["content-type"] == "application/activity+json"
    assert as_json.json()["id"] == f"{instance.url}/events/{uuid}/"
    assert as_json.json()["type"] == "Event" and as_json.json()["maximumAttendeeCapacity"] == 30
    actor = client.get("/@gardeners/", headers=AP)
    assert actor.headers["content-type"] == "application/activity+json"
    doc = actor.json()
    assert doc["id"] == f"{instance.url}/@gardeners/" and doc["type"] == "Group"
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in actor.text


def test_private_keys_never_reach_the_bucket_or_responses(instance: Instance) -> None:
    from affiche.aws import client as aws_client
    from affiche.config import get_settings
    from affiche.demo import create_demo
    from affiche.domain.model import Account
    from affiche.web.ports import ports

    context = ports()
    admin = next(a for a in context.repo.all_of_kind(Account.kind))
    create_demo(context, admin)
    instance.wait_idle()
    s3 = aws_client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=get_settings().site_bucket)["Contents"]]
    assert "@demo/index.json" in keys
    for key in keys:
        body = s3.get_object(Bucket=get_settings().site_bucket, Key=key)["Body"].read()
        assert b"PRIVATE KEY" not in body, key


def test_discovery_webfinger_nodeinfo_and_actor(instance: Instance) -> None:
    from affiche.domain.model import Account
    from affiche.web.ports import ports

    context = ports()
    from affiche.demo import create_demo

    create_demo(context, next(iter(context.repo.all_of_kind(Account.kind))))
    instance.wait_idle()
    client = httpx.Client(base_url=instance.url)
    host = instance.url.removeprefix("http://")
    # WebFinger answers for the group with a self link to the actor id
    finger = client.get("/.well-known/webfinger", params={"resource": f"acct:demo@{host}"})
    assert finger.status_code == 200
    self_link = next(link for link in finger.json()["links"] if link["rel"] == "self")
    assert self_link["type"] == "application/activity+json"
    actor = client.get(self_link["href"], headers=AP).json()
    assert actor["id"] == self_link["href"]
    for field in ("preferredUsername", "name", "summary", "inbox", "outbox", "followers"):
        assert actor[field], field
    assert actor["endpoints"]["sharedInbox"] == f"{instance.url}/inbox"
    assert actor["publicKey"]["owner"] == actor["id"]
    # The outbox is the group's activity log
    outbox = client.get("/@demo/outbox", headers=AP)
    assert outbox.headers["content-type"] == "application/activity+json"
    assert {item["type"] for item in outbox.json()["orderedItems"]} == {"Create"}
    assert outbox.json()["totalItems"] == 5  # the group, three events and a post
    # NodeInfo describes the instance
    discovery = client.get("/.well-known/nodeinfo").json()
    href = discovery["links"][0]["href"]
    assert href == f"{instance.url}/nodeinfo/2.1"
    info = client.get("/nodeinfo/2.1")
    assert "nodeinfo.diaspora.software/ns/schema/2.1" in info.headers["content-type"]
    body = info.json()
    assert body["software"]["name"] == "affiche" and body["protocols"] == ["activitypub"]
    assert body["usage"]["users"]["total"] == 1 and body["usage"]["localPosts"] == 4
