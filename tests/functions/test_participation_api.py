"""Taking part in events through the JSON API (API Gateway events -> handler -> domain -> moto):
joining, leaving, organisers answering and exporting, every refusal a person can meet, and what
the public files show afterwards (a count, never who). The graph itself is stepped in
tests/unit/test_participation_states.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings
from affiche.local.pollers import StreamPoller
from affiche.mail import read_maildir
from functions.api.handler import lambda_handler
from tests.functions.api_client import Answer, ApiClient, signed_up
from tests.functions.stream_support import OutboxStream
from tests.functions.test_group_public_output import Site, strict_outbox

EVENT = {"title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T15:00",
         "timezone": "Europe/Paris"}


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> ApiClient:
    """ann, creator of the open group @club."""
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    answer = client.post("/api/groups", {"name": "club", "display_name": "The Club",
                                         "openness": "open"})
    assert answer.status == 201, answer.body
    return client


def person(aws: Path, name: str) -> ApiClient:
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", f"{name}@example.org", name)
    return client


@pytest.fixture
def bob(aws: Path, ann: ApiClient) -> ApiClient:
    return person(aws, "bob")


def event(ann: ApiClient, **fields: Any) -> str:
    answer = ann.post("/api/groups/club/events", {**EVENT, **fields})
    assert answer.status == 201, answer.body
    uuid: str = answer.body["uuid"]
    return uuid


def count(client: ApiClient, uuid: str) -> int:
    found: int = client.get(f"/api/events/{uuid}").body["participant_count"]
    return found


def refused(answer: Answer, status: int, message: str) -> None:
    assert (answer.status, message in str(answer.body.get("message"))) == (status, True), (
        answer.status, answer.body)


_stream: list[OutboxStream] = []


@pytest.fixture(autouse=True)
def outbox_stream(aws: Path) -> OutboxStream:
    """Mails are sent by the outbox function from the change stream: read them after it ran."""
    _stream[:] = [OutboxStream()]
    return _stream[0]


def mails_to(aws: Path, to: str) -> list[str]:
    _stream[0].drain()
    return [str(m["Subject"]) + "\n" + m.get_content()
            for _, m in read_maildir(str(aws / "mail")) if m["To"] == to]


def test_join_and_leave_a_free_event(ann: ApiClient, bob: ApiClient) -> None:
    uuid = event(ann, capacity=5)
    refused(ApiClient(lambda_handler).post(f"/api/events/{uuid}/participation"), 401, "log in")
    # When bob joins (no body needed)
    joined = bob.post(f"/api/events/{uuid}/participation")
    # Then he takes part at once and the count says so
    assert (joined.status, joined.body["state"], joined.body["participant"]) == (
        201, "participant", "bob")
    assert count(bob, uuid) == 1
    refused(bob.post(f"/api/events/{uuid}/participation", {}), 409,
            "@bob already takes part in “Picnic”")
    mine = bob.get("/api/me/participations").body["participations"]
    assert [(p["event"], p["state"], p["title"]) for p in mine] == [(uuid, "participant", "Picnic")]
    # When he leaves, his place is free again; leaving twice is refused
    left = bob.call("DELETE", f"/api/events/{uuid}/participation")
    assert (left.status, left.body["state"]) == (200, "left")
    assert count(bob, uuid) == 0
    refused(bob.call("DELETE", f"/api/events/{uuid}/participation"), 404,
            "@bob does not take part in “Picnic”")
    assert bob.post(f"/api/events/{uuid}/participation").status == 201  # may come back


def test_a_full_event_refuses_more_participants(ann: ApiClient, bob: ApiClient,
                                                aws: Path) -> None:
    uuid = event(ann, capacity=1)
    assert bob.post(f"/api/events/{uuid}/participation").status == 201
    carol = person(aws, "carol")
    refused(carol.post(f"/api/events/{uuid}/participation"), 409, "“Picnic” is full (1 places)")
    assert count(carol, uuid) == 1


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"status": "cancelled"}, 409, "“Picnic” is cancelled"),
    ({"begins_on": "2020-06-01T12:00", "ends_on": "2020-06-01T15:00"}, 409, "“Picnic” is over"),
    ({"visibility": "private"}, 403, "only members of @club can take part"),
    ({"join_mode": "external", "external_url": "https://tickets.example/picnic"}, 403,
     "registration for “Picnic” happens elsewhere: register at https://tickets.example/picnic"),
    ({"join_mode": "invite"}, 403,
     "“Picnic” is by invitation: only people its organisers invited and members of @club"),
])
def test_events_that_cannot_be_joined_say_why(ann: ApiClient, bob: ApiClient,
                                              fields: dict[str, Any], status: int,
                                              message: str) -> None:
    uuid = event(ann, **fields)
    refused(bob.post(f"/api/events/{uuid}/participation"), status, message)
    assert ann.get(f"/api/events/{uuid}/participants").body["participants"] == []


def test_bad_requests_are_refused_with_a_message(ann: ApiClient, bob: ApiClient) -> None:
    uuid = event(ann)
    refused(bob.post("/api/events/nope/participation"), 404, "no event nope")
    refused(bob.post(f"/api/events/{'x' * 3000}/participation"), 404, "no event xxx")
    refused(bob.post(f"/api/events/{uuid}/participation", {"message": "x" * 2001}), 400,
            "message must be at most 2000 characters")
    refused(bob.post(f"/api/events/{uuid}/participation", {"message": "a\x00b"}), 400,
            "message must not contain control characters")
    refused(bob.post(f"/api/events/{uuid}/participation", {"profile": "ann"}), 403,
            "@ann is not one of your profiles")
    refused(bob.post(f"/api/events/{uuid}/participation", {"message": 3}), 422, "message")
    refused(bob.post(f"/api/events/{uuid}/participation", {"extra": 1}), 422, "unknown field")
    refused(ann.post(f"/api/events/{uuid}/participants/answer",
                     {"participants": ["nobody"], "approve": True}), 404,
            "@nobody has not asked to take part in “Picnic”")
    refused(ann.post(f"/api/events/{uuid}/participants/answer",
                     {"participants": [], "approve": True}), 422, "participants")
    refused(ann.post(f"/api/events/{uuid}/participants/answer",
                     {"participants": ["x" * 5000], "approve": True}), 400,
            "a participant's name is too long")
    refused(ann.get(f"/api/events/{uuid}/participants", query={"page": "0"}), 400,
            "page must be a whole number")
    refused(ann.get(f"/api/events/{uuid}/participants", query={"state": "bogus"}), 400,
            "role must be one of")


def test_members_take_part_in_invite_only_and_private_events(ann: ApiClient, bob: ApiClient
                                                            ) -> None:
    uuid = event(ann, join_mode="invite", visibility="private")
    assert bob.post("/api/groups/club/join").status == 201
    joined = bob.post(f"/api/events/{uuid}/participation")
    assert (joined.status, joined.body["state"]) == (201, "participant")


def test_restricted_event_organisers_answer_several_requests(ann: ApiClient, bob: ApiClient,
                                                             aws: Path) -> None:
    uuid = event(ann, join_mode="restricted", capacity=2)
    carol, dan = person(aws, "carol"), person(aws, "dan")
    # Given three people asking to take part, one with a message
    asked = bob.post(f"/api/events/{uuid}/participation", {"message": "=1+1 I bring cake"})
    assert (asked.status, asked.body["state"]) == (201, "not_approved")
    assert carol.post(f"/api/events/{uuid}/participation").status == 201
    assert dan.post(f"/api/events/{uuid}/participation").status == 201
    assert count(ann, uuid) == 0
    assert any("bob asks to take part in Picnic" in m and "=1+1 I bring cake" in m
               for m in mails_to(aws, "ann@example.org"))
    # Then only organisers see the requests
    refused(bob.get(f"/api/events/{uuid}/participants"), 403,
            "only a group moderator or above can see and answer the participants")
    listed = ann.get(f"/api/events/{uuid}/participants", query={"limit": "2"})
    assert listed.body["total"] == 3 and len(listed.body["participants"]) == 2
    assert listed.body["participants"][0]["message"] == "=1+1 I bring cake"
    # When the organiser approves all three at once with only two places: nothing changes
    three = {"participants": ["bob", "carol", "dan"], "approve": True}
    refused(ann.post(f"/api/events/{uuid}/participants/answer", three), 409,
            "only 2 places are left in “Picnic”")
    assert count(ann, uuid) == 0
    # When they approve two with a message and reject the third
    approved = ann.post(f"/api/events/{uuid}/participants/answer", {
        "participants": ["bob", "carol"], "approve": True, "message": "See you there"})
    assert [(p["participant"], p["state"]) for p in approved.body["participants"]] == [
        ("bob", "participant"), ("carol", "participant")]
    rejected = ann.post(f"/api/events/{uuid}/participants/answer",
                        {"participants": ["dan"], "approve": False})
    assert rejected.body["participants"][0]["state"] == "rejected"
    assert count(ann, uuid) == 2
    assert any("See you there" in m for m in mails_to(aws, "bob@example.org"))
    assert any("declined" in m for m in mails_to(aws, "dan@example.org"))
    refused(dan.post(f"/api/events/{uuid}/participation"), 409,
            "@dan was refused by the organisers of “Picnic”")
    # And the CSV export lists everyone with their state, formulas defused
    exported = ann.get(f"/api/events/{uuid}/participants.csv")
    assert exported.status == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.body)))
    assert rows[0] == ["participant", "name", "state", "message", "since"]
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("bob", "participant", "'=1+1 I bring cake"), ("carol", "participant", ""),
        ("dan", "rejected", "")]
    refused(bob.get(f"/api/events/{uuid}/participants.csv"), 403, "only a group moderator")


def test_private_calendar_feed_lists_my_events_and_can_be_revoked(ann: ApiClient,
                                                                  bob: ApiClient) -> None:
    uuid = event(ann)
    other = event(ann, title="Other")
    assert bob.post(f"/api/events/{uuid}/participation").status == 201
    made = bob.post("/api/me/calendar-feed")
    assert made.status == 201
    url: str = made.body["url"]
    path = url.removeprefix(get_settings().public_url)
    anonymous = ApiClient(lambda_handler)
    feed = anonymous.get(path)
    assert feed.status == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:Picnic" in feed.body and other not in feed.body
    assert feed.headers["Cache-Control"] == "private, no-store"
    # When bob makes a new link, the old one stops working
    again = bob.post("/api/me/calendar-feed", {})
    assert again.body["url"] != url
    refused(anonymous.get(path), 404, "this calendar link is unknown or was revoked")
    assert anonymous.get(again.body["url"].removeprefix(get_settings().public_url)).status == 200


@pytest.fixture
def site(aws: Path, ann: ApiClient) -> Site:
    return Site(StreamPoller(get_settings().table_name, strict_outbox), aws / "mail")


def test_public_files_show_the_count_never_who(site: Site, ann: ApiClient, bob: ApiClient
                                               ) -> None:
    uuid = event(ann, capacity=10)
    site.publish()
    assert "0 / 10 taken" in site.html(f"events/{uuid}/index.html")
    # When bob joins
    joined = bob.post(f"/api/events/{uuid}/participation", {"message": "secret words"})
    assert joined.status == 201
    site.publish()
    # Then the event page, its JSON and the group page show one participant
    assert "1 / 10 taken" in site.html(f"events/{uuid}/index.html")
    doc = site.json(f"events/{uuid}/index.json")
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 9)
    assert "1 / 10 taking part" in site.html("@club/index.html")
    # And nothing public (outside his own profile's pages) names him or carries his message
    published = site.keys()
    for key in published:
        if key.startswith("@bob/"):
            continue
        body = site.body(key)
        assert b"secret words" not in body and b"@bob" not in body, key
        if key.endswith("outbox.json"):  # no participation activity is listed
            types = {item["type"] for item in site.json(key)["orderedItems"]}
            assert not types & {"Join", "Leave", "Accept", "Reject", "Invite"}, key


def test_deleting_a_profile_frees_its_places(ann: ApiClient, bob: ApiClient) -> None:
    uuid = event(ann, capacity=2)
    made = bob.post("/api/me/profiles", {"name": "bobby", "display_name": "Bobby"})
    assert made.status == 201, made.body
    assert bob.post(f"/api/events/{uuid}/participation", {"profile": "bobby"}).status == 201
    assert count(bob, uuid) == 1
    # When bob deletes that profile, its place is free again and it is no longer listed
    assert bob.call("DELETE", "/api/me/profiles/bobby").status == 200
    assert count(bob, uuid) == 0
    assert ann.get(f"/api/events/{uuid}/participants").body["participants"] == []
