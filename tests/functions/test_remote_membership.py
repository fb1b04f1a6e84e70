"""Group membership across instances (Mobilizon's model), through the real inbox, the stream
consumer that runs the handlers, and the fan-out; remote servers are httpx.MockTransport.

- An administrator invites `@alice@remote.example`: WebFinger finds her actor id, which is the
  only key she has here; the Invite goes to her inbox alone; her Accept{Invite} makes her a
  member, listed with the others; her Reject{Invite} (by id) drops the invitation.
- Her Join of an open group is accepted at once (Accept{Join} to her), of a moderated one waits
  for the administrators; her Leave ends it; an administrator's Remove is sent to her.
- An Undo naming her event Join by id frees her place.
- A remote group's Invite of one of our people shows in their space, where they accept or
  decline it; the answer goes back to the group echoing its Invite."""

from __future__ import annotations

from typing import Any

from affiche.activitypub.fanout import plan
from affiche.domain import groups, membership
from affiche.domain.model import Membership, Participation
from affiche.store.repository import DynamoRepository
from functions.api.handler import lambda_handler
from tests.conftest import load_fixture
from tests.functions.api_client import ApiClient
from tests.functions.test_group_federation import (  # noqa: F401  (fixtures)
    ALICE,
    GARDEN,
    PUBLIC,
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
from tests.functions.test_pages import Browser, text
from tests.functions.test_remote_participation import mobilizon_join, new_event

world = the_world
CLUB = f"{PUBLIC}/@club/"
WEBFINGER = ("https://remote.example/.well-known/webfinger?resource="
             "acct:alice@remote.example")


def admin() -> ApiClient:
    client = ApiClient(lambda_handler)
    assert client.post("/api/session", {"email": "ann@example.org",
                                        "password": "correct horse"}).status == 200
    return client


def role(member: str = ALICE) -> str | None:
    found = DynamoRepository().get(Membership, f"club|{member}")
    return found.role if found else None


def sent_to_alice() -> list[dict[str, Any]]:
    """What the fan-out sends for @club's membership activities, oldest first."""
    repo = DynamoRepository()
    everything = [a for who in ("club", "ann", ALICE) for a in repo.outbox(who, limit=50)]
    out = []
    for activity in sorted(everything, key=lambda a: a.published):
        if activity.object_kind == "membership":
            out += [{**d.activity, "_sender": d.sender, "_inboxes": d.inboxes}
                    for d in plan(activity, repo, URLS)]
    return out


def with_webfinger(world: RemoteServer) -> None:
    world.documents[WEBFINGER] = {
        "subject": "acct:alice@remote.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": ALICE}]}


def test_a_remote_invitation_accepted_makes_a_member(world: RemoteServer) -> None:
    with_webfinger(world)
    club_admin = admin()
    # When ann invites alice by her handle
    invited = club_admin.post("/api/groups/club/invitations", {"handle": "@Alice@remote.example"})
    # Then WebFinger found her actor id, under which she is invited (one key: a second
    # invitation by URL is the same person)
    assert (invited.status, invited.body["member"]) == (201, ALICE), invited.body
    again = club_admin.post("/api/groups/club/invitations", {"handle": ALICE})
    assert again.status == 409 and "already invited" in again.body["message"]
    # And the Invite goes to her inbox alone, from ann, naming the group and her
    (invite,) = sent_to_alice()
    assert invite["type"] == "Invite" and invite["_inboxes"] == (f"{ALICE}/inbox",)
    assert (invite["actor"], invite["object"], invite["target"]) == (
        f"{PUBLIC}/@ann/", CLUB, ALICE)
    assert invite["to"] == [ALICE] and invite["_sender"] == "ann"
    # When her server accepts it (the Invite embedded, as Mobilizon does)
    accept = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Accept",
              "id": f"{ALICE}/accept/1", "actor": ALICE,
              "object": {k: v for k, v in invite.items() if not k.startswith("_")}}
    status, body = deliver_as(accept, ALICE)
    # Then she is a member, listed with the others, and nothing more is sent to her
    assert (status, body["status"]) == (202, "accepted"), body
    assert role() == "member"
    listed = club_admin.get("/api/groups/club/members").body["members"]
    assert [(m["member"], m["role"]) for m in listed] == [("ann", "creator"), (ALICE, "member")]
    assert len(sent_to_alice()) == 1
    # When an administrator removes her, the group's Remove goes to her
    membership.remove_member(ports(), ann(), "club", ALICE)
    assert role() is None
    remove = sent_to_alice()[-1]
    assert (remove["type"], remove["actor"], remove["object"]) == ("Remove", CLUB, ALICE)


def test_a_remote_invitation_rejected_by_id(world: RemoteServer) -> None:
    with_webfinger(world)
    admin().post("/api/groups/club/invitations", {"handle": "@alice@remote.example"})
    (invite,) = sent_to_alice()
    reject = {"type": "Reject", "id": f"{ALICE}/reject/1", "actor": ALICE,
              "object": invite["id"]}
    status, body = deliver_as(reject, ALICE)
    assert (status, body["status"]) == (202, "accepted"), body
    assert role() is None


