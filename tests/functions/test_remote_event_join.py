"""One of our people taking part in an event of another server (a remote group ann follows),
through the pages, the real inbox and the fan-out; the remote server is httpx.MockTransport.

- From her agenda, ann opens the event and presses Participate: a Join (actor: her profile,
  object: the event) goes to the group's inbox, signed by her, and she reads "pending";
- the group's Accept{Join} (embedded) makes it "going"; its Reject{Join} (by our id) "declined";
- an Accept from another server than the event's is ignored;
- Leave sends a Leave of the event and drops her participation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fanout import Delivery, plan
from affiche.activitypub.remote_events import event_from_object
from affiche.domain.model import Follow, Participation
from affiche.domain.ports import ChangeSet
from affiche.store.repository import DynamoRepository
from tests.functions.test_group_federation import (  # noqa: F401  (fixtures)
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
from tests.functions.test_pages import text
from tests.functions.test_remote_membership import browser

world = the_world
SEED_SWAP = f"{GARDEN}/events/1"
PAGE = "/app/remote-events?uri=https%3A%2F%2Fremote.example%2Fc%2Fgarden%2Fevents%2F1"


def garden_event() -> None:
    """Given ann follows the remote group garden, and its public event is cached for her
    agenda."""
    repo = DynamoRepository()
    resolve_actor(repo, GARDEN)
    repo.commit(ChangeSet().put(Follow(follower="ann", followed=GARDEN,
                                       created_at=datetime.now(UTC))))
    obj = {"id": SEED_SWAP, "type": "Event", "name": "Seed swap", "attributedTo": GARDEN,
           "startTime": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
           "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    repo.commit(ChangeSet().put(event_from_object(obj, GARDEN, datetime.now(UTC))))


def role() -> str | None:
    found = DynamoRepository().get(Participation, f"{SEED_SWAP}|ann")
    return found.role if found else None


def sent(type_: str) -> Delivery:
    repo = DynamoRepository()
    (delivery,) = plan(latest("ann", type_), repo, URLS)
    return delivery


def ann_participates() -> Any:
    garden_event()
    page = browser()
    assert "Take part" in text(page.get("/app/"))
    assert "Participate" in text(page.get(PAGE))
    answer = page.submit("/app/remote-events/participate", {"uri": SEED_SWAP, "profile": "ann"})
    assert answer.status == 303, answer.body
    return page


def test_participate_sends_a_join_to_the_group_and_waits(world: RemoteServer) -> None:
    # When ann presses Participate on the remote event's page
    page = ann_participates()
    # Then her participation is pending, and the page says so
    assert role() == "not_approved"
    assert "pending" in text(page.get(PAGE))
    # And a Join from her profile, of the event, goes to the group's inbox, signed as her
    join = sent("Join")
    assert join.inboxes == (f"{GARDEN}/inbox",) and join.sender == "ann"
    assert (join.activity["type"], join.activity["actor"], join.activity["object"]) == (
        "Join", f"{PUBLIC}/@ann/", SEED_SWAP)
    # And her list of participations links the event's page here
    assert "remote-events?uri=" in page.get("/app/participations").body


def test_the_groups_accept_makes_her_going(world: RemoteServer) -> None:
    page = ann_participates()
    # When the group accepts her Join (embedded, as Mobilizon sends it)
    accept = {"id": f"{GARDEN}/accept/1", "type": "Accept", "actor": GARDEN,
              "object": {"id": sent("Join").activity["id"], "type": "Join",
                         "actor": f"{PUBLIC}/@ann/", "object": SEED_SWAP}}
    status, body = deliver_as(accept, GARDEN, path="/@ann/inbox")
    assert (status, body["status"]) == (202, "accepted"), body
    # Then she is going, and reads it
    assert role() == "participant"
    assert "You are going" in text(page.get(PAGE))


def test_the_groups_reject_by_id_declines(world: RemoteServer) -> None:
    page = ann_participates()
    # When the group refuses, naming her Join by our id only
    reject = {"id": f"{GARDEN}/reject/1", "type": "Reject", "actor": GARDEN,
              "object": sent("Join").activity["id"]}
    status, body = deliver_as(reject, GARDEN, path="/@ann/inbox")
    assert (status, body["status"]) == (202, "accepted"), body
    # Then she reads that it was declined
    assert role() == "rejected"
    assert "Declined" in text(page.get(PAGE))


def test_an_accept_from_another_server_is_ignored(world: RemoteServer) -> None:
    ann_participates()
    # When carol, on another server, claims to accept ann's Join of garden's event
    accept = {"id": f"{CAROL}/accept/1", "type": "Accept", "actor": CAROL,
              "object": {"type": "Join", "actor": f"{PUBLIC}/@ann/", "object": SEED_SWAP}}
    status, body = deliver_as(accept, CAROL, path="/@ann/inbox")
    # Then it is ignored: ann is still waiting
    assert (status, body["status"]) == (202, "ignored"), body
    assert role() == "not_approved"


def test_leave_sends_a_leave_and_drops_the_participation(world: RemoteServer) -> None:
    page = ann_participates()
    # When ann leaves
    answer = page.submit("/app/remote-events/leave", {"uri": SEED_SWAP, "profile": "ann"})
    assert answer.status == 303, answer.body
    # Then her participation is gone, she may participate again, and a Leave went to the group
    assert role() is None
    assert "Participate" in text(page.get(PAGE))
    leave = sent("Leave")
    assert leave.inboxes == (f"{GARDEN}/inbox",) and leave.sender == "ann"
    assert (leave.activity["type"], leave.activity["object"]) == ("Leave", SEED_SWAP)


def test_an_unknown_event_is_a_404(world: RemoteServer) -> None:
    page = browser()
    assert page.get("/app/remote-events?uri=https%3A%2F%2Fremote.example%2Fnope").status == 404
