"""A group's time zone: set with the group, changed in its settings, and the default zone of the
events its organisers create (in the editor and through the API)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from affiche.domain.model import Event
from affiche.web.ports import ports
from functions.api.handler import lambda_handler
from tests.functions.api_client import ApiClient, signed_up
from tests.functions.test_pages import create_group, signed_up_in_browser


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> ApiClient:
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    created = client.post("/api/groups", {"name": "club", "display_name": "Club",
                                          "timezone": "America/New_York"})
    assert created.status == 201, created.body
    return client


def test_events_default_to_their_groups_zone(ann: ApiClient) -> None:
    # Given a group in New York's zone
    assert ann.get("/api/groups/club").body["timezone"] == "America/New_York"
    # When an event is created without a zone
    created = ann.post("/api/groups/club/events", {"title": "Picnic",
                                                   "begins_on": "2031-07-01T10:00",
                                                   "ends_on": "2031-07-01T12:00"})
    assert created.status == 201, created.body
    # Then it is in the group's zone: 10:00 in New York (summer time) is 14:00 UTC
    event = ports().repo.get(Event, created.body["uuid"])
    assert event is not None and event.timezone == "America/New_York"
    assert event.begins_on == datetime(2031, 7, 1, 14, 0, tzinfo=UTC)
    # And a zone given explicitly still wins
    paris = ann.post("/api/groups/club/events", {"title": "Apéro", "timezone": "Europe/Paris",
                                                 "begins_on": "2031-07-01T19:00",
                                                 "ends_on": "2031-07-01T21:00"})
    assert paris.status == 201 and paris.body["timezone"] == "Europe/Paris"


def test_a_groups_zone_is_checked_and_can_change(ann: ApiClient) -> None:
    bad = ann.call("PUT", "/api/groups/club", {"timezone": "Mars/Olympus_Mons"})
    assert bad.status == 400 and "timezone" in bad.body["message"]
    assert ann.get("/api/groups/club").body["timezone"] == "America/New_York"
    changed = ann.call("PUT", "/api/groups/club", {"timezone": "Australia/Sydney"})
    assert changed.status == 200 and changed.body["timezone"] == "Australia/Sydney"


def test_the_editor_starts_in_the_groups_zone(aws: Path, cheap_crypto: None) -> None:
    # Given an administrator who sets the group's zone in the dashboard's settings
    browser = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    assert create_group(browser).status == 303
    dashboard = browser.get("/app/groups/club/")
    assert '<option value="Asia/Tokyo">' in dashboard.body
    saved = browser.submit("/app/groups/club/settings", {
        "display_name": "Club", "summary": "", "visibility": "public", "openness": "moderated",
        "timezone": "Asia/Tokyo"})
    assert saved.status == 303, saved.body
    assert '<option value="Asia/Tokyo" selected>' in browser.get("/app/groups/club/").body
    # When they open the event editor, the zone preselected is the group's
    form = browser.get("/app/groups/club/events/new").body
    assert "<option selected>Asia/Tokyo</option>" in form
