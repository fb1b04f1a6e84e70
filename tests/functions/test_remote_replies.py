"""Replies from the fediverse become comments, and our people's comments federate.

Through the real inbox and the stream consumer that runs the handlers and re-renders the static
site (tests/functions/test_group_federation.py's `deliver`), with Mastodon's real payloads
(fixtures/mastodon: a reply `Create{Note}`, `Update{Note}`, `Delete{Tombstone}`) re-addressed to
our event and signed by remote.example's test keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from affiche.activitypub.fanout import fan_out, plan
from affiche.config import get_settings
from affiche.domain import comments, events
from affiche.domain.model import Actor, Comment
from affiche.store.repository import DynamoRepository
from tests.conftest import load_fixture
from tests.functions.test_group_federation import (  # noqa: F401  (fixtures)
    ALICE,
    BOB,
    CAROL,
    EVENT,
    SHARED_INBOX,
    URLS,
    Queue,
    _consumer,
    _followed_by_three,
    ann,
    deliver,
    deliver_as,
    inbound_consumer,
    latest,
    ports,
    world,
)
from tests.functions.test_group_public_output import Site
from tests.functions.test_inbox import instance, remote  # noqa: F401  (fixtures)

NOTE_ID = f"{ALICE}/statuses/99512778738411822"
MENTION = ('<span class="h-card"><a href="https://affiche.test/@club/" class="u-url mention">'
           '@<span>club</span></a></span>')


def reply(in_reply_to: str, content: str, note_id: str = NOTE_ID) -> dict[str, Any]:
    """Mastodon's reply `Create{Note}`, by alice, answering `in_reply_to`."""
    activity = load_fixture("mastodon/mastodon-post-activity.json")
    note = {**activity["object"], "id": note_id, "attributedTo": ALICE, "inReplyTo": in_reply_to,
            "content": content, "url": f"https://remote.example/@alice/{note_id[-4:]}",
            "cc": [f"{ALICE}/followers", "https://affiche.test/@club/"]}
    note.pop("sensitive")
    note.pop("summary")  # not a content warning here
    return {**activity, "id": f"{note_id}/activity", "actor": ALICE, "object": note}


def update(content: str, note_id: str = NOTE_ID) -> dict[str, Any]:
    activity = load_fixture("mastodon/update-note.json")
    return {**activity, "id": f"{note_id}#updates/1", "actor": ALICE,
            "object": {**activity["object"], "id": note_id, "attributedTo": ALICE,
                       "content": content}}


def delete(actor: str = ALICE, note_id: str = NOTE_ID) -> dict[str, Any]:
    activity = load_fixture("mastodon/delete-tombstone.json")
    activity.pop("signature")
    return {**activity, "id": f"{note_id}#delete", "actor": actor,
            "object": {**activity["object"], "id": note_id, "atomUri": note_id}}


@pytest.fixture
def given(request: pytest.FixtureRequest) -> Any:
    """@club here (@ann its admin), alice, bob and carol on remote servers (the `world`)."""
    return request.getfixturevalue("world")


@pytest.fixture
def site(given: Any, aws: Path) -> Site:
    return Site(_consumer[0].poller, aws / "mail")


def ann_actor() -> Actor:
    found = DynamoRepository().get(Actor, "ann")
    assert found is not None
    return found


def public_event(**fields: Any) -> str:
    return events.create_event(ports(), ann(), "club",
                               events.EventInput(**{**EVENT.__dict__, **fields})).uuid


def live_comments(uuid: str) -> list[Comment]:
    return [c for c in DynamoRepository().comments_of_event(uuid) if not c.deleted]


# --- a Mastodon reply to our event -----------------------------------------------------------

