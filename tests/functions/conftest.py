"""Fixtures shared by the function tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.functions.test_pages import Browser


@pytest.fixture
def mail(aws: Path) -> Path:
    """The maildir where the instance under test sends its mail."""
    return aws / "mail"


# The members' pages tests' cast, in an open @club (a test file may define its own instead).
@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> Browser:
    """ann, who created @club (its administrator)."""
    from tests.functions.test_pages import create_group, signed_up_in_browser

    browser = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    create_group(browser, openness="open")
    return browser


@pytest.fixture
def bob(aws: Path, ann: Browser) -> Browser:
    """bob, a plain member of @club."""
    from tests.functions.test_pages import signed_up_in_browser

    browser = signed_up_in_browser(aws / "mail", "bob@example.org", "bob")
    browser.get("/app/groups/club/join")
    assert browser.submit("/app/groups/club/join", {"profile": "bob"}).status == 303
    return browser
