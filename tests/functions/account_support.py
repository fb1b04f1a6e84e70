"""Helpers for the account and profile tests: a settable clock, pinned rate-limit time, mail and
table inspection, and a gateway routing /api/mod/* to the moderation function like CloudFront."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain import accounts
from affiche.domain.model import Account
from affiche.mail import read_maildir
from affiche.web import ratelimit
from affiche.web.ports import ports
from functions.api.handler import lambda_handler as api_handler
from functions.moderation.handler import lambda_handler as moderation_handler
from tests.functions.api_client import ApiClient, signed_up
from tests.functions.stream_support import send_outgoing_mail

PASSWORD = "correct horse battery"
# A rate-limit window of one hour starts at this second; tests run 100 s into it, so the
# Retry-After of a refused attempt is known exactly and no test straddles two windows.
PINNED_TIME = 3600 * 480_000 + 100


@dataclass
class SettableClock:
    """The domain's Clock port, moved by tests to make tokens expire."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def settable_clock(monkeypatch: pytest.MonkeyPatch) -> SettableClock:
    """Install a clock in the API's ports (Ports has a `clock` field for this)."""
    clock = SettableClock(datetime.now(UTC))
    monkeypatch.setattr(ports(), "clock", clock)
    return clock


def pin_rate_limit_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: float(PINNED_TIME)))


def gateway(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Route as the CloudFront behaviours do: /api/mod/* to moderation, the rest of /api/ to api."""
    if str(event.get("rawPath", "")).startswith("/api/mod/"):
        return moderation_handler(event, context)
    return api_handler(event, context)


def new_client() -> ApiClient:
    return ApiClient(gateway)


def logged_in(maildir: Path, monkeypatch: pytest.MonkeyPatch, email: str = "ann@example.org",
              username: str = "ann") -> ApiClient:
    """A client signed up, confirmed and logged in, with rate-limit windows pinned."""
    pin_rate_limit_time(monkeypatch)
    client = new_client()
    signed_up(client, maildir, email, username)
    return client


def mails_to(maildir: Path, to: str) -> list[Any]:
    """Messages sent to `to`, newest first (account mails still in the table sent first)."""
    send_outgoing_mail()
    return [message for _, message in read_maildir(str(maildir)) if message["To"] == to]


def subjects_to(maildir: Path, to: str) -> list[str]:
    return [str(message["Subject"]) for message in mails_to(maildir, to)]


def all_mail_count(maildir: Path) -> int:
    send_outgoing_mail()
    return len(read_maildir(str(maildir))) if maildir.exists() else 0


def raw_items() -> list[dict[str, Any]]:
    """Every item of the table, as DynamoDB returns it (so nothing is hidden by our models)."""
    dynamodb = client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": get_settings().table_name}
    while True:
        page = dynamodb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def items_mentioning(*needles: str) -> list[dict[str, Any]]:
    """Items whose any attribute (keys, data, indexes) contains one of `needles`, any case."""
    lowered = [needle.lower() for needle in needles]
    return [item for item in raw_items()
            if any(n in json.dumps(item, ensure_ascii=False).lower() for n in lowered)]


def admin_client(email: str = "root@example.org", username: str = "root") -> ApiClient:
    """A logged-in client of an instance administrator (created directly: no admin API yet)."""
    accounts.signup(ports(), email=email, password=PASSWORD, username=username, confirmed=True,
                    role="admin")
    admin = new_client()
    assert admin.post("/api/session", {"email": email, "password": PASSWORD}).status == 200
    return admin


def account_of(email: str) -> Account:
    account = ports().repo.account_by_email(email)
    assert account is not None
    return account
