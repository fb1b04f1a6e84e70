"""An event's whole journey in a real headless Chromium, against a whole local instance.

An organiser fills the members' event editor and publishes; a visitor who is not logged in
reads the static event page; another person takes part from that page; the visitor's page
then shows the new count, once the change stream has rebuilt it. Three browser contexts, three
people, JavaScript off: every step is a link or a plain form post (see browser_support.py)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from affiche.local.runner import Instance
from tests.e2e.browser_support import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import (
    browser,
    create_group,
    new_person,
    sign_up_and_log_in,
)

__all__ = ["browser"]

LOCAL_TIME = "%Y-%m-%dT%H:%M"  # what a datetime-local field takes
PUBLISHED_WITHIN = 20.0  # seconds for the stream to rebuild a static page


def eventually_shows(page: Page, url: str, text: str) -> None:
    """Open `url`, then reload it (as a person presses reload) until it shows `text`: static
    pages are rebuilt by the change stream, a moment after the change."""
    deadline = time.monotonic() + PUBLISHED_WITHIN
    response = page.goto(url)
    while not (response is not None and response.ok and text in page.inner_text("body")):
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not show {text!r} within {PUBLISHED_WITHIN}s: "
                                 f"{page.inner_text('body')[:500]!r}")
        page.wait_for_timeout(200)
        response = page.reload()


def fill_new_event(page: Page, title: str, capacity: int) -> None:
    """The editor's fields, found by their labels as a person reads them."""
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(hour=18, minute=30)
    page.get_by_label("Title", exact=True).fill(title)
    ends = starts + timedelta(hours=2)
    page.get_by_label("Starts", exact=True).fill(starts.strftime(LOCAL_TIME))
    page.get_by_label("Ends", exact=True).fill(ends.strftime(LOCAL_TIME))
    # get_by_label would read the label's whole text, every zone included; the accessible
    # name a screen reader announces is "Time zone"
    page.get_by_role("combobox", name="Time zone").select_option("Europe/Paris")
    page.get_by_label("Description", exact=True).fill("Bring *seeds* and a friend.")
    page.get_by_label("Place name", exact=True).fill("Community garden")
    page.get_by_label("Street", exact=True).fill("12 rue des Lilas")
    page.get_by_label("Town", exact=True).fill("Lyon")
    page.get_by_label("Country", exact=True).fill("France")
    page.get_by_label("Latitude", exact=True).fill("45.764")
    page.get_by_label("Longitude", exact=True).fill("4.8357")
    page.get_by_label("Places", exact=True).fill(str(capacity))


def test_an_event_goes_from_the_editor_to_a_visitor_and_a_participant(
        instance: Instance, browser: Browser) -> None:
    # Given Ann, an organiser with a group
    ann = new_person(browser, instance)
    sign_up_and_log_in(ann, "ann@example.org", "ann")
    create_group(ann, "Garden club", "garden")
    # When she publishes an event from the editor, reached from her group's dashboard
    ann.goto("/app/groups/garden/")
    ann.get_by_role("link", name="New event").click()
    expect(ann.get_by_role("heading", level=1)).to_have_text("New event of Garden club")
    fill_new_event(ann, "Seed swap", capacity=5)
    # (a latitude off the globe first: the error shows under the field, with what she typed)
    latitude = ann.get_by_label("Latitude", exact=True)
    latitude.fill("95")
    ann.get_by_role("button", name="Publish", exact=True).click()
    expect(latitude).to_have_attribute("aria-invalid", "true")
    expect(latitude).to_have_accessible_description(re.compile("between -90 and 90"))
    expect(ann.locator("#event-address\\.latitude-error")).to_have_text(
        "latitude must be between -90 and 90")
    expect(ann.get_by_label("Title", exact=True)).to_have_value("Seed swap")
    latitude.fill("45.764")
    ann.get_by_role("button", name="Publish", exact=True).click()
    expect(ann.get_by_role("status")).to_have_text("“Seed swap” is published.")
    uuid = ann.url.rstrip("/").rsplit("/", 1)[-1]
    static_page = f"/events/{uuid}/"

    # Then a visitor, not logged in, reads the static page: title, place, places taken
    visitor = new_person(browser, instance)
    eventually_shows(visitor, static_page, "0 / 5 taken")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Seed swap")
    expect(visitor.locator("dl.facts")).to_contain_text("Community garden")
    expect(visitor.locator("dl.facts")).to_contain_text("Lyon")
    # And, coordinates given, the place links to OpenStreetMap
    osm = visitor.get_by_role("link", name="See on OpenStreetMap")
    expect(osm).to_have_attribute("href", "https://www.openstreetmap.org/"
                                          "?mlat=45.764&mlon=4.8357#map=17/45.764/4.8357")

    # When Bob, logged in another context, follows "Participate" and takes part
    bob = new_person(browser, instance)
    sign_up_and_log_in(bob, "bob@example.org", "bob")
    bob.goto(static_page)
    bob.get_by_role("link", name="Participate").click()
    expect(bob).to_have_url(f"{instance.url}/app/events/{uuid}/participate")
    expect(bob.get_by_text("5 of 5 places left")).to_be_visible()
    bob.get_by_role("button", name="Take part", exact=True).click()
    expect(bob.get_by_role("status")).to_have_text("You take part in this event.")
    expect(bob.locator("p.state")).to_have_text("@bob: You take part.")
    expect(bob.get_by_text("4 of 5 places left")).to_be_visible()
    expect(bob.get_by_role("button", name="I no longer take part")).to_be_visible()

    # Then the visitor's reloaded page counts him within a few seconds
    eventually_shows(visitor, static_page, "1 / 5 taken")
    # And Bob, going back to the page he saw before, is counted too: no stale copy from his
    # browser's cache (static pages are served with max-age=0, s-maxage=60)
    bob.get_by_role("link", name="Back to the event").click()
    expect(bob.locator("dl.facts")).to_contain_text("1 / 5 taken")
