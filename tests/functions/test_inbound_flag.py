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
