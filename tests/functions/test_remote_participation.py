"""Remote people taking part in our events over ActivityPub, through the real inbox and the
stream consumer that runs the handlers (moto behind, remote actors served by httpx.MockTransport),
with Mobilizon's real Join and Leave payloads: free events accept at once, restricted ones wait
for the organisers, whose approval through the API answers the person; refusals are answered with
a Reject and store nothing; Leave and Undo{Join} free the place. Only the person concerned hears
of it, never the group's followers."""

from __future__ import annotations

from typing import Any

import pytest

from affiche.activitypub.fanout import plan
from affiche.domain import events, participation
from affiche.domain.model import Activity, Actor, Event, Participation
from affiche.store.repository import DynamoRepository
from functions.api.handler import lambda_handler
from tests.conftest import load_fixture
from tests.functions.api_client import ApiClient
from tests.functions.test_group_federation import (  # noqa: F401  (fixtures)
    ALICE,
    BOB,
    EVENT,
    PUBLIC,
    URLS,
    RemoteServer,
    ann,
    deliver_as,
    follow_from,
    inbound_consumer,
    instance,
    ports,
    remote,
)
from tests.functions.test_group_federation import world as the_world

world = the_world  # the fixture (a parameter of the tests below)


def new_event(**fields: Any) -> Event:
    return events.create_event(ports(), ann(), "club", events.EventInput(
        **{**EVENT.__dict__, **fields}))


def mobilizon_join(actor: str, uuid: str, n: int = 1, **overrides: Any) -> dict[str, Any]:
    """Mobilizon's Join (its real payload), by `actor`, of our event `uuid`."""
    return load_fixture("mobilizon/mobilizon-join-activity.json", actor=actor,
                        object=URLS.event(uuid), id=f"{actor}/join/event/{n}", **overrides)


def mobilizon_leave(actor: str, uuid: str) -> dict[str, Any]:
    return load_fixture("mobilizon/mobilizon-leave-activity.json", actor=actor,
                        object=URLS.event(uuid), id=f"{actor}/leave/event/1")


def answers_to(person: str) -> list[dict[str, Any]]:
    """What the fan-out sends for the participation activities of the group, its organiser ann
    and `person`, oldest first: each document with its `_sender` and `_inboxes`."""
    sent = []
    repo = DynamoRepository()
    everything = [a for who in ("club", "ann", person) for a in repo.outbox(who, limit=50)]
    for activity in sorted(everything, key=lambda a: a.published):
        if activity.object_kind != "participation":
            continue
        for delivery in plan(activity, DynamoRepository(), URLS):
            sent.append({**delivery.activity, "_sender": delivery.sender,
                         "_inboxes": delivery.inboxes})
    return sent


def stored(uuid: str, who: str) -> Participation | None:
    return DynamoRepository().get(Participation, f"{uuid}|{who}")


def count(uuid: str) -> int:
    event = DynamoRepository().get(Event, uuid)
    assert event is not None
    return event.participant_count


def test_a_mobilizon_join_of_a_free_event_is_accepted(world: RemoteServer) -> None:
    # Given a free event of @club
    event = new_event()
    # When alice's Mobilizon sends its Join, with a message for the organisers
    status, body = deliver_as(mobilizon_join(ALICE, event.uuid,
                                             participationMessage="I bring tools"), ALICE)
    # Then she takes part at once, the count goes up, her message is kept
    assert (status, body["status"]) == (202, "accepted"), body
    taken = stored(event.uuid, ALICE)
    assert taken is not None and taken.role == "participant"
    assert taken.message == "I bring tools"
    assert count(event.uuid) == 1
    # And the group's Accept, echoing her Join, goes to her inbox only
    (accept,) = answers_to(ALICE)
    assert accept["type"] == "Accept" and accept["actor"] == URLS.actor("club")
    assert accept["object"] == f"{ALICE}/join/event/1"
    assert accept["_inboxes"] == (f"{ALICE}/inbox",) and accept["_sender"] == "club"


