"""What every browser test shares: Debian's chromium driven by Playwright through its
executable path (DESIGN.md: never `playwright install`), one context per person with
JavaScript turned off, and signing up the way a person does (dev mail page included).

Test modules check CHROMIUM before importing the rest, so a machine without chromium skips
them instead of failing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from affiche.local.runner import Instance

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"
# Mail goes out from the change stream, after the request that caused it has answered: a
# person reloads the mail page until it arrives, and so do the tests. Generous, because CI
# runs two test workers on two cores.
MAILED_WITHIN = 30.0
SKIP_REASON = "Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)"

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def new_person(browser: Browser, instance: Instance) -> Page:
    # No JavaScript at all: the pages must work as plain HTML forms (DESIGN.md principle 2).
    context = browser.new_context(base_url=instance.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    return context.new_page()


def sign_up_and_log_in(page: Page, email: str, username: str) -> None:
    # Sign up
    page.goto("/app/signup")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text(f"check the mailbox of {email}")
    # Open the confirmation mail on the dev mail page and follow its link
    mail = eventually_mailed(page, email, "Confirm your email address")
    mail.locator("a[href*='/app/confirm?token=']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your address is confirmed")
    # Log in
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My space")


def eventually_mailed(page: Page, to: str, text: str) -> Locator:
    """The newest mail to `to` that contains `text`, reloading /dev/mail until it is there."""
    deadline = time.monotonic() + MAILED_WITHIN
    while True:
        page.goto("/dev/mail")
        mail = page.locator("article.mail").filter(has_text=to).filter(has_text=text)
        if mail.count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(mail.first).to_be_visible()
    return mail.first


def create_group(page: Page, display_name: str, handle: str) -> None:
    """From "My space": the new group form, as in the first browser test."""
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Group name").fill(display_name)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Description").fill("We grow *things* together.")
    page.get_by_role("button", name="Create the group").click()
    expect(page.get_by_role("status")).to_have_text(f"The group @{handle} is created.")
