"""Group discussions with remote members (Mobilizon's model), through the real inbox, the stream
consumer that runs the handlers, and the fan-out; remote servers are httpx.MockTransport.

- A thread started here, and each reply, go to the remote member's own inbox as `Create{Note}`
  whose `context` is the discussion, addressed to the group's members, never to Public, never to
  followers nor to a shared inbox.
- A remote member's `Create{Note}` naming the discussion becomes a reply by them; a non-member's
  is ignored with the reason."""

from __future__ import annotations

from typing import Any

from affiche.activitypub.fanout import plan
from affiche.activitypub.vocabulary import PUBLIC as AS_PUBLIC
from affiche.domain import discussions, groups
from affiche.domain.model import Actor, Discussion
from affiche.store.repository import DynamoRepository
from tests.functions.test_group_federation import (  # noqa: F401  (fixtures)
    ALICE,
    BOB,
    CAROL,
    PUBLIC,
    SHARED_INBOX,
    URLS,
    RemoteServer,
    ann,
    deliver_as,
    inbound_consumer,
    instance,
    ports,
    remote,
)
from tests.functions.test_group_federation import world as the_world
from tests.functions.test_remote_membership import join_club

world = the_world


def ann_profile() -> Actor:
    found = DynamoRepository().get(Actor, "ann")
    assert found is not None
    return found


def with_alice_a_member() -> None:
    groups.update_group(ports(), ann(), "club", openness="open")
    status, body = deliver_as(join_club(), ALICE)
    assert (status, body["status"]) == (202, "accepted"), body


def sent(kind: str) -> list[dict[str, Any]]:
    """What the fan-out sends for @club's activities of `kind`, oldest first."""
    repo = DynamoRepository()
    everything = [a for who in ("club", "ann", ALICE) for a in repo.outbox(who, limit=50)]
    out = []
    for activity in sorted(everything, key=lambda a: a.published):
        if activity.object_kind == kind:
            out += [{**d.activity, "_sender": d.sender, "_inboxes": d.inboxes}
                    for d in plan(activity, repo, URLS)]
    return out


def thread() -> Discussion:
    return discussions.start_discussion(ports(), ann_profile(), "club", "Picnic in June",
                                        "Who brings the **bread**?")


def test_a_new_thread_and_its_replies_reach_the_remote_member_only(world: RemoteServer) -> None:
    with_alice_a_member()
    # When ann starts a thread, then answers in it
    started = thread()
    discussions.reply(ports(), ann_profile(), started.id, "I will bring cheese")
    # Then alice's own inbox receives each as a Create{Note} in the discussion's context
    (opening,) = sent("discussion")
    (answer,) = sent("discussion_reply")
    context = f"{PUBLIC}/app/groups/club/discussions/{started.id}"
    members = f"{PUBLIC}/@club/members"
    for doc in (opening, answer):
        assert (doc["type"], doc["object"]["type"], doc["_sender"]) == ("Create", "Note", "ann")
        assert doc["object"]["context"] == context
        assert doc["_inboxes"] == (f"{ALICE}/inbox",) and SHARED_INBOX not in doc["_inboxes"]
        assert doc["to"] == [members, ALICE] and AS_PUBLIC not in doc["to"] + doc["cc"]
        assert AS_PUBLIC not in doc["object"]["to"] + doc["object"]["cc"]
    assert opening["object"]["name"] == "Picnic in June"
    assert "<strong>bread</strong>" in opening["object"]["content"]
    assert "cheese" in answer["object"]["content"]


def test_a_thread_with_no_remote_member_sends_nothing(world: RemoteServer) -> None:
    thread()
    assert sent("discussion") == []


def test_a_remote_members_note_becomes_a_reply_and_a_strangers_is_ignored(
        world: RemoteServer) -> None:
    with_alice_a_member()
    started = thread()
    context = f"{PUBLIC}/app/groups/club/discussions/{started.id}"

    def note(author: str, n: int) -> dict[str, Any]:
        return {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
                "id": f"{author}/create/{n}", "actor": author,
                "to": [f"{PUBLIC}/@club/members"],
                "object": {"type": "Note", "id": f"{author}/notes/{n}", "attributedTo": author,
                           "context": context, "inReplyTo": context,
                           "to": [f"{PUBLIC}/@club/members"],
                           "content": "<p>I bring <b>apples</b></p>"}}

    # When alice (a member) answers from her server
    status, body = deliver_as(note(ALICE, 1), ALICE)
    assert (status, body["status"]) == (202, "accepted"), body
    # Then the thread shows her reply, as text
    replies = discussions.replies(ports(), ann_profile(), started.id).items
    assert [(r.author, r.text_source) for r in replies][-1] == (ALICE, "I bring apples")
    assert discussions.discussion(ports(), ann_profile(), started.id).reply_count == 2
    # When bob, who is no member, tries the same, it is ignored with the reason
    status, body = deliver_as(note(BOB, 2), BOB)
    assert body["status"] == "ignored" and "member" in body["detail"], body
    assert len(discussions.replies(ports(), ann_profile(), started.id).items) == 2


