"""A group discussion in a real headless Chromium, against a whole local instance: a member
starts a thread, another member replies, the first reads the reply on the thread's page and in
the mail the change stream sent her (the dev mail page). JavaScript off: plain forms only."""

from __future__ import annotations

import pytest

from affiche.local.runner import Instance
from tests.e2e.browser_support import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import browser, eventually_mailed, new_person, sign_up_and_log_in

__all__ = ["browser"]


def open_group(page: Page, display_name: str, handle: str) -> None:
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Group name").fill(display_name)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Who can join").select_option("open")
    page.get_by_role("button", name="Create the group").click()
    expect(page.get_by_role("status")).to_have_text(f"The group @{handle} is created.")


def test_a_member_starts_a_discussion_another_replies_and_she_is_told(
        instance: Instance, browser: Browser) -> None:
    # Given Ann's open group, which Bob joins
    ann = new_person(browser, instance)
    sign_up_and_log_in(ann, "ann@example.org", "ann")
    open_group(ann, "Garden club", "garden")
    bob = new_person(browser, instance)
    sign_up_and_log_in(bob, "bob@example.org", "bob")
    bob.goto("/app/groups/garden/join")
    bob.get_by_role("button", name="Join the group").click()

    # When Ann starts a discussion from her group's dashboard
    ann.goto("/app/groups/garden/")
    ann.get_by_role("link", name="Start a discussion").click()
    ann.get_by_label("Title", exact=True).fill("Seed swap <b>planning</b>")
    ann.get_by_label("Your message (Markdown)").fill("Who brings **tomatoes**?")
    ann.get_by_role("button", name="Start the discussion").click()
    expect(ann.get_by_role("status")).to_have_text("Your discussion is started.")
    expect(ann.get_by_role("heading", level=1)).to_have_text("Seed swap <b>planning</b>")
    expect(ann.get_by_role("button", name="Unfollow")).to_be_visible()

    # And Bob finds it on the dashboard and replies
    bob.goto("/app/groups/garden/")
    bob.get_by_role("link", name="Seed swap <b>planning</b>").click()
    expect(bob.locator("li.reply strong")).to_have_text("tomatoes")
    bob.get_by_label("Your reply (Markdown)").fill("I bring *cherry* tomatoes")
    bob.get_by_role("button", name="Reply", exact=True).click()
    expect(bob.get_by_role("status")).to_have_text("Your reply is published.")

    # Then Ann sees the reply on the thread's page
    ann.reload()
    expect(ann.locator("li.reply").last).to_contain_text("I bring cherry tomatoes")
    expect(ann.locator("li.reply em")).to_have_text("cherry")
    # And she has its mail, whose link opens the end of the thread
    eventually_mailed(ann, "ann@example.org", "@bob replied in")
    mail = ann.locator("article.mail").filter(has_text="@bob replied in").first
    expect(mail).to_contain_text("I bring cherry tomatoes")
    mail.locator("a[href*='/app/groups/garden/discussions/']").first.click()
    expect(ann.get_by_role("heading", level=1)).to_have_text("Seed swap <b>planning</b>")
    expect(ann.locator("li.reply").last).to_contain_text("I bring cherry tomatoes")
