"""Forgotten passwords and confirmation links: mailed single-use tokens, answers that never tell
whether an address has an account, and the rate limits (429 with Retry-After) on these routes
and on login."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.functions.account_support import (
    PASSWORD,
    PINNED_TIME,
    account_of,
    all_mail_count,
    new_client,
    pin_rate_limit_time,
    settable_clock,
    subjects_to,
)
from tests.functions.api_client import ApiClient, last_mail_link, signed_up

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def client(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    pin_rate_limit_time(monkeypatch)
    return new_client()


def reset_link(client: ApiClient, mail: Path, email: str) -> str:
    assert client.post("/api/accounts/password-reset", {"email": email}).status == 202
    return last_mail_link(mail, email)


def test_reset_request_for_an_unknown_email_answers_exactly_like_a_known_one(
        client: ApiClient, mail: Path) -> None:
    # Given one account
    signed_up(client, mail, "ann@example.org", "ann")
    sent_before = all_mail_count(mail)
    # When a reset is asked for an unknown address, then for the account's address
    unknown = new_client().post("/api/accounts/password-reset", {"email": "who@example.org"})
    sent_for_unknown = all_mail_count(mail) - sent_before
    known = new_client().post("/api/accounts/password-reset", {"email": "ann@example.org"})
    # Then both answers are identical, and only the real account got a mail
    assert (unknown.status, unknown.body, unknown.headers) == (known.status, known.body,
                                                               known.headers)
    assert known.status == 202
    assert sent_for_unknown == 0
    assert subjects_to(mail, "ann@example.org")[0].startswith("Choose a new password")


def test_completing_a_reset_sets_the_password_and_closes_every_session(
        client: ApiClient, mail: Path) -> None:
    # Given an account logged in on two browsers
    signed_up(client, mail, "ann@example.org", "ann")
    other = new_client()
    assert other.post("/api/session", {"email": "ann@example.org",
                                       "password": PASSWORD}).status == 200
    # When a reset link is followed with a new password
    token = reset_link(new_client(), mail, "ann@example.org")
    done = new_client().post("/api/accounts/password-reset/complete",
                             {"token": token, "password": NEW_PASSWORD})
    # Then the password changed, both sessions are closed, and the address was told
    assert done.status == 200, done.body
    assert client.get("/api/me").status == 401
    assert other.get("/api/me").status == 401
    old = new_client().post("/api/session", {"email": "ann@example.org", "password": PASSWORD})
    assert old.status == 401
    new = new_client().post("/api/session", {"email": "ann@example.org",
                                             "password": NEW_PASSWORD})
    assert new.status == 200
    assert subjects_to(mail, "ann@example.org")[0].startswith("Your password on")
    assert account_of("ann@example.org").password_hash.startswith("$argon2id$")


def test_a_reset_link_works_once(client: ApiClient, mail: Path) -> None:
    signed_up(client, mail, "ann@example.org", "ann")
    token = reset_link(client, mail, "ann@example.org")
    first = client.post("/api/accounts/password-reset/complete",
                        {"token": token, "password": NEW_PASSWORD})
    assert first.status == 200
    # When the same link is used again
    again = client.post("/api/accounts/password-reset/complete",
                        {"token": token, "password": "yet another password"})
    # Then it is refused and the password stays the one chosen first
    assert again.status == 404 and "already used" in again.body["message"]
    assert new_client().post("/api/session", {"email": "ann@example.org",
                                               "password": NEW_PASSWORD}).status == 200


def test_using_one_reset_link_voids_the_others(client: ApiClient, mail: Path) -> None:
    signed_up(client, mail, "ann@example.org", "ann")
    older = reset_link(client, mail, "ann@example.org")
    newer = reset_link(client, mail, "ann@example.org")
    assert client.post("/api/accounts/password-reset/complete",
                       {"token": newer, "password": NEW_PASSWORD}).status == 200
    assert client.post("/api/accounts/password-reset/complete",
                       {"token": older, "password": "yet another password"}).status == 404


def test_a_reset_link_expires_after_one_hour(client: ApiClient, mail: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a reset link mailed at a known time
    clock = settable_clock(monkeypatch)
    signed_up(client, mail, "ann@example.org", "ann")
    token = reset_link(client, mail, "ann@example.org")
    # When it is used one hour and one second later
    clock.advance(timedelta(hours=1, seconds=1))
    late = client.post("/api/accounts/password-reset/complete",
                       {"token": token, "password": NEW_PASSWORD})
    # Then it is refused and the old password still works
    assert late.status == 404 and "expired" in late.body["message"]
    assert new_client().post("/api/session", {"email": "ann@example.org",
                                               "password": PASSWORD}).status == 200


def test_a_reset_refuses_a_weak_password_and_keeps_the_link_usable(client: ApiClient,
                                                                   mail: Path) -> None:
    signed_up(client, mail, "ann@example.org", "ann")
    token = reset_link(client, mail, "ann@example.org")
    weak = client.post("/api/accounts/password-reset/complete",
                       {"token": token, "password": "short"})
    assert weak.status == 400 and weak.body["field"] == "password"
    assert client.post("/api/accounts/password-reset/complete",
                       {"token": token, "password": NEW_PASSWORD}).status == 200


def test_other_tokens_do_not_reset_a_password(client: ApiClient, mail: Path) -> None:
    # Given the confirmation link of a new account
    client.post("/api/accounts", {"email": "bob@example.org", "password": PASSWORD})
    confirm_token = last_mail_link(mail, "bob@example.org")
    # When it is offered as a reset link
    answer = client.post("/api/accounts/password-reset/complete",
                         {"token": confirm_token, "password": NEW_PASSWORD})
    # Then it is refused (and still confirms the account)
    assert answer.status == 404
    assert client.post("/api/accounts/confirm", {"token": confirm_token}).status == 200


def test_too_many_reset_requests_for_one_email_get_429_with_retry_after(
        client: ApiClient, mail: Path) -> None:
    signed_up(client, mail, "ann@example.org", "ann")
    for _ in range(3):  # ratelimit.RESET_PER_EMAIL allows 3 an hour
        assert client.post("/api/accounts/password-reset",
                           {"email": "ann@example.org"}).status == 202
    # When a fourth arrives (spelt differently: the same address all the same)
    answer = client.post("/api/accounts/password-reset", {"email": " Ann@Example.org "})
    # Then it is refused with the seconds left in the window
    assert answer.status == 429 and answer.body["error"] == "rate_limited"
    assert answer.headers["Retry-After"] == str(3600 - PINNED_TIME % 3600)
    # and an unknown address is limited just the same (no difference to learn from)
    for _ in range(3):
        client.post("/api/accounts/password-reset", {"email": "who@example.org"})
    assert client.post("/api/accounts/password-reset",
                       {"email": "who@example.org"}).status == 429


def test_too_many_logins_from_one_address_get_429_with_retry_after(client: ApiClient) -> None:
    # Given 30 failed logins from one address, each for a different email
    for n in range(30):  # ratelimit.LOGIN_PER_ADDRESS allows 30 in 15 minutes
        answer = client.post("/api/session", {"email": f"u{n}@example.org",
                                              "password": "wrong password"})
        assert answer.status == 401
    # When one more comes
    answer = client.post("/api/session", {"email": "ann@example.org", "password": PASSWORD})
    # Then it is refused before any password is checked, with Retry-After
    assert answer.status == 429
    assert answer.headers["Retry-After"] == str(900 - PINNED_TIME % 900)
    assert "try again in" in answer.body["message"]


def test_resend_sends_a_new_confirmation_link_only_to_unconfirmed_accounts(
        client: ApiClient, mail: Path) -> None:
    # Given an unconfirmed account whose first link was lost, and a confirmed one
    client.post("/api/accounts", {"email": "bob@example.org", "password": PASSWORD,
                                  "username": "bob"})
    signed_up(new_client(), mail, "ann@example.org", "ann")
    ann_mails = len(subjects_to(mail, "ann@example.org"))
    # When a new link is asked for each, and for an unknown address
    answers = [new_client().post("/api/accounts/confirm/resend", {"email": email})
               for email in ("bob@example.org", "ann@example.org", "who@example.org")]
    # Then all three answers are the same; only the unconfirmed account got a mail
    assert len({(a.status, str(a.body)) for a in answers}) == 1 and answers[0].status == 202
    assert len(subjects_to(mail, "ann@example.org")) == ann_mails
    assert len(subjects_to(mail, "bob@example.org")) == 2
    # and the new link confirms the account
    token = last_mail_link(mail, "bob@example.org")
    assert client.post("/api/accounts/confirm", {"token": token}).status == 200
    assert new_client().post("/api/session", {"email": "bob@example.org",
                                               "password": PASSWORD}).status == 200


def test_resend_is_rate_limited_per_email(client: ApiClient) -> None:
    client.post("/api/accounts", {"email": "bob@example.org", "password": PASSWORD})
    for _ in range(3):
        assert client.post("/api/accounts/confirm/resend",
                           {"email": "bob@example.org"}).status == 202
    refused = client.post("/api/accounts/confirm/resend", {"email": "bob@example.org"})
    assert refused.status == 429 and "Retry-After" in refused.headers


def test_a_reset_confirms_the_address_and_discards_a_squatters_password(
        client: ApiClient, mail: Path) -> None:
    # Given Eve signed up with Ann's address, which was never confirmed
    eve = new_client()
    assert eve.post("/api/accounts", {"email": "ann@example.org",
                                      "password": "eve's password"}).status == 201
    squatter_link = last_mail_link(mail, "ann@example.org")
    # When Ann, who owns the address, resets the password from the mailed link
    token = reset_link(client, mail, "ann@example.org")
    done = client.post("/api/accounts/password-reset/complete",
                       {"token": token, "password": NEW_PASSWORD})
    assert done.status == 200, done.body
    # Then the address is confirmed: Ann logs in with her password, Eve's no longer works
    assert client.post("/api/session", {"email": "ann@example.org",
                                        "password": NEW_PASSWORD}).status == 200
    assert eve.post("/api/session", {"email": "ann@example.org",
                                     "password": "eve's password"}).status == 401
    # And the first sign-up's confirmation link is void
    assert eve.post("/api/accounts/confirm", {"token": squatter_link}).status == 404
