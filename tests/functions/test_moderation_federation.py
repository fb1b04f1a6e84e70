"""What other servers are told of moderators' and administrators' actions, read in the delivery
queue after the change stream ran: a suspended person's Notes and actor are deleted where they
went, a suspended group is deleted for its remote followers and members, and content a moderator
hid then restored comes back for them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain.model import Actor, Follow, Membership
from affiche.domain.ports import ChangeSet
from affiche.web.ports import ports
from tests.functions.account_support import admin_client, logged_in
from tests.functions.api_client import ApiClient
from tests.functions.stream_support import OutboxStream

EVENT = {"title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T16:00",
         "timezone": "Europe/Paris"}
EVE = "https://masto.example/users/eve"  # follows the group (through her server's shared inbox)
SHARED = "https://masto.example/inbox"
REMI = "https://mobi.example/@remi"  # a member of the group on another server
BASE = "https://affiche.test"


def queued() -> list[dict[str, Any]]:
    """Every delivery waiting in the queue (taken out of it): {activity, inbox, sender}."""
    sqs, url = client("sqs"), get_settings().delivery_queue_url
    found: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def remote_audience() -> None:
    """Eve follows @club, Rémi is a member of it."""
    now = datetime.now(UTC)
    ports().repo.commit(ChangeSet().put(
        Actor(name=EVE, type="Person", display_name="Eve", created_at=now, inbox=EVE + "/inbox",
              shared_inbox=SHARED, domain="masto.example"),
        Actor(name=REMI, type="Person", display_name="Rémi", created_at=now,
              inbox=REMI + "/inbox", domain="mobi.example"),
        Follow(follower=EVE, followed="club", created_at=now),
        Membership(group="club", member=REMI, role="member", created_at=now, updated_at=now)))


@pytest.fixture
def ann(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    ann = logged_in(aws / "mail", monkeypatch)
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    remote_audience()
    return ann


def test_suspending_an_account_deletes_its_notes_and_its_actor_where_they_went(
        ann: ApiClient) -> None:
    # Given Ann commented on a public event of her group, and replied in one of its discussions
    stream = OutboxStream()
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    comment = ann.post(f"/api/events/{uuid}/comments", {"text": "See you there"}).body["id"]
    thread = ann.post("/api/groups/club/discussions", {"title": "Food", "text": "Who cooks?"})
    assert thread.status == 201, thread.body
    reply = ann.post(f"/api/discussions/{thread.body['id']}/replies", {"text": "I do"})
    assert reply.status == 201, reply.body
    stream.drain()
    sent = queued()
    assert {(d["activity"]["type"], d["inbox"]) for d in sent if d["sender"] == "ann"} == {
        ("Create", SHARED), ("Create", REMI + "/inbox")}
    # When an administrator suspends her account
    admin = admin_client()
    account = ports().repo.account_by_email("ann@example.org")
    assert account is not None
    assert admin.post(f"/api/mod/accounts/{account.id}/suspend", {"reason": "spam"}).status == 200
    stream.drain()
    # Then the servers that received her Notes are told to delete them, signed by her
    sent = queued()
    deletes = {(d["activity"]["object"]["id"], d["inbox"]) for d in sent
               if d["sender"] == "ann" and isinstance(d["activity"]["object"], dict)}
    assert deletes == {
        (f"{BASE}/events/{uuid}/#comment-{comment}", SHARED),
        (f"{BASE}/app/groups/club/discussions/{thread.body['id']}/replies/{reply.body['id']}",
         REMI + "/inbox")}
    assert all(d["activity"]["type"] == "Delete" and d["activity"]["object"]["type"]
               == "Tombstone" for d in sent if isinstance(d["activity"]["object"], dict)
               and d["sender"] == "ann")
    # and the group relays the comment's deletion to its followers, as for any member's activity
    assert {d["activity"]["type"] for d in sent if d["sender"] == "club"} == {"Announce"}
    # and then her actor is deleted, for both servers, the deletion saying who is gone
    gone = [d for d in sent if d["activity"]["object"] == f"{BASE}/@ann/"]
    assert {(d["activity"]["type"], d["activity"]["actor"], d["sender"], d["inbox"])
            for d in gone} == {("Delete", f"{BASE}/@ann/", "ann", SHARED),
                               ("Delete", f"{BASE}/@ann/", "ann", REMI + "/inbox")}
    assert sent.index(gone[0]) > max(i for i, d in enumerate(sent)
                                     if isinstance(d["activity"]["object"], dict))
    assert "See you there" not in json.dumps(sent) and "I do" not in json.dumps(sent)
    # When she is restored, nothing is sent (a new start for the other servers)
    assert admin.post(f"/api/mod/accounts/{account.id}/restore", {}).status == 200
    stream.drain()
    assert queued() == []


def test_suspending_a_group_deletes_it_for_its_remote_followers_and_members(
        ann: ApiClient) -> None:
    stream = OutboxStream()
    admin = admin_client()
    assert admin.post("/api/mod/groups/club/suspend", {"reason": "scam"}).status == 200
    stream.drain()
    sent = queued()
    assert {(d["activity"]["type"], d["activity"]["object"]["type"], d["inbox"])
            for d in sent} == {("Delete", "Tombstone", SHARED),
                               ("Delete", "Tombstone", REMI + "/inbox")}
    assert all(d["sender"] == "club" for d in sent)
    # When restored, both get the group again
    assert admin.post("/api/mod/groups/club/restore", {}).status == 200
    stream.drain()
    assert {(d["activity"]["type"], d["activity"]["object"]["type"], d["inbox"])
            for d in queued()} == {("Update", "Group", SHARED),
                                   ("Update", "Group", REMI + "/inbox")}