def test_a_join_by_an_embedded_event_is_understood(world: RemoteServer) -> None:
    event = new_event()
    join = mobilizon_join(ALICE, event.uuid)
    join["object"] = {"type": "Event", "id": URLS.event(event.uuid)}
    assert deliver_as(join, ALICE)[1]["status"] == "accepted"
    assert stored(event.uuid, ALICE) is not None


def test_followers_never_hear_of_participation(world: RemoteServer) -> None:
    # Given bob follows @club
    deliver_as(follow_from(BOB), BOB)
    event = new_event()
    # When alice joins
    deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    # Then only alice's inbox receives anything about it
    inboxes = {i for a in answers_to(ALICE) for i in a["_inboxes"]}
    assert inboxes == {f"{ALICE}/inbox"}
    assert answers_to(BOB) == []


def test_a_restricted_event_waits_for_the_organisers_then_accepts(world: RemoteServer) -> None:
    # Given a restricted event
    event = new_event(join_mode="restricted")
    # When alice joins: she waits, nothing is counted, nothing is answered yet
    assert deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)[1]["status"] == "accepted"
    waiting = stored(event.uuid, ALICE)
    assert waiting is not None and waiting.role == "not_approved"
    assert count(event.uuid) == 0 and answers_to(ALICE) == []
    # When the organiser approves her through the API
    organiser = ApiClient(lambda_handler)
    assert organiser.post("/api/session", {"email": "ann@example.org",
                                           "password": "correct horse"}).status == 200
    listed = organiser.get(f"/api/events/{event.uuid}/participants").body["participants"]
    assert [p["participant"] for p in listed] == [ALICE]
    answer = organiser.post(f"/api/events/{event.uuid}/participants/answer",
                            {"participants": [ALICE], "approve": True, "message": "Welcome"})
    assert answer.status == 200, answer.body
    # Then she takes part, and the Accept of her Join goes to her inbox
    assert count(event.uuid) == 1
    (accept,) = answers_to(ALICE)
    assert accept["type"] == "Accept" and accept["object"] == f"{ALICE}/join/event/1"
    assert accept["content"] == "Welcome"


def test_a_refused_request_is_rejected(world: RemoteServer) -> None:
    event = new_event(join_mode="restricted")
    deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    # When the organiser refuses her request
    organiser = ports().repo.get(Actor, "ann")
    assert organiser is not None
    participation.answer_request(ports(), organiser, event.uuid, ALICE, approve=False)
    # Then the Reject of her Join goes to her
    (reject,) = answers_to(ALICE)
    assert reject["type"] == "Reject" and reject["object"] == f"{ALICE}/join/event/1"


@pytest.mark.parametrize("fields, reason", [
    ({"capacity": 1}, "is full"),
    ({"visibility": "private"}, "only members"),
    ({"join_mode": "invite"}, "by invitation"),
])
def test_refusals_answer_with_a_reject_and_store_nothing(world: RemoteServer,
                                                        fields: dict[str, Any],
                                                        reason: str) -> None:
    # Given an event bob cannot join (full once bob took the only place, private, invite-only)
    event = new_event(**fields)
    if "capacity" in fields:
        assert deliver_as(mobilizon_join(BOB, event.uuid), BOB)[1]["status"] == "accepted"
    # When alice's Join arrives
    status, body = deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    # Then it is processed (not failed), says why, and stores nothing
    assert (status, body["status"]) == (202, "accepted")
    assert reason in body["detail"]
    assert stored(event.uuid, ALICE) is None
    # And a Reject of her Join, saying why, goes to her inbox
    (reject,) = answers_to(ALICE)
    assert reject["type"] == "Reject" and reject["object"] == f"{ALICE}/join/event/1"
    assert reason in reject["content"] and reject["_inboxes"] == (f"{ALICE}/inbox",)


def test_a_cancelled_event_rejects_joins(world: RemoteServer) -> None:
    event = new_event()
    cancelled = event.evolve(status="cancelled")
    from affiche.domain.ports import ChangeSet

    DynamoRepository().commit(ChangeSet().put(cancelled))
    _status, body = deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    assert body["status"] == "accepted" and "cancelled" in body["detail"]
    assert [a["type"] for a in answers_to(ALICE)] == ["Reject"]


