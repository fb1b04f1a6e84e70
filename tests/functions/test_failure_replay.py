"""An administrator sees the changes whose effects failed, with when, how often and why, and
replays them from the web (/app/admin/failures, /api/mod/failures): the outbox runs the replay it
is asked for, the same code as `affiche failures replay`; a change failing again stays listed.
Faults are injected at the botocore level (tests/faults.py), as in test_outbox_faults.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings
from affiche.local.pollers import QueuePoller, StreamPoller
from affiche.publish import stream_failures
from affiche.store import failure_notes
from functions.moderation.handler import lambda_handler as moderation
from tests.faults import inject
from tests.functions.account_support import PASSWORD, admin_client, pin_rate_limit_time
from tests.functions.api_client import ApiClient
from tests.functions.test_outbox_faults import (  # noqa: F401  (fixtures)
    DENIED,
    drain,
    new_event,
    outbox,
    page_exists,
    people,
)


def outbox_on_the_delivery_queue(stream: StreamPoller) -> None:
    """The outbox consuming the delivery queue, where the web puts replay requests."""
    poller = QueuePoller(get_settings().delivery_queue_url, stream.handler)
    while poller.poll_once():
        pass


@pytest.fixture
def failed_event(people: Any, outbox: StreamPoller) -> str:  # noqa: F811
    """Given the bucket refusing every write while ann creates an event: its change is in the
    failure queue. Returns the event's uuid."""
    ann, _ = people
    with inject(DENIED):
        uuid = new_event(ann)
        drain(outbox)
    assert not page_exists(f"events/{uuid}/index.html")
    return uuid


def test_each_failure_says_when_how_often_and_why(failed_event: str) -> None:
    [failure] = stream_failures.failures()
    summary = failure.summary()
    assert summary["reason"].startswith("AccessDenied: An error occurred (AccessDenied)")
    assert "Traceback" not in summary["reason"]
    assert summary["attempts"] == 5  # the runner's MAX_STREAM_ATTEMPTS
    assert summary["failed_at"] and summary["queued_at"]
    # Listing only peeks: the entry is there for the next reader at once
    assert [f.message_id for f in stream_failures.failures()] == [failure.message_id]
    assert stream_failures.count() == 1


def test_reasons_carry_no_query_string_and_no_trace() -> None:
    error = RuntimeError("could not send https://x.example/confirm?token=s3cret\nTraceback ...")
    assert failure_notes.reason(error) == "RuntimeError: could not send https://x.example/confirm?…"


def _admin_browser(mail: Path) -> Any:
    from affiche.domain import accounts
    from affiche.web.ports import ports
    from functions.api.handler import lambda_handler
    from tests.functions.test_pages import Browser

    accounts.signup(ports(), email="root@example.org", password=PASSWORD, username="root",
                    confirmed=True, role="admin")
    admin = Browser(lambda_handler)
    admin.get("/app/login")
    assert admin.submit("/app/login", {"email": "root@example.org",
                                       "password": PASSWORD}).status == 303
    return admin


def test_the_admin_page_lists_and_replays(failed_event: str, outbox: StreamPoller,  # noqa: F811
                                          mail: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.functions.test_pages import text

    pin_rate_limit_time(monkeypatch)
    admin = _admin_browser(mail)
    # The dashboard links the page, which lists the failed change with its reason
    assert 'href="/app/admin/failures"' in admin.get("/app/admin/").body
    page = admin.get("/app/admin/failures")
    assert page.status == 200
    assert "AccessDenied" in text(page) and "(1)" in text(page)
    [failure] = stream_failures.failures()
    # When the administrator replays it while the bucket still refuses: it stays, one more try
    with inject(DENIED):
        answer = admin.submit("/app/admin/failures/replay", {"id": failure.message_id})
        assert "Replay requested" in text(admin.follow(answer))
        outbox_on_the_delivery_queue(outbox)
    [kept] = stream_failures.failures()
    assert kept.message_id == failure.message_id and kept.attempts == 6
    # When the fault is gone and they replay them all
    admin.submit("/app/admin/failures/replay", {"all": "1"})
    outbox_on_the_delivery_queue(outbox)
    # Then the page is published and the queue empty
    assert page_exists(f"events/{failed_event}/index.html")
    assert stream_failures.failures() == []
    assert "No change failed." in text(admin.get("/app/admin/failures"))
    # A replay without a choice asks nothing; a forged form is refused
    assert admin.submit("/app/admin/failures/replay", {}).status == 303
    assert admin.submit("/app/admin/failures/replay", {"all": "1"}, csrf="forged").status >= 400


def test_the_json_routes_are_for_admins(failed_event: str, outbox: StreamPoller,  # noqa: F811
                                        people: Any,  # noqa: F811
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pin_rate_limit_time(monkeypatch)
    _ann, bob = people
    bob_mod = ApiClient(moderation, cookies=dict(bob.cookies))
    assert bob_mod.get("/api/mod/failures").status == 403
    assert bob_mod.post("/api/mod/failures/replay", {"all": True}).status == 403
    admin_mod = admin_client()  # routes /api/mod/* to the moderation function
    listed = admin_mod.get("/api/mod/failures").body
    assert listed["count"] == 1 and "AccessDenied" in listed["failures"][0]["reason"]
    assert admin_mod.post("/api/mod/failures/replay", {}).status == 400
    assert admin_mod.post("/api/mod/failures/replay", {"all": True}).status == 202
    outbox_on_the_delivery_queue(outbox)
    assert admin_mod.get("/api/mod/failures").body == {"failures": [], "count": 0}
    entries = admin_mod.get("/api/mod/audit").body["entries"]
    assert [(e["action"], e["target_key"]) for e in entries] == [("failures.replay", "all")]
