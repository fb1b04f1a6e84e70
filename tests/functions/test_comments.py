"""Comments on events through the JSON API, and what they publish: the static event page and the
event's ActivityPub `replies`, through the real path (API handler -> DynamoDB -> change stream ->
outbox handler -> bucket), the stream read by the local runner's StreamPoller."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings
from affiche.local.pollers import StreamPoller
from functions.api.handler import lambda_handler as api
from tests.functions.api_client import ApiClient, signed_up
from tests.functions.test_group_public_output import Site, strict_outbox

EVENT = {"title": "Lantern walk", "begins_on": "2031-05-01T18:00", "ends_on": "2031-05-01T21:00",
         "timezone": "Europe/Paris"}


@pytest.fixture
def site(aws: Path, cheap_crypto: None) -> Iterator[Site]:
    poller = StreamPoller(get_settings().table_name, strict_outbox)
    yield Site(poller, aws / "mail")


@pytest.fixture
def ann(site: Site) -> ApiClient:
    """@ann administers the open group @club."""
    client = ApiClient(api)
    signed_up(client, site.maildir, "ann@example.org", "ann")
    answer = client.post("/api/groups", {"name": "club", "display_name": "Club",
                                         "openness": "open"})
    assert answer.status == 201, answer.body
    return client


@pytest.fixture
def bob(site: Site, ann: ApiClient) -> ApiClient:
    client = ApiClient(api)
    signed_up(client, site.maildir, "bob@example.org", "bob")
    return client


def new_event(ann: ApiClient, **fields: Any) -> str:
    answer = ann.post("/api/groups/club/events", {**EVENT, **fields})
    assert answer.status == 201, answer.body
    return str(answer.body["uuid"])


def comment(client: ApiClient, uuid: str, text: str, **fields: Any) -> dict[str, Any]:
    answer = client.post(f"/api/events/{uuid}/comments", {"text": text, **fields})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


def listed(client: ApiClient, uuid: str) -> list[str]:
    answer = client.get(f"/api/events/{uuid}/comments")
    assert answer.status == 200, answer.body
    return [c["text_html"] for c in answer.body["comments"]]


# --- the conversation ---------------------------------------------------------------------------

def test_comment_reply_edit_and_delete_through_the_api(ann: ApiClient, bob: ApiClient) -> None:
    # Given a public event of @club
    uuid = new_event(ann)
    # When @bob (not a member) comments and @ann replies
    first = comment(bob, uuid, "Is it **dog** friendly?")
    reply = comment(ann, uuid, "Yes!", in_reply_to=first["id"])
    # Then everyone, logged in or not, reads both in order, Markdown rendered
    assert listed(ApiClient(api), uuid) == ["<p>Is it <strong>dog</strong> friendly?</p>",
                                             "<p>Yes!</p>"]
    assert reply["in_reply_to"] == first["id"] and first["author"] == "bob"
    # When @bob edits his comment
    edited = bob.call("PUT", f"/api/comments/{first['id']}", {"text": "Are dogs welcome?"})
    assert edited.status == 200 and edited.body["text_html"] == "<p>Are dogs welcome?</p>"
    # Then @ann, although administrator, cannot edit it: only its author can
    refused = ann.call("PUT", f"/api/comments/{first['id']}", {"text": "Cats only"})
    assert refused.status == 403 and "author" in refused.body["message"]
    # And @bob cannot delete @ann's reply, but deletes his own comment
    assert bob.call("DELETE", f"/api/comments/{reply['id']}").status == 403
    assert bob.call("DELETE", f"/api/comments/{first['id']}").status == 200
    assert listed(bob, uuid) == ["<p>Yes!</p>"]
    # And a deleted comment is gone for good
    assert bob.call("PUT", f"/api/comments/{first['id']}", {"text": "back"}).status == 404


def test_organisers_delete_any_comment_and_close_comments(ann: ApiClient, bob: ApiClient) -> None:
    uuid = new_event(ann)
    spam = comment(bob, uuid, "Buy cheap lanterns")
    # When the group's administrator deletes @bob's comment
    assert ann.call("DELETE", f"/api/comments/{spam['id']}").status == 200
    assert listed(ann, uuid) == []
    # When she closes comments, nobody can comment any more
    closed = ann.call("PUT", f"/api/events/{uuid}/comments/settings", {"enabled": False})
    assert closed.status == 200 and closed.body["comments_enabled"] is False
    refused = bob.post(f"/api/events/{uuid}/comments", {"text": "Hello?"})
    assert refused.status == 403 and "closed" in refused.body["message"]
    # And @bob cannot reopen them
    assert bob.call("PUT", f"/api/events/{uuid}/comments/settings",
                    {"enabled": True}).status == 403
    # When she reopens them, he can
    assert ann.call("PUT", f"/api/events/{uuid}/comments/settings",
                    {"enabled": True}).status == 200
    comment(bob, uuid, "Thanks")


def test_private_event_comments_are_for_members_only(ann: ApiClient, bob: ApiClient) -> None:
    uuid = new_event(ann, visibility="private")
    comment(ann, uuid, "Members: bring candles")
    # A non-member can neither read nor write; anonymous visitors neither
    refused = bob.post(f"/api/events/{uuid}/comments", {"text": "Me too"})
    assert refused.status == 403 and "private" in refused.body["message"]
    assert bob.get(f"/api/events/{uuid}/comments").status == 403
    assert ApiClient(api).get(f"/api/events/{uuid}/comments").status == 403
    # Once a member, he can
    assert bob.post("/api/groups/club/join", {}).status in range(200, 300)
    comment(bob, uuid, "I will")
    assert len(listed(bob, uuid)) == 2


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"text": ""}, 400, "must not be empty"),
    ({"text": "   \n  "}, 400, "must not be empty"),
    ({"text": "x" * 5001}, 400, "at most 5000"),
    ({"text": "bell\x07"}, 400, "control characters"),
    ({"text": "hi", "in_reply_to": "nope"}, 400, "in_reply_to"),
    ({"text": 3}, 422, "text"),
    ({"text": "hi", "author": "ann"}, 422, "unknown field"),
    ({}, 422, "required"),
])
def test_bad_comments_get_a_clear_4xx_and_store_nothing(ann: ApiClient, bob: ApiClient,
                                                        body: dict[str, Any], status: int,
                                                        words: str) -> None:
    uuid = new_event(ann)
    answer = bob.post(f"/api/events/{uuid}/comments", body)
    assert answer.status == status and words in answer.body["message"], answer.body
    assert listed(bob, uuid) == []


def test_commenting_needs_a_session_and_an_existing_event(ann: ApiClient, bob: ApiClient) -> None:
    uuid = new_event(ann)
    assert ApiClient(api).post(f"/api/events/{uuid}/comments", {"text": "hi"}).status == 401
    assert bob.post("/api/events/no-such-event/comments", {"text": "hi"}).status == 404
    assert bob.call("DELETE", "/api/comments/no-such-comment").status == 404
    # Nor can one comment as someone else's profile
    answer = bob.post(f"/api/events/{uuid}/comments", {"text": "hi", "profile": "ann"})
    assert answer.status == 403


def test_comments_are_rate_limited(ann: ApiClient, bob: ApiClient) -> None:
    uuid = new_event(ann)
    for n in range(20):
        comment(bob, uuid, f"message {n}")
    flooded = bob.post(f"/api/events/{uuid}/comments", {"text": "one more"})
    assert flooded.status == 429 and int(flooded.headers["Retry-After"]) > 0
    # Others are not affected
    comment(ann, uuid, "Calm down")


# --- what is published --------------------------------------------------------------------------

def test_public_comments_are_on_the_static_page_and_in_the_event_replies(
        site: Site, ann: ApiClient, bob: ApiClient) -> None:
    # Given a public event with a comment (with a script) and a reply
    uuid = new_event(ann)
    first = comment(bob, uuid, "Lovely *idea*<script>alert(1)</script>")
    comment(ann, uuid, "Thanks Bob", in_reply_to=first["id"])
    site.publish()
    # Then the static page shows both, sanitised, threaded, with links to write and reply
    page = site.html(f"events/{uuid}/index.html")
    assert "Lovely <em>idea</em>" in page and "<script>alert" not in page
    assert page.index("Lovely") < page.index("Thanks Bob")
    assert f'href="/app/events/{uuid}/comments#write"' in page
    assert f'/app/events/{uuid}/comments?reply={first["id"]}#write' in page
    assert 'href="/@bob/">@bob</a>' in page
    # And the ActivityPub event carries them as its replies: Notes answering the event or
    # the comment they reply to
    doc = site.json(f"events/{uuid}/index.json")
    replies = doc["replies"]
    assert replies["type"] == "Collection" and replies["totalItems"] == 2
    event_url = f"https://affiche.test/events/{uuid}/"
    note, answer = replies["items"]
    assert note["type"] == "Note" and note["inReplyTo"] == event_url
    assert note["attributedTo"] == "https://affiche.test/@bob/"
    assert "<em>idea</em>" in note["content"] and "script" not in note["content"]
    assert answer["inReplyTo"] == note["id"] and doc["commentsEnabled"] is True
    # And @bob's public outbox lists his comment as a Create of that Note
    notes = [item for item in site.json("@bob/outbox.json")["orderedItems"]
             if isinstance(item["object"], dict) and item["object"].get("type") == "Note"]
    assert [(n["type"], n["object"]["id"]) for n in notes] == [("Create", note["id"])]

    # When @bob deletes his comment
    assert bob.call("DELETE", f"/api/comments/{first['id']}").status == 200
    site.publish()
    # Then it disappears from the page and the document; the reply stays under a placeholder
    page = site.html(f"events/{uuid}/index.html")
    assert "Lovely" not in page and "Thanks Bob" in page and "was deleted" in page
    doc = site.json(f"events/{uuid}/index.json")
    assert [n["content"] for n in doc["replies"]["items"]] == ["<p>Thanks Bob</p>"]
    # and his outbox records a Delete of a Tombstone, without the text
    outbox = site.json("@bob/outbox.json")
    assert outbox["orderedItems"][0]["type"] == "Delete"
    assert outbox["orderedItems"][0]["object"] == {"id": note["id"], "type": "Tombstone"}
    assert "Lovely" not in json.dumps(outbox)  # the earlier Create no longer carries it

    # When comments are closed, the page and the document say so
    ann.call("PUT", f"/api/events/{uuid}/comments/settings", {"enabled": False})
    site.publish()
    assert "Comments are closed" in site.html(f"events/{uuid}/index.html")
    assert site.json(f"events/{uuid}/index.json")["commentsEnabled"] is False


def test_comments_of_a_private_event_are_never_published(site: Site, ann: ApiClient) -> None:
    uuid = new_event(ann, visibility="private")
    comment(ann, uuid, "Secret meeting point: the old mill")
    site.publish()
    written = site.keys()
    assert not any(b"old mill" in site.body(key) for key in written)
    assert not any(uuid in key for key in written)


def test_a_remote_reply_becomes_a_comment_with_its_own_note_id(site: Site, ann: ApiClient) -> None:
    """What federation does with a `Create{Note}` answering our event: the remote actor is an
    Actor named by its id, and the Note keeps its id and page."""
    from datetime import UTC, datetime

    from affiche.domain import comments
    from affiche.domain.errors import PermissionDenied
    from affiche.domain.model import Actor
    from affiche.web.ports import ports

    uuid = new_event(ann)
    zoe = Actor(name="https://remote.example/users/zoe", type="Person", display_name="Zoe",
                created_at=datetime.now(UTC))
    note_id = "https://remote.example/notes/1"
    made = comments.post_comment(ports(), zoe, uuid, "Count me in", ap_id=note_id,
                                 url="https://remote.example/@zoe/1")
    assert made.author == zoe.name
    site.publish()
    item = site.json(f"events/{uuid}/index.json")["replies"]["items"][0]
    assert (item["id"], item["attributedTo"]) == (note_id, zoe.name)
    assert 'href="https://remote.example/@zoe/1"' in site.html(f"events/{uuid}/index.html")
    # Only she can edit it (a remote Update), and a private event stays closed to her
    with pytest.raises(PermissionDenied):
        comments.post_comment(ports(), zoe, new_event(ann, visibility="private"), "Me too")
    edited = comments.edit_comment(ports(), zoe, made.id, "Count me in twice")
    assert edited.text_html == "<p>Count me in twice</p>"