def test_a_mastodon_reply_becomes_a_comment_then_is_edited_and_deleted(site: Site) -> None:
    # Given a public event of @club
    uuid = public_event()
    event_url = URLS.event(uuid)
    # When alice answers it from Mastodon (with a mention, markup and a script)
    status, body = deliver(reply(event_url, f"<p>{MENTION} Can I bring my <b>kid</b>'s bike? "
                                            "*yes*<script>alert(1)</script></p>"))
    # Then the reply is a comment of the event, by alice, keeping her Note's id and page
    assert (status, body["status"]) == (202, "accepted"), body
    (comment,) = live_comments(uuid)
    assert comment.author == ALICE and comment.ap_id == NOTE_ID
    assert comment.url == "https://remote.example/@alice/1822"
    # written as she wrote it: the text, no markup of hers nor Markdown of ours
    assert comment.text_html == "<p>@club Can I bring my kid's bike? *yes*</p>"
    # And the static event page shows it, and the event's AS2 `replies` carry her Note
    page = site.html(f"events/{uuid}/index.html")
    assert "Can I bring my kid&#x27;s bike?" in page or "Can I bring my kid's bike?" in page
    assert "<script>alert" not in page
    # signed with her handle, linking to her toot
    assert ('<a href="https://remote.example/@alice/1822" rel="nofollow noopener">'
            '@alice@remote.example</a>') in page
    items = site.json(f"events/{uuid}/index.json")["replies"]["items"]
    assert [(n["id"], n["attributedTo"], n["inReplyTo"]) for n in items] == [
        (NOTE_ID, ALICE, event_url)]
    # (and alice, a remote actor, gets no files of her own here: no outbox, no profile)
    published = site.keys()
    assert [key for key in published if "remote.example" in key] == []

    # When she edits it on Mastodon (Mastodon's Update{Note})
    status, body = deliver(update("<p>Can I bring two bikes?</p>"))
    # Then the comment, the page and the document say the new text
    assert body["status"] == "accepted", body
    assert [c.text_html for c in live_comments(uuid)] == ["<p>Can I bring two bikes?</p>"]
    assert "two bikes" in site.html(f"events/{uuid}/index.html")
    assert "kid" not in json.dumps(site.json(f"events/{uuid}/index.json"))

    # When she deletes it (Mastodon's Delete{Tombstone})
    status, body = deliver(delete())
    # Then it is gone from everything we publish
    assert body["status"] == "accepted", body
    assert live_comments(uuid) == []
    assert "two bikes" not in site.html(f"events/{uuid}/index.html")
    assert site.json(f"events/{uuid}/index.json")["replies"]["totalItems"] == 0


def test_replies_to_our_comments_and_to_remote_comments_are_threaded(site: Site) -> None:
    # Given a public event with a comment by @ann
    uuid = public_event()
    ours = comments.post_comment(ports(), ann_actor(), uuid, "Bring tools")
    # When alice answers @ann's comment, then answers her own reply
    first, second = f"{ALICE}/statuses/1", f"{ALICE}/statuses/2"
    assert deliver(reply(f"{URLS.event(uuid)}#comment-{ours.id}", "<p>Which?</p>",
                         first))[1]["status"] == "accepted"
    assert deliver(reply(first, "<p>Pumps too?</p>", second))[1]["status"] == "accepted"
    # Then both are in the thread, each under what it answers
    by_text = {c.text_html: c for c in live_comments(uuid)}
    assert by_text["<p>Which?</p>"].in_reply_to == ours.id
    assert by_text["<p>Pumps too?</p>"].in_reply_to == by_text["<p>Which?</p>"].id
    items = site.json(f"events/{uuid}/index.json")["replies"]["items"]
    assert [n["inReplyTo"] for n in items][1:] == [f"{URLS.event(uuid)}#comment-{ours.id}",
                                                   first]
    # When the same Note arrives again (the inbox drops a repeated activity id; this one is
    # another activity), nothing is added
    again = reply(first, "<p>Pumps too?</p>", second)
    _, body = deliver({**again, "id": again["id"] + "/again"})
    assert body["status"] == "ignored" and "already" in body["detail"]
    assert len(live_comments(uuid)) == 3


# --- what is refused, with a reason, never a crash ------------------------------------------

