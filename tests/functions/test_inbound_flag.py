"""Reports from other servers: a `Flag` (Mastodon's, from its instance actor) about content of
ours becomes a report in the moderators' queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.functions.account_support import logged_in
from tests.functions.test_inbound_fixtures import anyone  # noqa: F401 - the fixture
from tests.functions.test_inbox import Consumer, deliver, records
from tests.functions.test_moderation import EVENT, moderator_client

FLAG = json.loads((FIXTURES / "mastodon" / "flag.json").read_text())
ACTOR = FLAG["actor"]


def test_a_mastodon_flag_about_our_event_becomes_a_report(
        anyone: None, aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    # Given an event of ours, and the inbox consumer running
    ann = logged_in(aws / "mail", monkeypatch)
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    consumer = Consumer()
    # When a Mastodon instance actor flags the organiser and the event
    flag = {**FLAG, "object": ["https://affiche.test/@ann/",
                               f"https://affiche.test/events/{uuid}/"]}
    status, answer = deliver(flag, path="/inbox", key_id=f"{ACTOR}#main-key",
                             key_name="fixtures")
    assert status == 202, answer
    consumer.drain()
    assert [r["state"] for r in records()] == ["processed"]
    # Then the moderators find a report about the event, by the remote actor, with its text
    (report,) = moderator_client().get("/api/mod/reports").body["reports"]
    assert (report["target_kind"], report["target_key"], report["reporter"]) == (
        "event", uuid, ACTOR)
    assert report["comment"].startswith("Please take a look at this user and their posts")
    assert "https://affiche.test/@ann/" in report["comment"]
    assert report["remote_activity_id"] == FLAG["id"]


def test_a_flag_naming_nothing_of_ours_is_ignored(anyone: None) -> None:  # noqa: F811
    consumer = Consumer()
    status, _ = deliver(FLAG, path="/inbox", key_id=f"{ACTOR}#main-key", key_name="fixtures")
    assert status == 202
    consumer.drain()
    (record,) = records()
    assert record["state"] == "ignored" and "nothing of ours" in record["reason"]


def test_a_moderator_forwards_a_report_about_a_remote_account_as_a_flag(
        anyone: None, aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from affiche.activitypub.actors import resolve_actor
    from affiche.aws import client
    from affiche.config import get_settings
    from affiche.web.ports import ports
    from tests.functions.stream_support import OutboxStream

    # Given a remote account known here, reported by a member
    stream = OutboxStream()
    remote = "https://remote.example/users/spammer"
    resolve_actor(ports().repo, remote)
    bea = logged_in(aws / "mail", monkeypatch, "bea@example.org", "bea")
    filed = bea.post("/api/reports", {"target_kind": "actor", "target_key": remote,
                                      "reason": "spam", "comment": "ads everywhere"})
    assert filed.status == 201, filed.body
    stream.drain()
    # When a moderator forwards it (once: a second time is refused)
    moderator = moderator_client()
    path = f"/api/mod/reports/{filed.body['id']}/forward"
    assert moderator.post(path, {}).status == 202
    assert moderator.post(path, {}).status == 409
    stream.drain()
    # Then a Flag from the instance actor, naming the account but not the reporter, is queued
    queue = get_settings().delivery_queue_url
    messages = client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    flags = [b for b in bodies if b["activity"]["type"] == "Flag"]
    assert len(flags) == 1
    (flag,) = flags
    assert flag["sender"] == "" and flag["activity"]["actor"] == "https://affiche.test/actor"
    assert flag["activity"]["object"] == [remote]
    assert flag["activity"]["content"] == "ads everywhere" and "bea" not in json.dumps(flag)
    # And the forwarding is on the audit log
    from tests.functions.account_support import admin_client

    log = admin_client().get("/api/mod/audit").body["entries"]
    assert [e["action"] for e in log] == ["report.forward"]
