"""Bad input on signup, login and create: a 4xx JSON answer saying what is wrong, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from affiche.store.table import Item, bind
from functions.api.handler import lambda_handler
from tests.functions.api_client import ApiClient, last_mail_link, signed_up


def item_count() -> int:
    """Stored items, except rate-limit counters (which must count refused attempts too)."""
    bind()
    return sum(1 for item in Item.scan() if not item.pk.startswith("RATE#"))


@pytest.fixture
def client(aws: Path, cheap_crypto: None) -> ApiClient:
    return ApiClient(lambda_handler)


@pytest.mark.parametrize(("body", "field"), [
    ({"password": "correct horse"}, "email"),
    ({"email": "a@example.org"}, "password"),
    ({"email": 42, "password": "correct horse"}, "email"),
    ({"email": "a@example.org", "password": ["x"]}, "password"),
    ({"email": "a@example.org", "password": "correct horse", "admin": True}, "admin"),
])
def test_signup_refuses_missing_wrong_typed_and_unknown_fields(client: ApiClient, body: dict,
                                                               field: str) -> None:
    # Given an empty instance, When a signup body is malformed
    answer = client.post("/api/accounts", body)
    # Then it is refused with a message naming the field, and nothing is stored
    assert answer.status == 422
    assert answer.body["error"] == "invalid_input"
    assert field in answer.body["message"]
    assert item_count() == 0


@pytest.mark.parametrize(("body", "message"), [
    ({"email": "not-an-email", "password": "correct horse"}, "email is not a valid"),
    ({"email": "a@example.org", "password": "short"}, "password must be"),
    ({"email": "a@example.org", "password": "correct horse", "username": "Bad Name!"},
     "username must be"),
])
def test_signup_refuses_invalid_values(client: ApiClient, body: dict, message: str) -> None:
    answer = client.post("/api/accounts", body)
    assert answer.status == 400
    assert message in answer.body["message"]
    assert item_count() == 0


def test_signup_refuses_wrong_content_type_and_oversized_and_broken_json(client: ApiClient) -> None:
    form = client.post("/api/accounts", "email=a%40example.org&password=x",
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status == 415 and "application/json" in form.body["message"]
    huge = client.post("/api/accounts", '{"email": "' + "a" * 70000 + '"}',
                       headers={"content-type": "application/json"})
    assert huge.status == 413 and "at most" in huge.body["message"]
    broken = client.post("/api/accounts", "{not json",
                         headers={"content-type": "application/json"})
    assert broken.status == 400 and broken.body["error"] == "invalid_json"
    assert item_count() == 0


def test_duplicate_email_is_answered_like_a_new_one_and_duplicate_handle_refused(
        client: ApiClient, aws: Path) -> None:
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    before = item_count()
    # Signing up again with Ann's address answers exactly as a new address does...
    again = ApiClient(lambda_handler).post(
        "/api/accounts", {"email": "ANN@example.org", "password": "another password"})
    new = ApiClient(lambda_handler).post(
        "/api/accounts", {"email": "cid@example.org", "password": "another password"})
    assert again.status == new.status == 201
    assert {k: v for k, v in again.body.items() if k != "email"} == {
        k: v for k, v in new.body.items() if k != "email"}
    # ...creates nothing for her address, and tells Ann (not the visitor) what happened
    assert "already has one" in newest_mail(aws / "mail", "ann@example.org")
    assert item_count() > before  # (cid's new account)
    assert ApiClient(lambda_handler).post("/api/session", {
        "email": "ann@example.org", "password": "another password"}).status == 401
    before = item_count()
    same_name = ApiClient(lambda_handler).post(
        "/api/accounts", {"email": "bob@example.org", "password": "another password",
                          "username": "ann"})
    assert same_name.status == 409 and "@ann is already taken" in same_name.body["message"]
    assert item_count() == before


def test_login_failures_do_not_reveal_whether_the_email_exists(client: ApiClient,
                                                               aws: Path) -> None:
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    fresh = ApiClient(lambda_handler)
    wrong_password = fresh.post("/api/session", {"email": "ann@example.org",
                                                 "password": "nope nope"})
    unknown = fresh.post("/api/session", {"email": "who@example.org", "password": "nope nope"})
    assert wrong_password.status == unknown.status == 401
    assert wrong_password.body == unknown.body
    assert fresh.cookies == {}
    missing = fresh.post("/api/session", {"email": "ann@example.org"})
    assert missing.status == 422 and "password" in missing.body["message"]


def newest_mail(maildir: Path, to: str) -> str:
    from affiche.mail import read_maildir

    for _, message in read_maildir(str(maildir)):
        if message["To"] == to:
            return str(message.get_content())
    raise AssertionError(f"no mail to {to}")


def test_someone_who_signed_up_with_my_address_first_keeps_no_access(
        client: ApiClient, aws: Path) -> None:
    # Given Eve signed up with Ann's address, which Ann never confirmed
    eve = ApiClient(lambda_handler)
    assert eve.post("/api/accounts", {"email": "ann@example.org", "password": "eve's password",
                                      "username": "notann"}).status == 201
    # When Ann signs up herself and follows the link of that second sign-up
    ann = ApiClient(lambda_handler)
    assert ann.post("/api/accounts", {"email": "ann@example.org",
                                      "password": "ann's own password"}).status == 201
    token = last_mail_link(aws / "mail", "ann@example.org")
    assert ann.post("/api/accounts/confirm", {"token": token}).status == 200
    # Then Ann's password opens the account and Eve's does not
    assert ann.post("/api/session", {"email": "ann@example.org",
                                     "password": "ann's own password"}).status == 200
    assert eve.post("/api/session", {"email": "ann@example.org",
                                     "password": "eve's password"}).status == 401
    # And the first sign-up's link no longer confirms anything
    first = [m for m in mail_tokens(aws / "mail", "ann@example.org") if m != token]
    assert first and all(eve.post("/api/accounts/confirm", {"token": t}).status == 404
                         for t in first)


def mail_tokens(maildir: Path, to: str) -> list[str]:
    import re

    from affiche.mail import read_maildir

    return [m.group(1) for _, message in read_maildir(str(maildir)) if message["To"] == to
            for m in [re.search(r"token=([\w-]+)", message.get_content())] if m]


def test_unconfirmed_account_cannot_log_in(client: ApiClient) -> None:
    client.post("/api/accounts", {"email": "ann@example.org", "password": "correct horse"})
    answer = client.post("/api/session", {"email": "ann@example.org", "password": "correct horse"})
    assert answer.status == 403 and "confirm your email" in answer.body["message"]


def test_session_cookie_is_httponly_lax_and_secure_on_https(client: ApiClient, aws: Path) -> None:
    login = signed_up(client, aws / "mail", "ann@example.org", "ann")
    cookie = login.cookies[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/api/me").body["email"] == "ann@example.org"
    assert client.call("DELETE", "/api/session").status == 200
    assert client.get("/api/me").status == 401


def test_create_group_and_event_refuse_bad_input_and_write_nothing(client: ApiClient,
                                                                   aws: Path) -> None:
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    assert client.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    before = item_count()
    cases = [
        ("/api/groups", {"name": "club", "display_name": "Again"}, 409, "@club is already taken"),
        ("/api/groups", {"name": "x", "display_name": "X", "color": "red"}, 422, "unknown field"),
        ("/api/groups", {"name": "x"}, 422, "display_name: this field is required"),
        ("/api/groups", {"name": "x", "display_name": "X", "visibility": "secret"}, 400,
         "visibility must be one of"),
        ("/api/groups/club/events", {"title": "T", "begins_on": "2030-01-01T10:00",
                                     "ends_on": "2030-01-01T09:00", "timezone": "Europe/Paris"},
         400, "ends_on must be after begins_on"),
        ("/api/groups/club/events", {"title": "T", "begins_on": "tomorrow",
                                     "ends_on": "2030-01-01T09:00", "timezone": "Europe/Paris"},
         400, "begins_on must be an ISO 8601"),
        ("/api/groups/club/events", {"title": "T", "begins_on": "2030-01-01T10:00",
                                     "ends_on": "2030-01-01T11:00", "timezone": "Mars/Olympus"},
         400, "timezone must be an IANA"),
        ("/api/groups/club/events", {"title": "T", "begins_on": "2030-01-01T10:00",
                                     "ends_on": "2030-01-01T11:00", "timezone": "UTC",
                                     "capacity": "ten"}, 422, "capacity"),
        ("/api/groups/nope/events", {"title": "T", "begins_on": "2030-01-01T10:00",
                                     "ends_on": "2030-01-01T11:00", "timezone": "UTC"},
         404, "no group @nope"),
    ]
    for path, body, status, message in cases:
        answer = client.post(path, body)
        assert (answer.status, message in answer.body["message"]) == (status, True), (path, body,
                                                                                      answer.body)
    assert item_count() == before
    anonymous = ApiClient(lambda_handler).post("/api/groups", {"name": "y", "display_name": "Y"})
    assert anonymous.status == 401