def test_an_unknown_handle_is_refused_before_anything_is_stored(world: RemoteServer) -> None:
    answer = admin().post("/api/groups/club/invitations", {"handle": "@zoe@remote.example"})
    assert answer.status == 404 and "@zoe@remote.example" in answer.body["message"]
    assert DynamoRepository().memberships_of_group("club")[0].member == "ann"
    assert len(DynamoRepository().memberships_of_group("club")) == 1


def join_club(n: int = 1) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": "Join",
            "id": f"{ALICE}/join/club/{n}", "actor": ALICE, "object": CLUB}


def test_a_remote_join_of_an_open_group_then_leave(world: RemoteServer) -> None:
    groups.update_group(ports(), ann(), "club", openness="open")
    status, body = deliver_as(join_club(), ALICE)
    assert (status, body["status"]) == (202, "accepted"), body
    assert role() == "member"
    (accept,) = sent_to_alice()
    assert (accept["type"], accept["actor"], accept["_sender"]) == ("Accept", CLUB, "club")
    assert accept["object"] == {"type": "Join", "actor": ALICE, "object": CLUB}
    leave = {"type": "Leave", "id": f"{ALICE}/leave/club", "actor": ALICE, "object": CLUB}
    assert deliver_as(leave, ALICE)[1]["status"] == "accepted"
    assert role() is None


def test_a_remote_join_of_a_moderated_group_waits_for_approval(world: RemoteServer) -> None:
    deliver_as(join_club(), ALICE)
    assert role() == "not_approved" and sent_to_alice() == []
    membership.approve_request(ports(), ann(), "club", ALICE)
    (accept,) = sent_to_alice()
    assert accept["type"] == "Accept" and role() == "member"


def test_undo_of_an_event_join_given_by_id(world: RemoteServer) -> None:
    event = new_event()
    join = mobilizon_join(ALICE, event.uuid)
    deliver_as(join, ALICE)
    assert DynamoRepository().get(Participation, f"{event.uuid}|{ALICE}") is not None
    undo = load_fixture("mobilizon/mobilizon-leave-activity.json", actor=ALICE,
                        id=f"{ALICE}/undo/1")
    undo.update(type="Undo", object=join["id"])
    status, body = deliver_as(undo, ALICE)
    assert (status, body["status"]) == (202, "accepted"), body
    assert DynamoRepository().get(Participation, f"{event.uuid}|{ALICE}") is None


# --- one of our people invited to a remote group ------------------------------------------------

def garden_invites_ann() -> dict[str, Any]:
    """Mobilizon's Invite (its real payload): the group invites ann of ours."""
    return load_fixture("mobilizon/mobilizon-invite-activity.json", actor=GARDEN, object=GARDEN,
                        target=f"{PUBLIC}/@ann/", id=f"{GARDEN}/member/ann")


def browser() -> Browser:
    page = Browser(lambda_handler)
    page.get("/app/login")
    login = page.submit("/app/login", {"email": "ann@example.org", "password": "correct horse",
                                       "next": "/app/"})
    assert login.status == 303, login.body
    return page


def test_a_remote_group_invites_one_of_ours_who_accepts(world: RemoteServer) -> None:
    # When the remote group garden invites ann
    status, body = deliver_as(garden_invites_ann(), GARDEN)
    assert (status, body["status"]) == (202, "accepted"), body
    # Then her space shows the invitation, with the group's name and address
    page = browser()
    home = text(page.get("/app/"))
    assert "Garden club" in home and "@garden@remote.example" in home
    assert "Accept the invitation to Garden club" in home
    # When she accepts it there
    accepted = page.submit("/app/invitations/-/accept", {"profile": "ann", "group": GARDEN})
    assert accepted.status == 303, accepted.body
    # Then she is a member, and her Accept goes to the group, echoing its Invite
    assert DynamoRepository().get(Membership, f"{GARDEN}|ann").role == "member"  # type: ignore[union-attr]
    sent = [d for a in DynamoRepository().outbox("ann", limit=20)
            if a.object_kind == "membership" for d in plan(a, DynamoRepository(), URLS)]
    (accept,) = sent
    assert (accept.activity["type"], accept.activity["actor"]) == ("Accept", f"{PUBLIC}/@ann/")
    assert accept.activity["object"] == f"{GARDEN}/member/ann"
    assert accept.sender == "ann" and accept.inboxes == (f"{GARDEN}/inbox",)
    # And our copy of the remote group keeps its own count (its server's business)
    assert "My groups" in text(page.get("/app/"))


def test_a_remote_invitation_declined_from_the_page(world: RemoteServer) -> None:
    deliver_as(garden_invites_ann(), GARDEN)
    page = browser()
    page.get("/app/")
    declined = page.submit("/app/invitations/-/decline", {"profile": "ann", "group": GARDEN})
    assert declined.status == 303, declined.body
    assert DynamoRepository().get(Membership, f"{GARDEN}|ann") is None
    (reject,) = [d for a in DynamoRepository().outbox("ann", limit=20)
                 if a.object_kind == "membership" for d in plan(a, DynamoRepository(), URLS)]
    assert reject.activity["type"] == "Reject"


def test_an_invite_for_a_group_of_another_server_is_ignored(world: RemoteServer) -> None:
    forged = {**garden_invites_ann(), "object": "https://elsewhere.example/groups/x"}
    assert deliver_as(forged, GARDEN)[1]["status"] == "ignored"