def test_a_reply_to_something_not_ours_is_ignored(given: Any) -> None:
    uuid = public_event()
    for n, target in enumerate(("https://elsewhere.example/notes/1",
                                f"{URLS.event('no-such-event')}", "https://affiche.test/@club/")):
        status, body = deliver(reply(target, "<p>Hi</p>", f"{ALICE}/statuses/{n}"))
        assert (status, body["status"]) == (202, "ignored"), (target, body)
        assert body["detail"], target
    assert live_comments(uuid) == []
    # A followers-only or direct reply is not made public as a comment
    private = reply(URLS.event(uuid), "<p>Just between us</p>", f"{ALICE}/statuses/9")
    private["object"].update(to=[f"{ALICE}/followers"], cc=["https://affiche.test/@club/"])
    status, body = deliver(private)
    assert body["status"] == "ignored" and "public" in body["detail"], body
    assert live_comments(uuid) == []
    # A toot answering nothing (not a reply) is not a comment either
    assert deliver(reply(None, "<p>Hello world</p>"))[1]["status"] == "ignored"  # type: ignore[arg-type]


def test_closed_comments_and_private_events_refuse_remote_replies(given: Any) -> None:
    # Given an event whose comments the organisers closed, and a private event
    closed = public_event()
    comments.set_comments_enabled(ports(), ann_actor(), closed, False)
    private = public_event(visibility="private")
    # When alice answers each from Mastodon
    status, body = deliver(reply(URLS.event(closed), "<p>Hello</p>"))
    # Then both are refused with the domain's reason, and nothing is stored
    assert (status, body["status"]) == (202, "ignored")
    assert "comments are closed" in body["detail"]
    status, body = deliver(reply(URLS.event(private), "<p>Hello</p>", f"{ALICE}/statuses/7"))
    assert body["status"] == "ignored" and "private" in body["detail"]
    assert live_comments(closed) == live_comments(private) == []


def test_only_the_author_updates_or_deletes_a_remote_comment(given: Any) -> None:
    uuid = public_event()
    assert deliver(reply(URLS.event(uuid), "<p>Mine</p>"))[1]["status"] == "accepted"
    # When bob (another remote person) sends an Update or a Delete of alice's Note
    stolen = update("<p>Not yours</p>")
    stolen["actor"] = BOB
    stolen["object"]["attributedTo"] = BOB
    _, body = deliver_as(stolen, BOB)
    assert body["status"] == "ignored" and "author" in body["detail"], body
    _, body = deliver_as(delete(actor=BOB), BOB)
    # Then both are refused and alice's comment stays as she wrote it
    assert body["status"] == "ignored" and "author" in body["detail"], body
    assert [c.text_html for c in live_comments(uuid)] == ["<p>Mine</p>"]
    # And an Update of a Note we never had, answering nothing of ours, is ignored
    assert deliver(update("<p>Elsewhere</p>", f"{ALICE}/statuses/55"))[1]["status"] == "ignored"
    # but an edited reply to our event whose Create we missed becomes a comment
    missed = update("<p>Edited before you saw it</p>", f"{ALICE}/statuses/56")
    missed["object"].update(inReplyTo=URLS.event(uuid),
                            to=["https://www.w3.org/ns/activitystreams#Public"])
    assert deliver(missed)[1]["status"] == "accepted"
    assert len(live_comments(uuid)) == 2
    # And a Delete of a Note we never kept is ignored
    assert deliver(delete(note_id=f"{ALICE}/statuses/404"))[1]["status"] == "ignored"


# --- our comments federate ---------------------------------------------------------------------

