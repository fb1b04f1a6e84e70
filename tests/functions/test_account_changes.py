"""Changing the password and the email address of a logged-in account: both need the current
password; an email change waits for the link mailed to the new address and then moves the
unique `email:` claim in one transaction."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from affiche.web.ports import ports
from tests.functions.account_support import (
    PASSWORD,
    account_of,
    logged_in,
    new_client,
    settable_clock,
    subjects_to,
)
from tests.functions.api_client import ApiClient, last_mail_link, signed_up

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def ann(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    """Ann, logged in."""
    client = logged_in(aws / "mail", monkeypatch)
    return client


def login(email: str, password: str) -> int:
    return new_client().post("/api/session", {"email": email, "password": password}).status


# --- password -------------------------------------------------------------------------------
def test_change_password_needs_the_current_one(ann: ApiClient) -> None:
    answer = ann.call("PUT", "/api/me/password", {"current_password": "not my password",
                                                  "new_password": NEW_PASSWORD})
    assert answer.status == 400 and answer.body["field"] == "current_password"
    assert login("ann@example.org", PASSWORD) == 200


def test_change_password_keeps_this_session_and_closes_the_others(ann: ApiClient,
                                                                  mail: Path) -> None:
    # Given Ann logged in on a second browser too
    other = new_client()
    assert other.post("/api/session", {"email": "ann@example.org",
                                       "password": PASSWORD}).status == 200
    # When she changes her password from the first one
    answer = ann.call("PUT", "/api/me/password", {"current_password": PASSWORD,
                                                  "new_password": NEW_PASSWORD})
    # Then only the new password works, this browser stays logged in, the other is logged out
    assert answer.status == 200, answer.body
    assert ann.get("/api/me").status == 200
    assert other.get("/api/me").status == 401
    assert login("ann@example.org", PASSWORD) == 401
    assert login("ann@example.org", NEW_PASSWORD) == 200
    assert subjects_to(mail, "ann@example.org")[0].startswith("Your password on")


def test_change_password_refuses_a_weak_new_password(ann: ApiClient) -> None:
    answer = ann.call("PUT", "/api/me/password", {"current_password": PASSWORD,
                                                  "new_password": "short"})
    assert answer.status == 400 and "password must be" in answer.body["message"]


def test_settings_routes_need_a_session(aws: Path) -> None:
    anonymous = new_client()
    calls = [("PUT", "/api/me/password", {"current_password": "x", "new_password": "y" * 8}),
             ("PUT", "/api/me/email", {"current_password": "x", "email": "a@example.org"}),
             ("POST", "/api/me/email/confirm", {"token": "x"}),
             ("DELETE", "/api/me", {"password": "x"})]
    for method, path, body in calls:
        assert anonymous.call(method, path, body).status == 401, path


# --- email ----------------------------------------------------------------------------------
def request_change(client: ApiClient, email: str, password: str = PASSWORD) -> int:
    answer = client.call("PUT", "/api/me/email", {"current_password": password, "email": email})
    return answer.status


def test_change_email_happens_only_when_the_new_address_confirms(ann: ApiClient,
                                                                 mail: Path) -> None:
    # When Ann asks to move to a new address
    assert request_change(ann, "ann@new.example") == 202
    # Then the link goes to the new address, and nothing has changed yet
    assert subjects_to(mail, "ann@new.example")[0].startswith("Confirm your new email address")
    assert ann.get("/api/me").body["email"] == "ann@example.org"
    assert login("ann@example.org", PASSWORD) == 200
    # When she follows the link
    token = last_mail_link(mail, "ann@new.example")
    done = ann.post("/api/me/email/confirm", {"token": token})
    # Then the account uses the new address, the old one is free again and was told
    assert done.status == 200 and done.body["email"] == "ann@new.example"
    assert ann.get("/api/me").body["email"] == "ann@new.example"
    assert login("ann@new.example", PASSWORD) == 200
    assert login("ann@example.org", PASSWORD) == 401
    assert ports().repo.claim_owner("email:ann@example.org") is None
    assert ports().repo.claim_owner("email:ann@new.example") == account_of("ann@new.example").id
    assert subjects_to(mail, "ann@example.org")[0].startswith("The email address of your")
    assert new_client().post("/api/accounts", {"email": "ann@example.org",
                                               "password": PASSWORD}).status == 201


def test_change_email_needs_the_current_password(ann: ApiClient, mail: Path) -> None:
    answer = ann.call("PUT", "/api/me/email", {"current_password": "wrong password",
                                               "email": "ann@new.example"})
    assert answer.status == 400 and answer.body["field"] == "current_password"
    assert subjects_to(mail, "ann@new.example") == []


def test_change_email_refuses_a_taken_or_unchanged_address(ann: ApiClient, mail: Path) -> None:
    signed_up(new_client(), mail, "bob@example.org", "bob")
    taken = ann.call("PUT", "/api/me/email", {"current_password": PASSWORD,
                                              "email": "BOB@example.org"})
    assert taken.status == 409 and "already exists" in taken.body["message"]
    same = ann.call("PUT", "/api/me/email", {"current_password": PASSWORD,
                                             "email": "ann@example.org"})
    assert same.status == 400 and same.body["field"] == "email"


def test_an_address_taken_before_the_confirmation_is_refused(ann: ApiClient, mail: Path) -> None:
    # Given a pending change to an address that someone else then signs up with
    assert request_change(ann, "ann@new.example") == 202
    token = last_mail_link(mail, "ann@new.example")
    assert new_client().post("/api/accounts", {"email": "ann@new.example",
                                               "password": PASSWORD}).status == 201
    # When Ann follows her link
    answer = ann.post("/api/me/email/confirm", {"token": token})
    # Then it is refused and she keeps her address
    assert answer.status == 409
    assert ann.get("/api/me").body["email"] == "ann@example.org"


def test_an_email_change_link_works_once(ann: ApiClient, mail: Path) -> None:
    assert request_change(ann, "ann@new.example") == 202
    token = last_mail_link(mail, "ann@new.example")
    assert ann.post("/api/me/email/confirm", {"token": token}).status == 200
    again = ann.post("/api/me/email/confirm", {"token": token})
    assert again.status == 404 and "already used" in again.body["message"]


def test_an_email_change_link_expires(ann: ApiClient, mail: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    clock = settable_clock(monkeypatch)
    assert request_change(ann, "ann@new.example") == 202
    token = last_mail_link(mail, "ann@new.example")
    clock.advance(timedelta(hours=24, seconds=1))
    late = ann.post("/api/me/email/confirm", {"token": token})
    assert late.status == 404 and "expired" in late.body["message"]
    assert ann.get("/api/me").body["email"] == "ann@example.org"


def test_an_email_change_link_only_works_for_its_own_account(ann: ApiClient, mail: Path) -> None:
    assert request_change(ann, "ann@new.example") == 202
    token = last_mail_link(mail, "ann@new.example")
    bob = new_client()
    signed_up(bob, mail, "bob@example.org", "bob")
    assert bob.post("/api/me/email/confirm", {"token": token}).status == 404
    assert bob.get("/api/me").body["email"] == "bob@example.org"


def test_password_checks_are_rate_limited_per_account(ann: ApiClient) -> None:
    for _ in range(10):  # ratelimit.PASSWORD_PER_ACCOUNT allows 10 in 15 minutes
        ann.call("PUT", "/api/me/password", {"current_password": "guess guess",
                                             "new_password": NEW_PASSWORD})
    refused = ann.call("PUT", "/api/me/password", {"current_password": PASSWORD,
                                                   "new_password": NEW_PASSWORD})
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
