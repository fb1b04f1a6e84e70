"""Fixtures shared by the function tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def mail(aws: Path) -> Path:
    """The maildir where the instance under test sends its mail."""
    return aws / "mail"
