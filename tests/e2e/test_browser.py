"""Members' pages in a real headless Chromium, against a whole local instance.

Debian's chromium is driven by Playwright through its executable path (DESIGN.md: never
`playwright install`); `.ci/run` installs it on CI. The scenario only clicks and types: two
people sign up, confirm from the dev mail page, one creates a group and invites the other, who
accepts from their space. JavaScript is turned off, so every step is a plain form post."""

from __future__ import annotations

from pathlib import Path

import pytest

from affiche.local.runner import Instance
from tests.e2e.browser_support import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Browser, expect

from tests.e2e.browser_support import browser, new_person, sign_up_and_log_in

__all__ = ["browser"]


def test_two_people_build_a_group_in_the_browser(instance: Instance, browser: Browser,
                                                 tmp_path: Path) -> None:
    # Given Ann, signed up in the browser, who creates a group
    ann = new_person(browser, instance)
    sign_up_and_log_in(ann, "ann@example.org", "ann")
    ann.get_by_role("link", name="New group").click()
    ann.get_by_label("Group name").fill("Garden club")
    ann.get_by_label("Handle").fill("garden")
    ann.get_by_label("Description").fill("We grow *things* together.")
    ann.get_by_role("button", name="Create the group").click()
    expect(ann.get_by_role("status")).to_have_text("The group @garden is created.")
    # And Bob, signed up the same way in another browser context
    bob = new_person(browser, instance)
    sign_up_and_log_in(bob, "bob@example.org", "bob")
    # When Ann invites Bob from the dashboard
    ann.get_by_label("Person to invite").fill("bob")
    ann.get_by_role("button", name="Invite").click()
    expect(ann.get_by_role("status")).to_have_text("@bob is invited.")
    # And Bob accepts the invitation from his space
    bob.goto("/app/")
    bob.get_by_role("button", name="Accept the invitation to @garden").click()
    expect(bob.get_by_role("status")).to_have_text("Welcome to @garden!")
    # Then both see the dashboard listing both members
    for page in (bob, ann):
        page.goto("/app/groups/garden/")
        members = page.locator("table.members tbody tr")
        expect(members).to_have_count(2)
        expect(page.get_by_role("heading", name="Members (2)")).to_be_visible()
        expect(members.filter(has_text="@ann")).to_contain_text("Creator")
        expect(members.filter(has_text="@bob")).to_contain_text("Member")
    # And only Ann, the creator, sees the administrators' forms
    expect(bob.get_by_label("Person to invite")).to_have_count(0)
    expect(ann.get_by_role("heading", name="Settings")).to_be_visible()
    shot = tmp_path / "dashboard.png"
    ann.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"dashboard screenshot: {shot}")
