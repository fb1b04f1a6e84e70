"""A report's journey in a real headless Chromium, against a whole local instance: a visitor
reports an event from its static page (the instance takes anonymous reports), a moderator opens
the report in the moderation pages and hides the event; the static page then answers 410."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from affiche.local.runner import Instance
from tests.e2e.browser_support import CHROMIUM, PASSWORD, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Browser, expect

from affiche.domain import accounts, events, groups
from affiche.domain import instance as instance_admin
from affiche.web.ports import ports
from tests.e2e.browser_support import browser, new_person
from tests.e2e.test_event_journey import eventually_shows

__all__ = ["browser"]
GONE_WITHIN = 20.0


def test_a_visitor_reports_an_event_and_a_moderator_hides_it(instance: Instance,
                                                             browser: Browser) -> None:
    # Given a published event, an instance taking anonymous reports, and a moderator
    context = ports()
    ann = accounts.signup(context, email="ann@example.org", password=PASSWORD, username="ann",
                          confirmed=True)
    root = accounts.signup(context, email="root@example.org", password=PASSWORD,
                           username="root", confirmed=True, role="admin")
    accounts.signup(context, email="mo@example.org", password=PASSWORD, username="mo",
                    confirmed=True, role="moderator")
    instance_admin.set_anonymous_reports(context, root, True)
    groups.create_group(context, ann, name="garden", display_name="Garden club")
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    event = events.create_event(context, ann, "garden", events.EventInput(
        title="Seed swap", begins_on=starts.strftime("%Y-%m-%dT%H:%M"),
        ends_on=(starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), timezone="UTC"))
    static_page = f"/events/{event.uuid}/"
    # When a visitor follows "Report this event" on the static page and sends the form
    visitor = new_person(browser, instance)
    eventually_shows(visitor, static_page, "Seed swap")
    visitor.get_by_role("link", name="Report this event").click()
    visitor.get_by_label("Why").select_option("spam")
    visitor.get_by_label("Anything the moderators should know (optional)").fill("Fake tickets")
    visitor.get_by_label("Your email address").fill("visitor@example.org")
    visitor.get_by_role("button", name="Send the report").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Thank you")
    # And a moderator opens it from the queue and hides the event
    mo = new_person(browser, instance)
    mo.goto("/app/login")
    mo.get_by_label("Email", exact=True).fill("mo@example.org")
    mo.get_by_label("Password", exact=True).fill(PASSWORD)
    mo.get_by_role("button", name="Log in").click()
    mo.goto("/app/moderation/reports")
    mo.get_by_role("link", name="Open").click()
    expect(mo.locator("blockquote")).to_have_text("Fake tickets")
    mo.get_by_label("Why (kept on the audit log)").first.fill("scam")
    mo.get_by_role("button", name="Hide this event").click()
    expect(mo.get_by_role("status")).to_have_text("The event is hidden everywhere.")
    # Then the visitor's static page answers 410 Gone within seconds
    deadline = time.monotonic() + GONE_WITHIN
    response = visitor.goto(static_page)
    while response is None or response.status != 410:
        assert time.monotonic() < deadline, f"still {response.status if response else None}"
        visitor.wait_for_timeout(200)
        response = visitor.goto(static_page)
