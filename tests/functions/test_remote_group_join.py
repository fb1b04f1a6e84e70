"""One of our people joining a group of another server, through the pages, the real inbox and
the fan-out; the remote server is httpx.MockTransport.

- From /app/following, ann asks to join the remote group garden she follows: a Join (actor: her
  profile, object: the group) goes to the group's inbox, signed by her, and she reads that she
  waits; its Accept (Mobilizon's, whose object is the `Member`) makes her a member, shown in My
  space; a Reject by our Join's id makes her refused; an answer from another server is ignored;
- Leave (from My space) sends a Leave of the group and drops her membership;
- the group's Remove of ann drops it too; a Remove from another server is ignored."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fanout import Delivery, plan
from affiche.domain.model import Follow, Membership
from affiche.domain.ports import ChangeSet
from affiche.store.repository import DynamoRepository
from functions.api.handler import lambda_handler
from tests.functions.test_group_federation import (  # noqa: F401  (fixtures)
    BOB,
    CAROL,
    GARDEN,
    PUBLIC,
    URLS,
    RemoteServer,
    deliver_as,
    inbound_consumer,
    instance,
    latest,
    remote,
)
from tests.functions.test_group_federation import world as the_world
from tests.functions.test_pages import Browser, text
from tests.functions.test_remote_membership import browser

world = the_world
ANN = f"{PUBLIC}/@ann/"


def role() -> str | None:
    found = DynamoRepository().get(Membership, f"{GARDEN}|ann")
    return found.role if found else None


def sent(type_: str) -> Delivery:
    repo = DynamoRepository()
    (delivery,) = plan(latest("ann", type_), repo, URLS)
    return delivery


def ann_asks_to_join() -> Browser:
    """Given ann follows garden; when she presses "Ask to join" on /app/following."""
    repo = DynamoRepository()
    resolve_actor(repo, GARDEN)
    repo.commit(ChangeSet().put(Follow(follower="ann", followed=GARDEN, state="accepted",
                                       created_at=datetime.now(UTC))))
    page = browser()
    assert "Ask to join Garden club" in text(page.get("/app/following"))
    answer = page.submit("/app/remote-groups/join", {"handle": GARDEN, "profile": "ann"})
    assert answer.status == 303, answer.body
    return page


def test_asking_to_join_sends_a_join_to_the_group_and_waits(world: RemoteServer) -> None:
    page = ann_asks_to_join()
    # Then her membership waits for the group, and both pages say so
    assert role() == "not_approved"
    assert "waiting for the group to accept" in text(page.get("/app/following"))
    assert "Asked to join" in text(page.get("/app/"))
    # And a Join from her profile, of the group, went to the group's inbox, signed as her
    join = sent("Join")
    assert join.inboxes == (f"{GARDEN}/inbox",) and join.sender == "ann"
    assert (join.activity["type"], join.activity["actor"], join.activity["object"]) == (
        "Join", ANN, GARDEN)


def test_the_groups_accept_makes_her_a_member_and_she_can_leave(world: RemoteServer) -> None:
    page = ann_asks_to_join()
    # When carol (another server) claims to accept it, nothing changes
    forged = {"id": f"{CAROL}/accept/1", "type": "Accept", "actor": CAROL,
              "object": {"type": "Join", "actor": ANN, "object": GARDEN}}
    _, body = deliver_as(forged, CAROL, path="/@ann/inbox")
    assert body["status"] == "ignored" and role() == "not_approved", body
    # When the group accepts, as Mobilizon does (the object is the Member)
    accept = {"id": f"{GARDEN}/accept/join/1", "type": "Accept", "actor": GARDEN,
              "object": {"id": f"{GARDEN}/member/1", "type": "Member", "actor": ANN,
                         "object": GARDEN, "role": "member"}}
    _, body = deliver_as(accept, GARDEN, path="/@ann/inbox")
    assert body["status"] == "accepted", body
    # Then she is a member, and My space lists the group with a Leave button
    assert role() == "member"
    home = text(page.get("/app/"))
    assert "Garden club" in home and "Leave" in home
    # When she leaves
    left = page.submit("/app/remote-groups/leave", {"group": GARDEN, "profile": "ann"})
    assert left.status == 303, left.body
    # Then her membership is gone and a Leave of the group went to its inbox
    assert role() is None
    leave = sent("Leave")
    assert leave.inboxes == (f"{GARDEN}/inbox",) and leave.sender == "ann"
    assert (leave.activity["type"], leave.activity["object"]) == ("Leave", GARDEN)


def test_the_groups_reject_by_our_join_id_refuses(world: RemoteServer) -> None:
    ann_asks_to_join()
    reject = {"id": f"{GARDEN}/reject/1", "type": "Reject", "actor": GARDEN,
              "object": sent("Join").activity["id"]}
    _, body = deliver_as(reject, GARDEN, path="/@ann/inbox")
    assert body["status"] == "accepted", body
    assert role() == "rejected"


def test_the_groups_remove_drops_her_membership(world: RemoteServer) -> None:
    ann_asks_to_join()
    accept = {"id": f"{GARDEN}/accept/2", "type": "Accept", "actor": GARDEN,
              "object": sent("Join").activity["id"]}
    assert deliver_as(accept, GARDEN, path="/@ann/inbox")[1]["status"] == "accepted"
    assert role() == "member"
    remove = {"id": f"{GARDEN}/remove/1", "type": "Remove", "actor": GARDEN, "object": ANN,
              "origin": GARDEN, "target": GARDEN}
    # When another server claims to remove her, it is ignored
    _, body = deliver_as({**remove, "id": f"{CAROL}/remove/1", "actor": CAROL}, CAROL)
    assert body["status"] == "ignored" and role() == "member", body
    # When the group removes her, she is no longer a member
    _, body = deliver_as(remove, GARDEN)
    assert body["status"] == "accepted", body
    assert role() is None


def test_a_bad_address_says_what_is_wrong(world: RemoteServer) -> None:
    page = browser()
    page.get("/app/following")
    answer = page.submit("/app/remote-groups/join", {"handle": "not an address"})
    assert answer.status == 400 and "@name@server.example" in text(answer)


def ann_a_member_of_garden() -> Browser:
    page = ann_asks_to_join()
    accept = {"id": f"{GARDEN}/accept/3", "type": "Accept", "actor": GARDEN,
              "object": sent("Join").activity["id"]}
    assert deliver_as(accept, GARDEN, path="/@ann/inbox")[1]["status"] == "accepted"
    return page


def garden_note(author: str, n: int, text: str, kind: str = "Create") -> dict[str, Any]:
    members = f"{GARDEN}/members"
    thread = f"{GARDEN}/discussions/seeds"
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": kind,
            "id": f"{author}/{kind.lower()}/{n}", "actor": author, "to": [members, ANN],
            "object": {"type": "Note", "id": f"{author}/notes/{n}", "attributedTo": author,
                       "name": "Seed swap plans", "context": thread, "inReplyTo": thread,
                       "to": [members, ANN], "content": f"<p>{text}</p>"}}


def test_a_remote_groups_discussion_reaches_her_and_she_answers(world: RemoteServer) -> None:
    page = ann_a_member_of_garden()
    # When bob, on the group's server, writes in one of its threads (to its members and ann)
    _, body = deliver_as(garden_note(BOB, 1, "Bring your seeds"), BOB, path="/@ann/inbox")
    assert body["status"] == "accepted", body
    # Then My space lists the thread, and its page shows his message
    home = page.get("/app/")
    assert "Seed swap plans" in text(home)
    link = re.search(r'href="(/app/remote-discussions/[^"?]+)', home.body)
    assert link, home.body
    thread = text(page.get(link.group(1)))
    assert "Bring your seeds" in thread and "@bob@remote.example" in thread
    # When bob edits it, the copy follows; a message from another server is not kept
    _, body = deliver_as(garden_note(BOB, 1, "Bring seeds and pots", "Update"), BOB,
                         path="/@ann/inbox")
    assert body["status"] == "accepted", body
    assert "Bring seeds and pots" in text(page.get(link.group(1)))
    _, body = deliver_as(garden_note(CAROL, 2, "Spam"), CAROL, path="/@ann/inbox")
    assert body["status"] == "ignored", body
    # When ann answers on the thread's page
    answered = page.submit(link.group(1) + "/replies", {"text": "I bring **tomatoes**",
                                                         "profile": "ann"})
    assert answered.status == 303, answered.body
    assert "tomatoes" in text(page.get(link.group(1) + "?page=last"))
    # Then a Create{Note} in the thread's context goes to the group's inbox, signed as her
    reply = sent("Create")
    assert reply.inboxes == (f"{GARDEN}/inbox",) and reply.sender == "ann"
    note = reply.activity["object"]
    assert (reply.activity["actor"], note["attributedTo"]) == (ANN, ANN)
    assert note["context"] == f"{GARDEN}/discussions/seeds"
    assert "<strong>tomatoes</strong>" in note["content"]
    assert f"{GARDEN}/members" in reply.activity["to"]


def test_a_groups_thread_is_not_kept_for_someone_who_is_not_a_member(
        world: RemoteServer) -> None:
    resolve_actor(DynamoRepository(), GARDEN)
    _, body = deliver_as(garden_note(BOB, 1, "Hello"), BOB, path="/@ann/inbox")
    assert body["status"] == "ignored", body
    assert "Seed swap plans" not in text(browser().get("/app/"))


NEW_PAGES = [("POST", "/app/remote-groups/join", {"handle": GARDEN}),
             ("POST", "/app/remote-groups/leave", {"group": GARDEN}),
             ("GET", "/app/remote-discussions/ap-0", None),
             ("POST", "/app/remote-discussions/ap-0/replies", {"text": "Hi"})]


def test_the_new_pages_ask_visitors_to_log_in_and_refuse_forms_without_a_token(
        world: RemoteServer) -> None:
    # (The route × role walk of test_permissions.py needs a remote group and a copied thread
    # its world does not have; these pages take no group role, so two cases cover them.)
    for method, path, form in NEW_PAGES:
        # A visitor is sent to the login page
        visitor = Browser(lambda_handler)
        answer = visitor.get(path) if method == "GET" else visitor.submit(path, form or {})
        assert answer.status == 303 and answer.headers["Location"].startswith("/app/login"), path
        # A logged-in person's form without its token is refused, and nothing is stored
        if method == "POST":
            refused = browser().submit(path, form or {}, csrf="forged")
            assert refused.status == 403, (path, refused.status)
    assert role() is None


def test_the_group_relays_a_member_of_a_third_server_and_their_deletion(
        world: RemoteServer) -> None:
    page = ann_a_member_of_garden()
    note = garden_note(CAROL, 5, "Greetings from elsewhere")["object"]
    note["to"] = [f"{GARDEN}/members"]
    announce = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
                "id": f"{GARDEN}/announces/1", "actor": GARDEN, "to": [f"{GARDEN}/members"],
                "object": note}
    # When bob (not the group) announces carol's message, it is not kept
    _, body = deliver_as({**announce, "id": f"{BOB}/announces/1", "actor": BOB}, BOB,
                         path="/@ann/inbox")
    assert body["status"] == "ignored", body
    # When the group announces it (Mobilizon's relay of a member on a third server)
    _, body = deliver_as(announce, GARDEN, path="/@ann/inbox")
    assert body["status"] == "accepted", body
    link = re.search(r'href="(/app/remote-discussions/[^"?]+)', page.get("/app/").body)
    assert link
    thread = text(page.get(link.group(1)))
    assert "Greetings from elsewhere" in thread and "@carol@other.example" in thread
    # When the group relays its deletion, the copy shows it deleted
    gone = {**announce, "id": f"{GARDEN}/announces/2",
            "object": {"id": note["id"], "type": "Tombstone"}}
    _, body = deliver_as(gone, GARDEN, path="/@ann/inbox")
    assert body["status"] == "accepted", body
    thread = text(page.get(link.group(1)))
    assert "Greetings from elsewhere" not in thread and "This reply was deleted" in thread


def test_the_api_asks_to_join_a_remote_group_by_its_url(world: RemoteServer) -> None:
    from tests.functions.test_remote_membership import admin

    answer = admin().post("/api/me/groups", {"handle": GARDEN, "message": "Hello"})
    assert answer.status == 201, answer.body
    assert (answer.body["group"], answer.body["state"]) == (GARDEN, "not_approved")
    join = sent("Join")
    assert join.activity["object"] == GARDEN and join.activity["participationMessage"] == "Hello"


def test_a_message_at_our_shared_inbox_to_the_members_alone_is_kept(world: RemoteServer) -> None:
    # Given ann is a member of garden; when bob's message, addressed to its members only,
    # reaches our shared inbox (as a server batching its deliveries sends it)
    page = ann_a_member_of_garden()
    message = garden_note(BOB, 8, "One delivery per server")
    message["to"] = message["object"]["to"] = [f"{GARDEN}/members"]
    _, body = deliver_as(message, BOB, path="/inbox")
    # Then ann finds it in her space
    assert body["status"] == "accepted", body
    link = re.search(r'href="(/app/remote-discussions/[^"?]+)', page.get("/app/").body)
    assert link and "One delivery per server" in text(page.get(link.group(1)))
