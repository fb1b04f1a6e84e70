"""The reporting and moderation pages, as a browser without JavaScript uses them: a visitor
reports an event from the link on its page, a moderator reads the report, hides the event and
resolves the report; the administrator reads it all on the audit log."""

from __future__ import annotations

from pathlib import Path

from affiche.domain import accounts, instance
from affiche.web.ports import ports
from functions.api.handler import lambda_handler
from tests.functions.test_moderation import EVENT
from tests.functions.test_pages import PASSWORD, Browser, signed_up_in_browser, text


def logged_in_with_role(email: str, username: str, role: str) -> Browser:
    accounts.signup(ports(), email=email, password=PASSWORD, username=username, confirmed=True,
                    role=role)
    browser = Browser(lambda_handler)
    browser.get("/app/login")
    answer = browser.submit("/app/login", {"email": email, "password": PASSWORD, "next": "/app/"})
    assert answer.status == 303
    return browser


def test_a_visitor_reports_and_a_moderator_hides_and_resolves(aws: Path,
                                                              cheap_crypto: None) -> None:
    # Given an event, an instance taking anonymous reports, a moderator and an administrator
    ann = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    admin = logged_in_with_role("root@example.org", "root", "admin")
    instance.set_anonymous_reports(ports(), ports().repo.account_by_email("root@example.org"),
                                   True)  # type: ignore[arg-type]
    moderator = logged_in_with_role("mo@example.org", "mo", "moderator")
    # When a visitor follows the event's report link and sends the form
    visitor = Browser(lambda_handler)
    form = visitor.get("/app/report", query={"target_kind": "event", "target_key": uuid})
    assert form.status == 200 and 'name="email"' in str(form.body)
    missing = visitor.submit("/app/report", {"target_kind": "event", "target_key": uuid,
                                             "reason": "spam", "comment": "fake"})
    assert missing.status == 400 and "email" in text(missing)
    sent = visitor.submit("/app/report", {"target_kind": "event", "target_key": uuid,
                                          "reason": "spam", "comment": "fake tickets",
                                          "email": "vi@example.org"})
    assert sent.status == 200 and "Thank you" in text(sent)
    # Then the moderator finds it in the queue, with the event, and hides it
    queue = moderator.get("/app/moderation/reports")
    assert queue.status == 200 and f"event {uuid}" in text(queue)
    report_id = str(queue.body).split('/app/moderation/reports/')[1].split('"')[0]
    page = moderator.get(f"/app/moderation/reports/{report_id}")
    assert "Picnic" in text(page) and "fake tickets" in text(page)
    hidden = moderator.submit(f"/app/moderation/reports/{report_id}/hide", {"reason": "scam"})
    assert "hidden everywhere" in text(moderator.follow(hidden))
    decided = moderator.submit(f"/app/moderation/reports/{report_id}/decide",
                               {"action": "resolve", "reason": "done"})
    after = moderator.follow(decided)
    assert "The report is resolved" in text(after) and "(hidden)" in text(after)
    # And the administrator reads both actions on the audit log; nobody else does
    log = text(admin.get("/app/moderation/audit"))
    assert log.index("report.resolve") < log.index("event.hide")
    assert moderator.get("/app/moderation/audit").status == 403
    assert ann.get("/app/moderation/reports").status == 403
    assert Browser(lambda_handler).get("/app/moderation/reports").status == 303  # to log in