def test_a_local_comment_on_a_public_event_goes_to_the_followers(given: Any) -> None:
    # Given alice and bob (one shared inbox) and carol follow @club, and a public event
    _followed_by_three(given)
    uuid = public_event()
    # When @ann comments on it
    comment = comments.post_comment(ports(), ann_actor(), uuid, "See you **there**")
    created = latest("ann", "Create")
    own, wrapped, boost = plan(created, DynamoRepository(), URLS)
    # Then her Create{Note} goes once to each server, answering the event, public, signed by her
    assert sorted(own.inboxes) == sorted([SHARED_INBOX, f"{CAROL}/inbox"])
    assert own.sender == "ann"
    doc = own.activity
    assert doc["type"] == "Create" and doc["actor"] == "https://affiche.test/@ann/"
    note = doc["object"]
    assert note["type"] == "Note" and note["inReplyTo"] == URLS.event(uuid)
    assert note["id"] == f"{URLS.event(uuid)}#comment-{comment.id}"
    assert note["attributedTo"] == "https://affiche.test/@ann/"
    assert note["content"] == "<p>See you <strong>there</strong></p>"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert "https://affiche.test/@club/followers" in note["cc"]
    # And the group relays it (FEP-1b12) to its followers
    assert wrapped.sender == boost.sender == "club"
    assert wrapped.activity["object"]["object"]["id"] == note["id"]
    # And the consumer queues it: one message per inbox and delivery
    queue = Queue()
    assert fan_out(created, repo=DynamoRepository(), urls=URLS, queue=queue) == 6
    assert {m["inbox"] for m in queue.bodies} == {SHARED_INBOX, f"{CAROL}/inbox"}
    # When she edits then deletes it, an Update{Note} then a Delete{Tombstone} follow
    comments.edit_comment(ports(), ann_actor(), comment.id, "See you later")
    assert plan(latest("ann", "Update"), DynamoRepository(), URLS)[0].activity["object"][
        "content"] == "<p>See you later</p>"
    comments.delete_comment(ports(), ann_actor(), comment.id)
    gone = plan(latest("ann", "Delete"), DynamoRepository(), URLS)[0].activity
    assert gone["object"] == {"id": note["id"], "type": "Tombstone", "formerType": "Note"}


def test_an_answer_to_a_remote_comment_reaches_its_author(given: Any) -> None:
    # Given nobody follows @club, and alice's reply to a public event
    uuid = public_event()
    deliver(reply(URLS.event(uuid), "<p>Question?</p>"))
    (hers,) = live_comments(uuid)
    # When @ann answers it
    comments.post_comment(ports(), ann_actor(), uuid, "Answer", in_reply_to=hers.id)
    (own,) = plan(latest("ann", "Create"), DynamoRepository(), URLS)
    # Then the answer goes to alice's own inbox, replying to her Note, and mentions her in cc
    assert own.inboxes == (f"{ALICE}/inbox",)
    assert own.activity["object"]["inReplyTo"] == NOTE_ID
    assert ALICE in own.activity["object"]["cc"]


def test_comments_of_private_events_never_leave(given: Any) -> None:
    _followed_by_three(given)
    uuid = public_event(visibility="private")
    comments.post_comment(ports(), ann_actor(), uuid, "Members only")
    assert plan(latest("ann", "Create"), DynamoRepository(), URLS) == []
    assert get_settings().public_url == "https://affiche.test"


def test_an_account_deleted_on_its_server_takes_its_comments_with_it(site: Site) -> None:
    # Given alice's reply to a public event of @club
    uuid = public_event()
    _, body = deliver(reply(URLS.event(uuid), "<p>See you at the fair</p>"))
    assert body["status"] == "accepted", body
    assert "See you at the fair" in site.html(f"events/{uuid}/index.html")
    # When her server tells us her account is gone (Mastodon's self-Delete of the actor)
    _, body = deliver({"@context": "https://www.w3.org/ns/activitystreams",
                       "id": f"{ALICE}#delete", "type": "Delete", "actor": ALICE,
                       "object": ALICE, "to": ["https://www.w3.org/ns/activitystreams#Public"]})
    # Then what she wrote here goes too: no comment left, nor on the page
    assert body["status"] == "accepted", body
    assert live_comments(uuid) == []
    assert "See you at the fair" not in site.html(f"events/{uuid}/index.html")
