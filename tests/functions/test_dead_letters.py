"""Administrators list and replay dead deliveries: with the CLI and through the moderation
function (admins only), and a replayed delivery is sent again as new."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from affiche.activitypub import delivery, delivery_consumer
from affiche.cli import main
from tests.functions.account_support import admin_client, new_client, pin_rate_limit_time
from tests.functions.api_client import signed_up
from tests.functions.test_delivery import NOTE, Remote, instance, queue_poller  # noqa: F401

GONE = "https://gone.example/inbox"


@pytest.fixture
def dead(instance: Remote) -> Remote:  # noqa: F811
    """Given a delivery that the remote server answered with 410 Gone (dead-lettered)."""
    instance.behaviour = lambda inbox, n: httpx.Response(410) if n == 1 else httpx.Response(202)
    delivery.enqueue(NOTE, sender="club", inboxes=[GONE])
    queue_poller().poll_once()
    assert instance.delivered == []
    return instance


def test_the_cli_lists_and_replays_dead_letters(dead: Remote,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # When the administrator lists the dead letters
    assert main(["deliveries", "dead", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    letter = json.loads(line)
    # Then the delivery is there, with its reason; listing twice shows it again (a peek)
    assert (letter["inbox"], letter["reason"], letter["activity"]) == (GONE, "HTTP 410",
                                                                       NOTE["id"])
    assert main(["deliveries", "dead"]) == 0
    assert "1 dead letter(s)" in capsys.readouterr().out
    # When it is replayed by id (the server is back)
    assert main(["deliveries", "replay", letter["id"]]) == 0
    assert "1 delivery(ies) queued again" in capsys.readouterr().out
    # Then it is delivered as a new delivery, and the dead-letter queue is empty
    queue_poller().poll_once()
    assert dead.delivered == [(NOTE["id"], GONE)]
    assert main(["deliveries", "dead", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_replay_needs_a_selection(dead: Remote, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deliveries", "replay"]) == 2


def test_the_moderation_routes_are_for_admins(dead: Remote, mail: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pin_rate_limit_time(monkeypatch)
    admin = admin_client()
    user = new_client()
    signed_up(user, mail, "bob@example.org", "bob")
    anonymous = new_client()
    calls = [("GET", "/api/mod/deliveries/dead", None),
             ("POST", "/api/mod/deliveries/replay", {"all": True}),
             ("GET", "/api/mod/inbound/failed", None)]
    # Non-administrators are refused
    for method, path, body in calls:
        assert user.call(method, path, body).status == 403, path
        assert anonymous.call(method, path, body).status == 401, path
    # The administrator sees the dead letter, and replays everything for its domain
    listed = admin.get("/api/mod/deliveries/dead").body["dead"]
    assert [(d["inbox"], d["reason"]) for d in listed] == [(GONE, "HTTP 410")]
    assert admin.post("/api/mod/deliveries/replay", {}).status == 400
    assert admin.post("/api/mod/deliveries/replay", {"all": "yes"}).status in (400, 422)
    replayed = admin.post("/api/mod/deliveries/replay", {"domain": "gone.example"}).body
    assert replayed == {"replayed": [listed[0]["id"]]}
    assert admin.get("/api/mod/deliveries/dead").body == {"dead": []}
    assert admin.get("/api/mod/inbound/failed").body == {"failed": []}
    # and the replay clears the domain's failure record
    assert delivery_consumer.DynamoDomainHealth().get("gone.example") is None
    # and it is on the audit log
    log = admin.get("/api/mod/audit").body["entries"]
    assert [(e["action"], e["target_key"], e["reason"]) for e in log] == [
        ("deliveries.replay", "gone.example", "1 queued again")]


def test_the_admin_page_lists_and_replays(dead: Remote, mail: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.domain import accounts
    from affiche.web.ports import ports
    from functions.api.handler import lambda_handler
    from tests.functions.account_support import PASSWORD
    from tests.functions.test_pages import Browser, signed_up_in_browser, text

    pin_rate_limit_time(monkeypatch)
    # Given an administrator logged in through the pages, and a member who is not one
    accounts.signup(ports(), email="root@example.org", password=PASSWORD, username="root",
                    confirmed=True, role="admin")
    admin = Browser(lambda_handler)
    admin.get("/app/login")
    assert admin.submit("/app/login", {"email": "root@example.org",
                                       "password": PASSWORD}).status == 303
    bob = signed_up_in_browser(mail, "bob@example.org", "bob")
    # Then the member is refused, an anonymous visitor sent to log in
    assert bob.get("/app/admin/deliveries").status == 403
    assert Browser(lambda_handler).get("/app/admin/deliveries").status == 303
    # and the administrator sees the dead delivery with its reason
    page = admin.get("/app/admin/deliveries")
    assert page.status == 200 and "HTTP 410" in text(page) and GONE in text(page)
    # When they send everything again
    answer = admin.submit("/app/admin/deliveries/replay", {"all": "1"})
    # Then it is queued again, and delivered
    assert "1 delivery(ies) queued again" in text(admin.follow(answer))
    queue_poller().poll_once()
    assert dead.delivered == [(NOTE["id"], GONE)]
    # A replay without a choice changes nothing; a forged form (no CSRF token) is refused
    assert admin.submit("/app/admin/deliveries/replay", {}).status == 303
    assert admin.submit("/app/admin/deliveries/replay", {"all": "1"}, csrf="forged").status >= 400
