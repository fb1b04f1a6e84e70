"""Reports and moderators' content actions, through the API and the change stream: a member or
a visitor reports, moderators read the queue, take the content down (410 on the static site) and
decide; every decision is on the audit log; nobody without the role gets in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain import accounts
from affiche.web.ports import ports
from tests.functions.account_support import (
    PASSWORD,
    admin_client,
    logged_in,
    new_client,
)
from tests.functions.api_client import ApiClient
from tests.functions.stream_support import OutboxStream

EVENT = {"title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T16:00",
         "timezone": "Europe/Paris"}


@dataclass
class World:
    stream: OutboxStream
    organiser: ApiClient
    moderator: ApiClient
    admin: ApiClient
    event: str

    def bucket_keys(self) -> list[str]:
        s3 = client("s3")
        found: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=get_settings().site_bucket):
            found += [obj["Key"] for obj in page.get("Contents", [])]
        return found


def moderator_client() -> ApiClient:
    accounts.signup(ports(), email="mo@example.org", password=PASSWORD, username="mo",
                    confirmed=True, role="moderator")
    moderator = new_client()
    assert moderator.post("/api/session", {"email": "mo@example.org",
                                           "password": PASSWORD}).status == 200
    return moderator


@pytest.fixture
def world(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    stream = OutboxStream()
    organiser = logged_in(aws / "mail", monkeypatch)
    assert organiser.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    created = organiser.post("/api/groups/club/events", EVENT)
    assert created.status == 201, created.body
    yield World(stream, organiser, moderator_client(), admin_client(), created.body["uuid"])


def report(who: ApiClient, target: str, **extra: Any) -> Any:
    return who.post("/api/reports", {"target_kind": "event", "target_key": target,
                                     "reason": "spam", **extra})


def test_a_reported_event_is_hidden_by_a_moderator_and_gone_from_the_site(
        world: World, aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world.stream.drain()
    folder = f"events/{world.event}/"
    assert any(k.startswith(folder) and not k.endswith("gone.json") for k in world.bucket_keys())
    # Given a member who reports the event
    reporter = logged_in(aws / "mail", monkeypatch, "bea@example.org", "bea")
    filed = report(reporter, world.event, comment="sells fake tickets")
    assert filed.status == 201, filed.body
    world.stream.drain()
    # Then the moderators are told by mail (the administrator too), without the reporter's address
    from tests.functions.account_support import subjects_to

    for moderator in ("mo@example.org", "root@example.org"):
        assert subjects_to(aws / "mail", moderator) == ["New report on affiche: event (spam)"]
    # When a moderator reads the queue, notes, hides the event and resolves the report
    queue = world.moderator.get("/api/mod/reports?state=open").body
    assert [(r["id"], r["reporter"], r["reason"]) for r in queue["reports"]] == [
        (filed.body["id"], "bea", "spam")]
    path = f"/api/mod/reports/{filed.body['id']}"
    assert world.moderator.post(f"{path}/notes", {"text": "checked the link"}).status == 201
    hidden = world.moderator.post("/api/mod/content/hide", {
        "target_kind": "event", "target_key": world.event, "reason": "scam"})
    assert hidden.status == 200, hidden.body
    assert world.moderator.post(f"{path}/resolve", {"reason": "event hidden"}).status == 200
    world.stream.drain()
    # Then the static event page answers 410 (its tombstone), and the rest of it is gone
    keys = [k for k in world.bucket_keys() if k.startswith(folder)]
    assert keys == [f"{folder}gone.json"]
    # And the moderator still reads what was reported, with the notes
    detail = world.moderator.get(path).body
    assert detail["content"]["title"] == "Picnic" and detail["content"]["deleted"] is True
    assert detail["report"]["state"] == "resolved"
    assert [n["text"] for n in detail["report"]["notes"]] == ["checked the link"]
    # And a resolved report cannot be closed nor resolved again
    assert world.moderator.post(f"{path}/close", {}).status == 409
    assert world.moderator.get("/api/mod/reports").body["reports"] == []
    # And each action is on the audit log, newest first
    log = world.admin.get("/api/mod/audit").body["entries"]
    assert [(e["action"], e["by"], e["reason"]) for e in log] == [
        ("report.resolve", "mo", "event hidden"), ("event.hide", "mo", "scam"),
        ("report.note", "mo", "checked the link")]
    # And the moderator cannot read the audit log (administrators only)
    assert world.moderator.get("/api/mod/audit").status == 403


def test_visitors_report_only_when_the_instance_allows_it(world: World) -> None:
    visitor = new_client()
    refused = report(visitor, world.event, email="someone@example.org")
    assert refused.status == 403 and "anonymous" in refused.body["message"]
    assert world.admin.call("PUT", "/api/mod/settings/anonymous-reports",
                            {"allowed": True}).status == 200
    assert report(visitor, world.event).status == 400  # an email is then required
    assert report(visitor, world.event, email="someone@example.org").status == 201
    assert report(visitor, world.event, reason="boring",
                  email="someone@example.org").status == 400
    assert report(visitor, "no-such-event", email="someone@example.org").status == 404
    listed = world.moderator.get("/api/mod/reports").body["reports"]
    assert [(r["reporter"], r["reporter_email"]) for r in listed] == [
        ("", "someone@example.org")]


def test_moderation_routes_refuse_everyone_without_the_role(world: World, aws: Path) -> None:
    filed = report(world.organiser, world.event)
    assert filed.status == 201
    path = f"/api/mod/reports/{filed.body['id']}"
    calls = [("GET", "/api/mod/reports", None), ("GET", path, None),
             ("POST", f"{path}/notes", {"text": "x"}), ("POST", f"{path}/resolve", {}),
             ("POST", f"{path}/close", {}),
             ("POST", "/api/mod/content/hide", {"target_kind": "event",
                                                "target_key": world.event}),
             ("GET", "/api/mod/audit", None),
             ("PUT", "/api/mod/settings/anonymous-reports", {"allowed": True})]
    for method, route, body in calls:
        assert world.organiser.call(method, route, body).status == 403, route
        assert new_client().call(method, route, body).status == 401, route
    assert world.moderator.get(path).body["report"]["state"] == "open"


def test_a_hidden_comment_is_gone_for_readers_but_not_for_moderators(world: World) -> None:
    # Given a reported comment
    posted = world.organiser.post(f"/api/events/{world.event}/comments", {"text": "Buy pills"})
    assert posted.status == 201, posted.body
    comment = posted.body["id"]
    filed = world.organiser.post("/api/reports", {"target_kind": "comment", "target_key": comment,
                                                  "reason": "spam"})
    assert filed.status == 201, filed.body
    # When a moderator hides it
    assert world.moderator.post("/api/mod/content/hide", {
        "target_kind": "comment", "target_key": comment}).status == 200
    world.stream.drain()
    # Then readers no longer see it, the moderator still reads it, and it is on the log
    listed = world.organiser.get(f"/api/events/{world.event}/comments").body
    assert comment not in str(listed)
    detail = world.moderator.get(f"/api/mod/reports/{filed.body['id']}").body
    assert "Buy pills" in detail["content"]["text_html"]
    assert world.moderator.post("/api/mod/content/hide", {
        "target_kind": "comment", "target_key": comment}).status == 409
    assert [e["action"] for e in world.admin.get("/api/mod/audit").body["entries"]] == [
        "comment.hide"]


def test_moderators_are_found_by_their_role_without_reading_every_account(
        world: World, aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.domain import administration
    from affiche.notify.rules.reports import moderators

    repo = ports().repo

    def no_scan(kind: str) -> list[Any]:
        raise AssertionError(f"scanned every {kind}")

    # Given a moderator, an administrator and a plain member (the organiser)
    monkeypatch.setattr(repo, "all_of_kind", no_scan)
    assert sorted(a.default_profile for a in moderators(repo)) == ["mo", "root"]
    # When the administrator makes the organiser a moderator, then a user again
    admin = repo.account_by_email("root@example.org")
    ann = repo.account_by_email("ann@example.org")
    assert admin is not None and ann is not None
    administration.change_role(ports(), admin, ann.id, "moderator")
    assert sorted(a.default_profile for a in moderators(repo)) == ["ann", "mo", "root"]
    administration.change_role(ports(), admin, ann.id, "user")
    assert sorted(a.default_profile for a in moderators(repo)) == ["mo", "root"]


def test_staff_accounts_written_before_the_role_index_are_indexed_by_the_cli(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    from affiche.cli import main
    from affiche.notify.rules.reports import moderators

    repo = ports().repo
    # Given the moderator's account as an older release stored it (in no listing)
    account = repo.account_by_email("mo@example.org")
    assert account is not None
    client("dynamodb").update_item(
        TableName=get_settings().table_name,
        Key={"pk": {"S": f"ACCOUNT#{account.id}"}, "sk": {"S": "A"}},
        UpdateExpression="REMOVE gsi1pk, gsi1sk")
    assert [a.default_profile for a in moderators(repo)] == ["root"]
    # When the operator runs the one-off command, Then moderators are found again
    assert main(["reindex-staff"]) == 0
    assert "2 moderator and administrator account(s) indexed" in capsys.readouterr().out
    assert sorted(a.default_profile for a in moderators(repo)) == ["mo", "root"]
