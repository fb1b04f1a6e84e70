"""Instance administration through /api/mod: suspending and restoring accounts, profiles and
groups, the federation policy (block with purge, allow-list), instance settings, the lists and
the dashboard. Effects are read where people notice them: login, sessions, the static output
(410 Gone markers), NodeInfo, the inbox and the delivery queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings
from affiche.domain.model import Account, Actor, Comment, Event, Follow
from affiche.domain.ports import ChangeSet
from affiche.publish.renderer import Renderer
from affiche.store.repository import DynamoRepository
from affiche.web.ports import ports
from tests.functions.account_support import (
    PASSWORD,
    admin_client,
    logged_in,
    new_client,
)
from tests.functions.api_client import ApiClient
from tests.functions.stream_support import OutboxStream

EVENT = {"title": "Walk", "begins_on": "2031-05-01T10:00", "ends_on": "2031-05-01T12:00",
         "timezone": "Europe/Paris"}
REMOTE = "https://spam.example/users/eve"


@pytest.fixture
def admin(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    from affiche.activitypub import blocklist

    blocklist.forget_cache()
    return admin_client()


def account_id(email: str) -> str:
    account = ports().repo.account_by_email(email)
    assert account is not None
    return account.id


def renderer() -> Renderer:
    return Renderer(get_settings(), DynamoRepository(), datetime.now(UTC))


def keys(output: Any) -> list[str]:
    return [f.key for f in output.files]


def test_suspending_an_account_ends_its_sessions_refuses_login_and_removes_its_pages(
        admin: ApiClient, mail: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given Ann, logged in, with a published profile
    ann = logged_in(mail, monkeypatch)
    stream = OutboxStream()
    assert keys(renderer().actor("ann"))[0].startswith("@ann/")
    # When an administrator suspends her account
    answer = admin.post(f"/api/mod/accounts/{account_id('ann@example.org')}/suspend",
                        {"reason": "spam"})
    assert answer.status == 200 and answer.body["suspended"] is True
    stream.drain()
    # Then her open session no longer works, and logging in is refused with why
    assert ann.get("/api/me").status == 401
    login = new_client().post("/api/session", {"email": "ann@example.org", "password": PASSWORD})
    assert login.status == 403 and "suspended by the instance's administrators" in (
        login.body["message"])
    # and her profile page answers 410 Gone (only the Tombstone marker is left)
    assert keys(renderer().actor("ann")) == ["@ann/gone.json"]
    # When she is restored, Then she can log in again and her page is back
    restored = admin.post(f"/api/mod/accounts/{account_id('ann@example.org')}/restore", {})
    assert restored.status == 200 and restored.body["suspended"] is False
    assert new_client().post("/api/session", {"email": "ann@example.org",
                                              "password": PASSWORD}).status == 200
    assert "@ann/index.html" in keys(renderer().actor("ann"))
    # and both actions are on the audit log
    actions = [e.action for e in ports().repo.audit_entries(limit=10)]
    assert {"account.suspend", "account.restore"} <= set(actions)


def test_a_suspended_profile_cannot_act_and_its_comments_leave_the_event_page(
        admin: ApiClient, mail: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ann = logged_in(mail, monkeypatch)
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    assert ann.post(f"/api/events/{uuid}/comments", {"text": "Buy cheap pills"}).status == 201
    assert admin.post("/api/mod/profiles/ann/suspend", {}).status == 200
    page = next(f for f in renderer().event(uuid).files if f.key.endswith("index.html"))
    assert b"Buy cheap pills" not in page.body
    refused = ann.post(f"/api/events/{uuid}/comments", {"text": "again"})
    assert refused.status == 403 and "suspended" in refused.body["message"]
    assert admin.post("/api/mod/profiles/ann/restore", {}).status == 200
    page = next(f for f in renderer().event(uuid).files if f.key.endswith("index.html"))
    assert b"Buy cheap pills" in page.body


def test_suspending_a_group_turns_its_pages_and_events_into_410_and_tells_its_followers(
        admin: ApiClient, mail: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.activitypub import fanout
    from affiche.activitypub.vocabulary import Urls
    from affiche.publish import artifacts

    ann = logged_in(mail, monkeypatch)
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    repo = ports().repo
    now = datetime.now(UTC)
    repo.commit(ChangeSet().put(
        Actor(name=REMOTE, type="Person", display_name="Eve", created_at=now,
              inbox=REMOTE + "/inbox", domain="spam.example"),
        Follow(follower=REMOTE, followed="club", created_at=now)))
    # When an administrator suspends the group
    assert admin.post("/api/mod/groups/club/suspend", {"reason": "scam"}).status == 200
    [activity] = [a for a in repo.all_of_kind("activity")
                  if a.object_kind == "actor" and a.object_key == "club" and a.type == "Update"]
    # Then the outbox re-renders its content: every page of it answers 410
    touched = artifacts.touched_by(activity)
    assert ("group_content", "club") in touched
    output = artifacts.render(renderer(), touched)
    assert "@club/gone.json" in keys(output) and f"events/{uuid}/gone.json" in keys(output)
    assert f"events/{uuid}/index.html" in output.deletes
    assert b"Walk" not in next(f for f in output.files if f.key == "index.html").body
    # and its remote followers are sent a Delete of the group
    [delivery] = fanout.plan(activity, repo, Urls("https://affiche.test"))
    assert delivery.activity["type"] == "Delete" and delivery.inboxes == (REMOTE + "/inbox",)
    assert delivery.activity["actor"] == "https://affiche.test/@club/"
    # When restored, its pages come back
    assert admin.post("/api/mod/groups/club/restore", {}).status == 200
    assert f"events/{uuid}/index.html" in keys(renderer().group_content("club"))


def test_blocking_a_domain_purges_its_actors_and_refuses_inbox_and_deliveries(
        admin: ApiClient, mail: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.activitypub import blocklist
    from affiche.activitypub.delivery import enqueue
    from affiche.activitypub.inbox import InboundRequest, Inbox
    from affiche.activitypub.remote_events import event_from_object

    ann = logged_in(mail, monkeypatch)
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    repo = ports().repo
    now = datetime.now(UTC)
    repo.commit(ChangeSet().put(
        Actor(name=REMOTE, type="Person", display_name="Eve", created_at=now,
              inbox=REMOTE + "/inbox", domain="spam.example"),
        Follow(follower=REMOTE, followed="club", created_at=now),
        Comment(id="c1", event=uuid, author=REMOTE, text_source="spam", text_html="<p>spam</p>",
                created_at=now, updated_at=now),
        event_from_object({"id": "https://spam.example/events/1", "type": "Event",
                           "name": "Spam fair", "startTime": "2031-01-01T10:00:00Z"},
                          "https://spam.example/@fair", now)))
    # When an administrator blocks the domain
    answer = admin.post("/api/mod/domains/blocked", {"domain": "https://spam.example/"})
    assert answer.status == 200, answer.body
    assert answer.body["purged"] == {"actors": 1, "comments": 1, "events": 1}
    # Then what we held of it is gone
    assert repo.get(Actor, REMOTE) is None
    assert repo.get(Event, "https://spam.example/events/1") is None
    assert repo.followers_of("club") == []
    comment = repo.get(Comment, "c1")
    assert comment is not None and comment.deleted and comment.text_html == ""
    # and the inbox refuses it before anything else
    request = InboundRequest("POST", "/inbox", {}, json.dumps(
        {"id": REMOTE + "#1", "type": "Follow", "actor": REMOTE,
         "object": "https://affiche.test/@club"}).encode())
    assert Inbox().receive(request).status == 403
    # and nothing is queued for it
    sent: list[str] = []

    class Queue:
        def send(self, bodies: list[str], delay_seconds: int = 0) -> None:
            sent.extend(bodies)

    assert enqueue({"type": "Note"}, sender="club", inboxes=[REMOTE + "/inbox",
                                                            "https://ok.example/inbox"],
                   queue=Queue()) == 1
    assert "ok.example" in sent[0]
    assert admin.get("/api/mod/domains").body["blocked"] == ["spam.example"]
    # When it is unblocked and the instance switches to an allow-list without it
    assert admin.call("DELETE", "/api/mod/domains/blocked/spam.example").status == 200
    assert admin.post("/api/mod/domains/allowed", {"domain": "friends.example"}).status == 200
    assert admin.call("PUT", "/api/mod/federation-mode",
                      {"federation_mode": "allowlist"}).status == 200
    # Then only the listed server federates
    assert blocklist.refusal("spam.example") is not None
    assert blocklist.refusal("friends.example") is None
    refused = Inbox().receive(request)
    assert refused.status == 403 and refused.body["error"] == "domain_not_allowed"
    bad = admin.post("/api/mod/domains/blocked", {"domain": "not a domain"})
    assert bad.status == 400 and "domain name" in bad.body["message"]


def test_settings_are_edited_and_republish_nodeinfo(admin: ApiClient, mail: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.publish import artifacts

    answer = admin.call("PATCH", "/api/mod/instance", {
        "name": "Neighbours", "rules": "Be kind.", "group_creation": "admins",
        "anonymous_reports": False, "contact_email": "mods@example.org",
        "registration_mode": "invite_only"})
    assert answer.status == 200, answer.body
    assert admin.get("/api/mod/instance").body["name"] == "Neighbours"
    assert admin.get("/api/mod/instance").body["registration_mode"] == "invite_only"
    assert admin.call("PATCH", "/api/mod/instance", {"registration_mode": "open"}).status == 200
    wrong_mode = admin.call("PATCH", "/api/mod/instance", {"registration_mode": "sometimes"})
    assert wrong_mode.status == 400
    activity = next(a for a in ports().repo.all_of_kind("activity") if a.object_kind == "instance")
    output = artifacts.render(renderer(), artifacts.touched_by(activity))
    nodeinfo = next(f for f in output.files if f.key == "nodeinfo/2.1.json")
    assert json.loads(nodeinfo.body)["metadata"]["nodeName"] == "Neighbours"
    # Only administrators create groups now
    ann = logged_in(mail, monkeypatch)
    refused = ann.post("/api/groups", {"name": "club", "display_name": "Club"})
    assert refused.status == 403 and "only administrators create groups" in refused.body["message"]
    assert admin.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    wrong = admin.call("PATCH", "/api/mod/instance", {"group_creation": "everyone"})
    assert wrong.status == 400


def test_lists_search_roles_and_dashboard(admin: ApiClient, mail: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ann = logged_in(mail, monkeypatch)
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    found = admin.get("/api/mod/accounts?q=ann").body
    assert [a["email"] for a in found["accounts"]] == ["ann@example.org"]
    detail = admin.get(f"/api/mod/accounts/{found['accounts'][0]['id']}").body
    assert detail["groups"] == [{"group": "club", "role": "creator"}]
    assert [p["name"] for p in admin.get("/api/mod/groups?q=clu").body["groups"]] == ["club"]
    assert "ann" in [p["name"] for p in admin.get("/api/mod/profiles").body["profiles"]]
    role = admin.call("PUT", f"/api/mod/accounts/{found['accounts'][0]['id']}/role",
                      {"role": "moderator"})
    assert role.status == 200 and role.body["role"] == "moderator"
    account = ports().repo.get(Account, found["accounts"][0]["id"])
    assert account is not None and account.role == "moderator"
    counts = admin.get("/api/mod/dashboard").body
    assert counts["accounts"] == 2 and counts["groups"] == 1 and counts["open_reports"] == 0
    assert {"events", "known_instances", "followers", "delivery_queue",
            "dead_letters"} <= set(counts)
    # and a moderator is not an administrator
    assert ann.get("/api/mod/dashboard").status == 403


def test_rules_edited_online_are_published_as_the_static_page(admin: ApiClient) -> None:
    from affiche.publish import artifacts

    assert admin.call("PATCH", "/api/mod/instance",
                      {"rules": "## Be kind\n\n<script>x()</script>No spam."}).status == 200
    [activity] = [a for a in ports().repo.all_of_kind("activity") if a.object_kind == "instance"]
    output = artifacts.render(renderer(), artifacts.touched_by(activity))
    rules = next(f for f in output.files if f.key == "rules/index.html")
    assert b"<h2>Be kind</h2>" in rules.body and b"<script>" not in rules.body
    # the untouched about page keeps content/'s text; terms, never written, has no page
    about = next(f for f in output.files if f.key == "about/index.html")
    assert b"small home on the web" in about.body
    assert "terms/index.html" in output.deletes