def test_a_join_sent_again_is_accepted_again(world: RemoteServer) -> None:
    event = new_event()
    deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    _status, body = deliver_as(mobilizon_join(ALICE, event.uuid, n=2), ALICE)
    assert body["status"] == "accepted" and "accepted again" in body["detail"]
    assert count(event.uuid) == 1
    assert [a["type"] for a in answers_to(ALICE)] == ["Accept", "Accept"]


def test_joins_of_things_that_are_not_our_events_are_ignored(world: RemoteServer) -> None:
    assert deliver_as(mobilizon_join(ALICE, "nope"), ALICE)[1]["status"] == "ignored"
    elsewhere = load_fixture("mobilizon/mobilizon-join-activity.json", actor=ALICE,
                             id=f"{ALICE}/join/x")
    assert deliver_as(elsewhere, ALICE)[1]["status"] == "ignored"


def test_leave_and_undo_join_free_the_place(world: RemoteServer) -> None:
    # Given alice and bob take part
    event = new_event()
    deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    deliver_as(mobilizon_join(BOB, event.uuid), BOB)
    assert count(event.uuid) == 2
    # When alice's Mobilizon sends Leave
    _status, body = deliver_as(mobilizon_leave(ALICE, event.uuid), ALICE)
    assert body["status"] == "accepted", body
    assert stored(event.uuid, ALICE) is None and count(event.uuid) == 1
    # When bob's server sends Undo{Join}
    undo = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Undo",
            "id": f"{BOB}/undo/1", "actor": BOB,
            "object": mobilizon_join(BOB, event.uuid) | {"@context": None}}
    del undo["object"]["@context"]
    assert deliver_as(undo, BOB)[1]["status"] == "accepted"
    assert stored(event.uuid, BOB) is None and count(event.uuid) == 0
    # A Leave of an event one does not take part in is ignored, not failed
    assert deliver_as(mobilizon_leave(ALICE, event.uuid) | {"id": f"{ALICE}/l2"},
                      ALICE)[1]["status"] == "ignored"


def test_activities_are_recorded_as_private(world: RemoteServer) -> None:
    event = new_event()
    deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    found: list[Activity] = DynamoRepository().outbox(ALICE, limit=10)
    assert [a.audience for a in found if a.object_kind == "participation"] == ["private"]
    assert PUBLIC  # the event URL of the Join is on our public URL


def test_a_deleted_account_frees_its_places(world: RemoteServer) -> None:
    # Given alice takes part in an event
    event = new_event()
    deliver_as(mobilizon_join(ALICE, event.uuid), ALICE)
    assert count(event.uuid) == 1
    # When her server says her account is gone
    delete = load_fixture("mastodon/delete-actor.json", id=f"{ALICE}#delete", actor=ALICE,
                          object=ALICE)
    assert deliver_as(delete, ALICE, path="/inbox")[1]["status"] == "accepted"
    # Then her place is free again
    assert stored(event.uuid, ALICE) is None and count(event.uuid) == 0


def test_odd_messages_and_groups_never_crash(world: RemoteServer) -> None:
    # A message with control characters and far too long is kept as clean, bounded text
    event = new_event()
    odd = "Hi\x00 there\r\n" + "x" * 5000
    assert deliver_as(mobilizon_join(ALICE, event.uuid, participationMessage=odd),
                      ALICE)[1]["status"] == "accepted"
    taken = stored(event.uuid, ALICE)
    assert taken is not None and taken.message.startswith("Hi there\n")
    assert len(taken.message) == participation.MESSAGE_MAX
    # A message that is not text is left out
    assert deliver_as(mobilizon_join(BOB, event.uuid, participationMessage={"a": 1}),
                      BOB)[1]["status"] == "accepted"
    assert stored(event.uuid, BOB).message == ""  # type: ignore[union-attr]
