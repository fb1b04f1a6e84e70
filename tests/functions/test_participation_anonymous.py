"""Taking part without an account (item 3): allowed only when the instance and the event both
say so; a visitor gives an email, confirms from the mailed link, is counted, and can cancel from
the same mail. Rate-limited per address and per email; no account is created; the email never
reaches a public output nor the organisers' CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from affiche.domain.model import Account, Event
from affiche.web.ports import ports
from tests.functions.account_support import (
    admin_client,
    gateway,
    mails_to,
    new_client,
    pin_rate_limit_time,
)
from tests.functions.api_client import Answer, ApiClient, last_mail_link, signed_up
from tests.functions.test_pages import Browser, text

EVENT = {"title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T15:00",
         "timezone": "Europe/Paris"}
CONFIRM, CANCEL = r"confirm\?token=([\w-]+)", r"cancel\?token=([\w-]+)"


@pytest.fixture
def ann(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    """ann organises @club; the instance admin allows anonymous participation."""
    pin_rate_limit_time(monkeypatch)
    admin = admin_client()
    allowed = admin.call("PUT", "/api/mod/settings/anonymous-participation", {"allowed": True})
    assert allowed.status == 200 and allowed.body == {"anonymous_participation": True}
    client = new_client()
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    assert client.post("/api/groups", {"name": "club", "display_name": "Club",
                                       "openness": "open"}).status == 201
    return client


def event(ann: ApiClient, **fields: object) -> str:
    answer = ann.post("/api/groups/club/events", {**EVENT, "anonymous_participation": True,
                                                  **fields})
    assert answer.status == 201, answer.body
    uuid: str = answer.body["uuid"]
    return uuid


def count(uuid: str) -> int:
    event = ports().repo.get(Event, uuid)
    assert event is not None
    return event.participant_count


def refused(answer: Answer, status: int, message: str) -> None:
    assert (answer.status, message in str(answer.body.get("message"))) == (status, True), (
        answer.status, answer.body)


def test_a_visitor_confirms_then_cancels_from_the_mail(ann: ApiClient, aws: Path) -> None:
    uuid = event(ann, capacity=5)
    visitor = new_client()
    # When a visitor gives their email and name
    asked = visitor.post(f"/api/events/{uuid}/anonymous-participation",
                         {"email": "Vis@Example.org", "name": "Vi Sitor"})
    assert (asked.status, asked.body["state"]) == (202, "not_confirmed")
    # Then they are not counted yet, and got a mail with both links
    assert count(uuid) == 0
    [mail] = mails_to(aws / "mail", "vis@example.org")
    assert "Confirm your participation in Picnic" in mail["Subject"]
    confirm = last_mail_link(aws / "mail", "vis@example.org", CONFIRM)
    cancel = last_mail_link(aws / "mail", "vis@example.org", CANCEL)
    # When they confirm, they take a place; the link works once
    confirmed = visitor.post("/api/participations/confirm", {"token": confirm})
    assert (confirmed.status, confirmed.body["state"]) == (200, "participant")
    assert count(uuid) == 1
    refused(visitor.post("/api/participations/confirm", {"token": confirm}), 404,
            "this link is invalid, has expired or was already used")
    # The organisers see them, without their address
    listed = ann.get(f"/api/events/{uuid}/participants").body["participants"]
    assert [(p["name"], p["state"]) for p in listed] == [("Vi Sitor", "participant")]
    assert listed[0]["participant"].startswith("anon:") and "vis@" not in str(listed)
    assert "vis@" not in ann.get(f"/api/events/{uuid}/participants.csv").body
    # No account was created for them
    assert ports().repo.account_by_email("vis@example.org") is None
    assert ports().repo.get(Account, listed[0]["participant"]) is None
    # When they cancel from the same mail, the place is free again
    cancelled = visitor.post("/api/participations/cancel", {"token": cancel})
    assert (cancelled.status, cancelled.body["state"]) == (200, "left")
    assert count(uuid) == 0
    refused(visitor.post("/api/participations/cancel", {"token": cancel}), 404, "invalid")


@pytest.mark.parametrize(("fields", "body", "status", "message"), [
    ({"anonymous_participation": False}, {"email": "v@example.org"}, 403,
     "does not take participants without an account"),
    ({"status": "cancelled"}, {"email": "v@example.org"}, 409, "is cancelled"),
    ({"visibility": "private"}, {"email": "v@example.org"}, 403, "without an account"),
    ({}, {"email": "not an email"}, 400, "email is not a valid email address"),
    ({}, {"email": "v@example.org", "name": "two\nlines"}, 400, "name must be a single line"),
    ({}, {"email": "v@example.org", "extra": 1}, 422, "unknown field"),
])
def test_anonymous_refusals(ann: ApiClient, fields: dict[str, object], body: dict[str, object],
                            status: int, message: str) -> None:
    uuid = event(ann, **fields)
    refused(new_client().post(f"/api/events/{uuid}/anonymous-participation", body), status,
            message)
    assert count(uuid) == 0


def test_the_instance_must_allow_it_too(ann: ApiClient) -> None:
    uuid = event(ann)
    admin = ApiClient(gateway)
    assert admin.post("/api/session", {"email": "root@example.org",
                                       "password": "correct horse battery"}).status == 200
    admin.call("PUT", "/api/mod/settings/anonymous-participation", {"allowed": False})
    refused(new_client().post(f"/api/events/{uuid}/anonymous-participation",
                              {"email": "v@example.org"}), 403, "without an account")
    refused(ann.call("PUT", "/api/mod/settings/anonymous-participation", {"allowed": True}), 403,
            "only an administrator of this instance")


def test_one_email_once_per_event_and_rate_limits(ann: ApiClient) -> None:
    uuid = event(ann)
    visitor = new_client()
    assert visitor.post(f"/api/events/{uuid}/anonymous-participation",
                        {"email": "v@example.org"}).status == 202
    refused(visitor.post(f"/api/events/{uuid}/anonymous-participation",
                         {"email": "V@example.org"}), 409, "already has a participation")
    # Per email: a few attempts an hour, whatever the address they come from
    from affiche.web.participation_web import ANONYMOUS_PER_ADDRESS, ANONYMOUS_PER_EMAIL

    for _ in range(ANONYMOUS_PER_EMAIL.max_hits - 2):
        visitor.post(f"/api/events/{uuid}/anonymous-participation", {"email": "v@example.org"})
    limited = visitor.post(f"/api/events/{uuid}/anonymous-participation",
                           {"email": "v@example.org"})
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
    # Per address: many different emails from one address are stopped too
    answers = [visitor.post(f"/api/events/{uuid}/anonymous-participation",
                            {"email": f"x{i}@example.org"}).status
               for i in range(ANONYMOUS_PER_ADDRESS.max_hits)]
    assert answers[-1] == 429 and 202 in answers


def test_the_pages_work_without_an_account(ann: ApiClient, aws: Path) -> None:
    uuid = event(ann)
    browser = Browser(gateway)
    form = browser.get(f"/app/events/{uuid}/participate")
    assert form.status == 200 and "Take part without an account" in text(form)
    sent = browser.follow(browser.submit(f"/app/events/{uuid}/participate-anonymously",
                                         {"email": "web@example.org", "name": "Web"}))
    assert "open the link we sent to your mailbox" in text(sent)
    token = last_mail_link(aws / "mail", "web@example.org", CONFIRM)
    # Opening the link shows a button (a mail scanner's GET confirms nothing)
    page = browser.get("/app/participations/confirm", query={"token": token})
    assert page.status == 200 and count(uuid) == 0
    done = browser.follow(browser.submit("/app/participations/confirm", {"token": token}))
    assert "You take part in “Picnic”." in text(done) and count(uuid) == 1
    cancel = last_mail_link(aws / "mail", "web@example.org", CANCEL)
    browser.get("/app/participations/cancel", query={"token": cancel})
    gone = browser.follow(browser.submit("/app/participations/cancel", {"token": cancel}))
    assert "is cancelled" in text(gone) and count(uuid) == 0


def test_a_full_event_is_refused_before_any_mail(ann: ApiClient, aws: Path) -> None:
    uuid = event(ann, capacity=1)
    assert ann.post(f"/api/events/{uuid}/participation").status == 201
    refused(new_client().post(f"/api/events/{uuid}/anonymous-participation",
                              {"email": "late@example.org"}), 409, "“Picnic” is full (1 places)")
    assert mails_to(aws / "mail", "late@example.org") == []
