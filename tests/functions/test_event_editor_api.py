"""The organiser's event API end to end: create with every field, PATCH/PUT that keep what
they are not sent, drafts, cancel, duplicate, delete, pictures, private events read by members,
and every bad input answered 4xx (API Gateway events -> API handler -> domain -> moto)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from affiche.domain.model import Activity, Event
from affiche.web.ports import ports
from functions.api.handler import lambda_handler
from tests import imagebytes
from tests.functions.api_client import Answer, ApiClient, signed_up

PLACE = {"name": "Town hall", "street": "1 Main Street", "locality": "Lyon",
         "country": "France", "latitude": 45.7676, "longitude": 4.8345}
EVENT: dict[str, Any] = {"title": "Picnic", "begins_on": "2031-06-01T12:00",
                         "ends_on": "2031-06-01T15:00", "timezone": "Europe/Paris",
                         "address": PLACE}


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> ApiClient:
    """ann, administrator of the group @club."""
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    assert client.post("/api/groups", {"name": "club", "display_name": "Club",
                                       "openness": "open"}).status == 201
    return client


@pytest.fixture
def bob(aws: Path, ann: ApiClient) -> ApiClient:
    """bob, a plain member of @club."""
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "bob@example.org", "bob")
    assert client.post("/api/groups/club/join", {}).status in {200, 201}
    return client


@pytest.fixture
def eve(aws: Path, ann: ApiClient) -> ApiClient:
    """eve, who is in no group."""
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "eve@example.org", "eve")
    return client


def created(client: ApiClient, **extra: Any) -> dict[str, Any]:
    answer = client.post("/api/groups/club/events", {**EVENT, **extra})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


def activities_of(uuid: str) -> list[str]:
    found = [a for a in ports().repo.all_of_kind(Activity.kind) if a.object_key == uuid]
    return [a.type for a in sorted(found, key=lambda a: a.published)]


def refused(answer: Answer, status: int, words: str) -> None:
    assert (answer.status, words in str(answer.body)) == (status, True), (answer.status,
                                                                         answer.body)


def test_every_field_is_stored_and_returned(ann: ApiClient) -> None:
    # When ann creates an event with every field of the editor
    body = created(ann, category="outdoors_adventure", accessibility=["subtitles", "wheelchair"],
                   contacts=["@ann"], join_mode="external",
                   external_url="https://tickets.example.org/picnic", tags=["#food"])
    # Then each comes back, normalised
    assert body["category"] == "OUTDOORS_ADVENTURE"
    assert body["accessibility"] == ["wheelchair", "subtitles"]
    assert body["contacts"] == ["ann"] and body["tags"] == ["food"]
    assert body["address"]["latitude"] == 45.7676 and body["address"]["locality"] == "Lyon"
    assert body["external_url"] == "https://tickets.example.org/picnic"
    assert body["draft"] is False and activities_of(body["uuid"]) == ["Create"]


def test_time_zone_defaults_to_utc(ann: ApiClient) -> None:
    # Groups have no time zone of their own yet: the instance default is UTC
    body = created(ann, timezone=None)
    assert body["timezone"] == "UTC" and body["begins_on"].startswith("2031-06-01T12:00:00")


def test_patch_changes_only_what_is_sent(ann: ApiClient) -> None:
    # Given an event with a place
    uuid = created(ann, capacity=20)["uuid"]
    # When only its time changes
    answer = ann.call("PATCH", f"/api/events/{uuid}", {"begins_on": "2031-06-01T13:00"})
    # Then the place, the capacity and the zone are kept
    assert answer.status == 200, answer.body
    assert answer.body["address"]["name"] == "Town hall" and answer.body["capacity"] == 20
    assert answer.body["begins_on"] == "2031-06-01T11:00:00+00:00"
    # And null clears an optional field
    cleared = ann.call("PATCH", f"/api/events/{uuid}", {"capacity": None, "address": None})
    assert cleared.body["capacity"] is None and cleared.body["address"] is None
    assert activities_of(uuid) == ["Create", "Update", "Update"]


def test_put_with_only_a_new_time_keeps_the_place(ann: ApiClient) -> None:
    # The bug found from outside: PUT with the required fields only erased the place
    uuid = created(ann)["uuid"]
    answer = ann.call("PUT", f"/api/events/{uuid}", {
        "title": "Picnic", "begins_on": "2031-06-02T12:00", "ends_on": "2031-06-02T15:00"})
    assert answer.status == 200, answer.body
    assert answer.body["address"]["street"] == "1 Main Street"
    assert answer.body["timezone"] == "Europe/Paris"


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"ends_on": "2031-06-01T11:00"}, 400, "ends_on must be after begins_on"),
    ({"timezone": "Mars/Olympus"}, 400, "IANA time zone"),
    ({"begins_on": "0001-01-01T00:00", "ends_on": "0001-01-01T01:00"}, 400, "between the years"),
    ({"begins_on": "9999-12-31T22:00", "ends_on": "9999-12-31T23:59"}, 400, "between the years"),
    ({"begins_on": "tomorrow"}, 400, "ISO 8601"),
    ({"category": "KNITTING"}, 400, "category must be one of"),
    ({"accessibility": ["ramp"]}, 400, "accessibility must be one of"),
    ({"contacts": ["nobody"]}, 400, "no local profile @nobody"),
    ({"contacts": ["club"]}, 400, "no local profile @club"),
    ({"join_mode": "external"}, 400, "external_url is required"),
    ({"external_url": "javascript:alert(1)"}, 400, "http or https URL"),
    ({"address": {"latitude": 91, "longitude": 0}}, 400, "between -90 and 90"),
    ({"address": {"latitude": 10, "longitude": -181}}, 400, "between -180 and 180"),
    ({"address": {"latitude": 10}}, 400, "both latitude and longitude"),
    ({"address": {"name": "Hall\nB"}}, 400, "one line"),
    ({"title": "Two\nlines"}, 400, "one line"),
    ({"title": "x" * 201}, 400, "at most 200"),
    ({"capacity": 0}, 400, "capacity must be between"),
    ({"visibility": "secret"}, 400, "visibility must be one of"),
    ({"status": "postponed"}, 400, "status must be one of"),
    ({"colour": "red"}, 422, "colour"),
    ({"capacity": "ten"}, 422, "capacity"),
])
def test_bad_input_is_refused_and_nothing_changes(ann: ApiClient, change: dict[str, Any],
                                                  status: int, words: str) -> None:
    uuid = created(ann)["uuid"]
    # When the same bad value is sent on creation and as a change
    refused(ann.post("/api/groups/club/events", {**EVENT, **change}), status, words)
    refused(ann.call("PATCH", f"/api/events/{uuid}", change), status, words)
    # Then the event is as it was
    event = ports().repo.get(Event, uuid)
    assert event is not None and event.version == 1 and activities_of(uuid) == ["Create"]


def test_capacity_below_the_participants_is_a_conflict(ann: ApiClient) -> None:
    uuid = created(ann, capacity=10)["uuid"]
    event = ports().repo.get(Event, uuid)
    assert event is not None
    from affiche.domain.ports import ChangeSet

    ports().repo.commit(ChangeSet().tally(event, "participant_count", 5))
    refused(ann.call("PATCH", f"/api/events/{uuid}", {"capacity": 4}), 409,
            "lower than the number of participants (5)")
    assert ann.call("PATCH", f"/api/events/{uuid}", {"capacity": 5}).status == 200


def test_a_draft_is_seen_by_moderators_only_until_published(ann: ApiClient, bob: ApiClient,
                                                            eve: ApiClient) -> None:
    # Given a draft
    uuid = created(ann, draft=True)["uuid"]
    # Then it records no activity, so nothing renders nor federates
    assert activities_of(uuid) == []
    # And only the group's moderators read it
    assert ann.get(f"/api/events/{uuid}").status == 200
    for other in (bob, eve, ApiClient(lambda_handler)):
        refused(other.get(f"/api/events/{uuid}"), 404, "no event")
    # And editing it still records nothing
    assert ann.call("PATCH", f"/api/events/{uuid}", {"title": "Picnic (draft 2)"}).status == 200
    assert activities_of(uuid) == []
    # When it is published it is created, for everyone
    published = ann.post(f"/api/events/{uuid}/publish", {})
    assert published.status == 200 and published.body["draft"] is False
    assert activities_of(uuid) == ["Create"]
    assert eve.get(f"/api/events/{uuid}").body["title"] == "Picnic (draft 2)"
    # And it cannot go back to being a draft, nor be published twice
    refused(ann.call("PATCH", f"/api/events/{uuid}", {"draft": True}), 409, "cannot become")
    refused(ann.post(f"/api/events/{uuid}/publish", {}), 409, "already published")


def test_publishing_through_patch(ann: ApiClient) -> None:
    uuid = created(ann, draft=True)["uuid"]
    assert ann.call("PATCH", f"/api/events/{uuid}", {"draft": False}).body["draft"] is False
    assert activities_of(uuid) == ["Create"]


def test_a_private_event_is_read_by_its_members(ann: ApiClient, bob: ApiClient,
                                                eve: ApiClient) -> None:
    # The bug found from outside: nobody, its author included, could read a private event
    uuid = created(ann, visibility="private")["uuid"]
    assert ann.get(f"/api/events/{uuid}").status == 200
    assert bob.get(f"/api/events/{uuid}").body["visibility"] == "private"
    refused(eve.get(f"/api/events/{uuid}"), 404, "no event")
    refused(ApiClient(lambda_handler).get(f"/api/events/{uuid}"), 404, "no event")


def test_cancel(ann: ApiClient) -> None:
    uuid = created(ann)["uuid"]
    cancelled = ann.post(f"/api/events/{uuid}/cancel", {})
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert activities_of(uuid) == ["Create", "Update"]
    refused(ann.post(f"/api/events/{uuid}/cancel", {}), 409, "already cancelled")


def test_duplicate_is_a_new_draft(ann: ApiClient) -> None:
    original = created(ann, capacity=12, category="FOOD_DRINK")
    copy = ann.post(f"/api/events/{original['uuid']}/duplicate", {})
    assert copy.status == 201, copy.body
    assert copy.body["uuid"] != original["uuid"] and copy.body["draft"] is True
    assert (copy.body["title"], copy.body["capacity"], copy.body["category"]) == (
        "Picnic", 12, "FOOD_DRINK")
    assert copy.body["address"] == original["address"] and copy.body["participant_count"] == 0


def test_delete_is_soft_and_recorded(ann: ApiClient, bob: ApiClient) -> None:
    uuid = created(ann)["uuid"]
    refused(bob.call("DELETE", f"/api/events/{uuid}"), 403, "only a group moderator")
    deleted = ann.call("DELETE", f"/api/events/{uuid}")
    assert deleted.status == 200 and deleted.body == {"uuid": uuid, "deleted": True}
    assert activities_of(uuid) == ["Create", "Delete"]
    event = ports().repo.get(Event, uuid)
    assert event is not None and event.deleted  # kept, so its id is never reused
    refused(ann.get(f"/api/events/{uuid}"), 404, "no event")
    for method, path in (("DELETE", ""), ("PATCH", ""), ("POST", "/cancel")):
        refused(ann.call(method, f"/api/events/{uuid}{path}", {} if method != "DELETE"
                         else None), 404, "no event")


def test_picture_upload_checks_like_group_images(ann: ApiClient) -> None:
    uuid = created(ann)["uuid"]
    image = imagebytes.png(16, 8)
    uploaded = ann.post(f"/api/events/{uuid}/picture", image,
                        headers={"content-type": "image/png"})
    assert uploaded.status == 200, uploaded.body
    assert uploaded.body["picture"].startswith("media/club/")
    refused(ann.post(f"/api/events/{uuid}/picture", image,
                     headers={"content-type": "image/svg+xml"}), 415, "Content-Type one of")
    refused(ann.post(f"/api/events/{uuid}/picture", b"not an image",
                     headers={"content-type": "image/png"}), 400, "not a PNG")
    removed = ann.call("DELETE", f"/api/events/{uuid}/picture")
    assert removed.status == 200 and removed.body["picture"] is None