# --- a remote member's own messages: edits, deletions, and the group's relay --------------------

def _carol_a_member_too() -> None:
    join = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Join",
            "id": f"{CAROL}/join/club/1", "actor": CAROL, "object": f"{PUBLIC}/@club/"}
    status, body = deliver_as(join, CAROL)
    assert (status, body["status"]) == (202, "accepted"), body


def _message(kind: str, author: str, n: int, text: str, context: str) -> dict[str, Any]:
    note = {"type": "Note", "id": f"{author}/notes/{n}", "attributedTo": author,
            "context": context, "inReplyTo": context, "to": [f"{PUBLIC}/@club/members"],
            "content": f"<p>{text}</p>"}
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": kind,
            "id": f"{author}/{kind.lower()}/{n}/{len(text)}", "actor": author,
            "to": [f"{PUBLIC}/@club/members"], "object": note}


def test_a_remote_members_reply_is_edited_deleted_and_relayed_to_the_others(
        world: RemoteServer) -> None:
    # Given alice (remote.example) and carol (other.example) are members, and a thread
    with_alice_a_member()
    _carol_a_member_too()
    started = thread()
    context = f"{PUBLIC}/app/groups/club/discussions/{started.id}"
    # When alice answers from her server
    _, body = deliver_as(_message("Create", ALICE, 7, "Apples", context), ALICE)
    assert body["status"] == "accepted", body
    # Then the reply keeps her Note's id, and the same Note delivered again is not doubled
    (kept,) = [r for r in discussions.replies(ports(), ann_profile(), started.id).items
               if r.author == ALICE]
    assert kept.ap_id == f"{ALICE}/notes/7"
    _, body = deliver_as({**_message("Create", ALICE, 7, "Apples", context),
                               "id": f"{ALICE}/create/again"}, ALICE)
    assert body["status"] == "ignored" and "already" in body["detail"], body
    # And the group announces her message to carol, and to carol only (not back to alice)
    relayed = [d for d in sent("discussion_reply") if d["type"] == "Announce"]
    (announce,) = relayed
    assert (announce["actor"], announce["_sender"]) == (f"{PUBLIC}/@club/", "club")
    assert announce["_inboxes"] == (f"{CAROL}/inbox",)
    assert announce["object"]["id"] == f"{ALICE}/notes/7"
    assert announce["object"]["attributedTo"] == ALICE and "Apples" in announce[
        "object"]["content"]
    assert announce["to"] == [f"{PUBLIC}/@club/members"] and AS_PUBLIC not in announce["cc"]

    # When carol tries to edit alice's message (her signature, alice's Note id)
    forged = _message("Update", CAROL, 0, "Pears", context)
    forged["object"] = {**forged["object"], "id": f"{ALICE}/notes/7", "attributedTo": CAROL}
    _, body = deliver_as(forged, CAROL)
    # Then it is refused: only the author edits
    assert body["status"] == "ignored" and "author" in body["detail"], body
    # When alice edits it
    _, body = deliver_as(_message("Update", ALICE, 7, "Apples and pears", context), ALICE)
    assert body["status"] == "accepted", body
    (edited,) = [r for r in discussions.replies(ports(), ann_profile(), started.id).items
                 if r.author == ALICE]
    assert edited.text_source == "Apples and pears" and edited.id == kept.id
    # When carol tries to delete it, then alice deletes it (Mastodon's Delete{Tombstone})
    delete = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Delete",
              "id": f"{CAROL}/delete/1", "actor": CAROL,
              "object": {"id": f"{ALICE}/notes/7", "type": "Tombstone"}}
    _, body = deliver_as(delete, CAROL)
    assert body["status"] == "ignored", body
    _, body = deliver_as({**delete, "id": f"{ALICE}/delete/1", "actor": ALICE}, ALICE)
    assert body["status"] == "accepted", body
    # Then the thread shows it deleted, and the edit and deletion were relayed to carol
    (gone,) = [r for r in discussions.replies(ports(), ann_profile(), started.id).items
               if r.author == ALICE]
    assert gone.deleted and gone.text_source == ""
    relayed = [d for d in sent("discussion_reply") if d["type"] == "Announce"]
    assert [d["object"]["type"] for d in relayed] == ["Note", "Note", "Tombstone"]
    assert "pears" in relayed[1]["object"]["content"]
    assert relayed[2]["object"]["id"] == f"{ALICE}/notes/7"
    assert all(d["_inboxes"] == (f"{CAROL}/inbox",) for d in relayed)
