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
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    stream.drain()
    queued()
    admin = admin_client()
    assert admin.post("/api/mod/groups/club/suspend", {"reason": "scam"}).status == 200
    stream.drain()
    assert bucket_keys("@club/") == ["@club/gone.json"]
    assert bucket_keys(f"events/{uuid}/") == [f"events/{uuid}/gone.json"]
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
    # and its pages and its events' pages answer again (the 410 markers are lifted)
    assert "@club/gone.json" not in bucket_keys("@club/")
    assert bucket_keys(f"events/{uuid}/") == [f"events/{uuid}/{name}" for name in
                                              ("event.ics", "index.html", "index.json")]


def bucket_keys(prefix: str) -> list[str]:
    s3 = client("s3")
    answer = s3.list_objects_v2(Bucket=get_settings().site_bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in answer.get("Contents", []))


def mentioning(needle: str) -> set[str]:
    """Every file of the public bucket whose content names `needle`."""
    s3, bucket = client("s3"), get_settings().site_bucket
    found = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            if needle.encode() in body:
                found.add(obj["Key"])
    return found


def test_a_hidden_event_restored_by_a_moderator_comes_back_everywhere(
        ann: ApiClient, aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.publish import cdn, gone_index
    from functions.outbox import handler
    from tests.functions.test_moderation import moderator_client

    edge = gone_index.RecordingGoneIndex()  # what the CDN's gone-path store would hold
    monkeypatch.setattr(handler, "gone_index", lambda: edge)
    invalidations = cdn.RecordingInvalidator()
    monkeypatch.setattr(cdn, "invalidator", lambda: invalidations)
    stream = OutboxStream()
    # Given a public event of @club, with a comment, sent to the group's followers
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    comment = ann.post(f"/api/events/{uuid}/comments", {"text": "Bring bread"}).body["id"]
    stream.drain()
    queued()
    folder = f"events/{uuid}/"
    published = mentioning(uuid)  # its page, the group's page and feeds, sitemaps, agenda...
    assert {f"{folder}index.html", "@club/feed.atom", "@club/feed.ics"} <= published
    # And a moderator hid the event and the comment
    moderator = moderator_client()
    for kind, key in (("event", uuid), ("comment", comment)):
        assert moderator.post("/api/mod/content/hide", {"target_kind": kind, "target_key": key,
                                                        "reason": "looked like spam"}).status == 200
    stream.drain()
    assert bucket_keys(folder) == [f"{folder}gone.json"]
    # Then nothing public shows it any more (feeds, sitemaps for search engines, lists): only
    # its tombstone and the outboxes' Delete activities name it
    assert mentioning(uuid) == {f"{folder}gone.json", "@club/outbox.json", "@ann/outbox.json"}
    assert mentioning("Picnic") == mentioning("Bring bread") == set()
    assert f"events/{uuid}" in edge.puts
    assert {d["activity"]["type"] for d in queued()} >= {"Delete"}
    assert b"Picnic" not in client("s3").get_object(
        Bucket=get_settings().site_bucket, Key="@club/index.html")["Body"].read()
    # When the moderator restores them (only what moderators hid can be restored)
    restored = moderator.post("/api/mod/content/restore", {
        "target_kind": "event", "target_key": uuid, "reason": "a real picnic after all"})
    assert restored.status == 200, restored.body
    assert moderator.post("/api/mod/content/restore", {
        "target_kind": "comment", "target_key": comment}).status == 200
    again = moderator.post("/api/mod/content/restore", {"target_kind": "event",
                                                        "target_key": uuid})
    assert again.status == 200 and again.body["changed"] is False  # already back
    invalidations.batches.clear()
    stream.drain()
    # Then the static page is back and answers 200 again: the 410 marker is gone, from the
    # bucket and from the CDN's gone-path store, and the CDN is told to drop its copies
    assert f"{folder}index.html" in bucket_keys(folder)
    assert f"{folder}gone.json" not in bucket_keys(folder)
    assert f"events/{uuid}" not in edge.puts and f"events/{uuid}" in edge.removed
    assert f"/{folder}gone.json" in [p for batch in invalidations.batches for p in batch]
    page = client("s3").get_object(Bucket=get_settings().site_bucket,
                                   Key=f"{folder}index.html")["Body"].read()
    assert b"Picnic" in page and b"Bring bread" in page
    assert mentioning(uuid) == published  # in the feeds, sitemaps and lists again
    assert b"Picnic" in client("s3").get_object(
        Bucket=get_settings().site_bucket, Key="@club/index.html")["Body"].read()
    # and the group's followers are sent the event and the comment again, as new objects
    sent = queued()
    created = {(d["activity"]["object"]["type"], d["inbox"]) for d in sent
               if d["activity"]["type"] == "Create"}
    assert created == {("Event", SHARED), ("Note", SHARED)}
    # and the organiser is not mailed about a "new" comment
    from tests.functions.account_support import subjects_to

    assert not [s for s in subjects_to(aws / "mail", "ann@example.org") if "comment" in s]
    # and both restorations are on the audit log
    log = admin_client().get("/api/mod/audit").body["entries"]
    assert [(e["action"], e["reason"]) for e in log][:2] == [
        ("comment.restore", ""), ("event.restore", "a real picnic after all")]


def test_content_its_author_deleted_cannot_be_restored_by_moderators(ann: ApiClient) -> None:
    from tests.functions.test_moderation import moderator_client

    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    assert ann.call("DELETE", f"/api/events/{uuid}").status in {200, 204}
    refused = moderator_client().post("/api/mod/content/restore", {"target_kind": "event",
                                                                   "target_key": uuid})
    assert refused.status == 409 and "deleted by its author" in refused.body["message"]
    assert ann.post("/api/mod/content/restore", {"target_kind": "event",
                                                 "target_key": uuid}).status == 403


def test_a_suspended_persons_private_calendar_link_stops_answering(ann: ApiClient) -> None:
    # Given Ann's private calendar link, working
    url = ann.post("/api/me/calendar-feed", {}).body["url"]
    path = url[url.index("/api/feeds/"):]
    assert ann.get(path).status == 200
    # When her account is suspended, Then the link answers 404 like a revoked one
    admin = admin_client()
    account = ports().repo.account_by_email("ann@example.org")
    assert account is not None
    assert admin.post(f"/api/mod/accounts/{account.id}/suspend", {}).status == 200
    assert ann.get(path).status == 404
    # and works again once she is restored (the link was hers; nothing to make again)
    assert admin.post(f"/api/mod/accounts/{account.id}/restore", {}).status == 200
    assert ann.get(path).status == 200


def test_a_suspended_persons_comments_and_replies_are_out_of_sight_until_restored(
        ann: ApiClient, aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given Bob, a member of @club, and Ann's comment and discussion reply
    bob = logged_in(aws / "mail", monkeypatch, "bob@example.org", "bob")
    now = datetime.now(UTC)
    ports().repo.commit(ChangeSet().put(Membership(group="club", member="bob", role="member",
                                                   created_at=now, updated_at=now)))
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    assert ann.post(f"/api/events/{uuid}/comments", {"text": "See you there"}).status == 201
    thread = ann.post("/api/groups/club/discussions", {"title": "Food", "text": "Who cooks?"})
    assert ann.post(f"/api/discussions/{thread.body['id']}/replies",
                    {"text": "I do"}).status == 201
    assert "I do" in json.dumps(bob.get(f"/api/discussions/{thread.body['id']}").body)
    # When an administrator suspends her profile
    admin = admin_client()
    assert admin.post("/api/mod/profiles/ann/suspend", {}).status == 200
    # Then Bob reads neither her comment nor her words in the discussion
    listed = bob.get(f"/api/events/{uuid}/comments").body["comments"]
    assert listed == []
    shown = json.dumps(bob.get(f"/api/discussions/{thread.body['id']}").body)
    assert "I do" not in shown and "Who cooks?" not in shown
    # When she is restored, Then both are back
    assert admin.post("/api/mod/profiles/ann/restore", {}).status == 200
    assert [c["text_html"] for c in bob.get(f"/api/events/{uuid}/comments").body["comments"]
            ] == ["<p>See you there</p>"]
    assert "I do" in json.dumps(bob.get(f"/api/discussions/{thread.body['id']}").body)


def test_a_hidden_post_comes_back_when_restored(ann: ApiClient) -> None:
    from tests.functions.test_moderation import moderator_client

    stream = OutboxStream()
    # Given a public post of @club, sent to its followers
    made = ann.post("/api/groups/club/posts", {"title": "Big news", "body": "We moved"})
    assert made.status == 201, made.body
    slug = made.body["slug"]
    stream.drain()
    assert [d["activity"]["type"] for d in queued()] == ["Create"]
    # When a moderator hides it
    moderator = moderator_client()
    target = {"target_kind": "post", "target_key": slug}
    assert moderator.post("/api/mod/content/hide", target).status == 200
    stream.drain()
    # Then its page answers 410, its followers are sent a Delete, the group's page drops it
    assert bucket_keys(f"p/{slug}/") == [f"p/{slug}/gone.json"]
    assert [(d["activity"]["type"], d["activity"]["object"]["type"]) for d in queued()] == [
        ("Delete", "Tombstone")]
    assert mentioning("Big news") == set()
    # When restored, Then the page is back, the followers get it as a new Article
    assert moderator.post("/api/mod/content/restore", target).status == 200
    stream.drain()
    assert bucket_keys(f"p/{slug}/") == [f"p/{slug}/index.html", f"p/{slug}/index.json"]
    assert [(d["activity"]["type"], d["activity"]["object"]["type"]) for d in queued()] == [
        ("Create", "Article")]
    assert "@club/index.html" in mentioning("Big news")


def test_deleting_an_account_deletes_its_notes_and_its_actor_where_they_went(
        aws: Path, ann: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given Bob, a member of Ann's club, who commented on its event and replied in a discussion
    from affiche.activitypub.delivery_consumer import store_signer_for

    stream = OutboxStream()
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    thread = ann.post("/api/groups/club/discussions", {"title": "Food", "text": "Who cooks?"})
    bob = logged_in(aws / "mail", monkeypatch, "bob@example.org", "bob")
    now = datetime.now(UTC)
    ports().repo.commit(ChangeSet().put(Membership(group="club", member="bob", role="member",
                                                   created_at=now, updated_at=now)))
    comment = bob.post(f"/api/events/{uuid}/comments", {"text": "See you there"}).body["id"]
    reply = bob.post(f"/api/discussions/{thread.body['id']}/replies", {"text": "I do"})
    assert reply.status == 201, reply.body
    stream.drain()
    queued()
    # When Bob deletes his account
    assert bob.call("DELETE", "/api/me", {"password": "correct horse battery"}).status == 200
    stream.drain()
    # Then the servers that received his Notes are told to delete them, and then him, as
    # Mastodon does for a deleted account
    sent = [d for d in queued() if d["sender"] == "bob"]
    deletes = {(d["activity"]["object"]["id"], d["inbox"]) for d in sent
               if isinstance(d["activity"]["object"], dict)}
    assert deletes == {
        (f"{BASE}/events/{uuid}/#comment-{comment}", SHARED),
        (f"{BASE}/app/groups/club/discussions/{thread.body['id']}/replies/{reply.body['id']}",
         REMI + "/inbox")}
    gone = {(d["activity"]["type"], d["activity"]["actor"], d["inbox"]) for d in sent
            if d["activity"]["object"] == f"{BASE}/@bob/"}
    assert gone == {("Delete", f"{BASE}/@bob/", SHARED), ("Delete", f"{BASE}/@bob/",
                                                         REMI + "/inbox")}
    # ... which can still be signed with his key when they go out (it expires days later)
    assert store_signer_for()("bob") is not None
    # ... while his profile's pages say it is gone
    assert bob.get("/api/actors/bob").status in (404, 410)
