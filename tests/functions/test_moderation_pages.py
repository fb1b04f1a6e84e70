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
    # When the moderator thinks again and restores it from the same page
    assert "Restore this event" in text(after)
    restored = moderator.submit(f"/app/moderation/reports/{report_id}/restore",
                                {"reason": "a real picnic"})
    back = moderator.follow(restored)
    assert "is published again" in text(back) and "(hidden)" not in text(back)
    assert "Hide this event" in text(back)
    # And the administrator reads both actions on the audit log; nobody else does
    log = text(admin.get("/app/moderation/audit"))
    assert log.index("event.restore") < log.index("report.resolve") < log.index("event.hide")
    assert moderator.get("/app/moderation/audit").status == 403
    assert ann.get("/app/moderation/reports").status == 403
    assert Browser(lambda_handler).get("/app/moderation/reports").status == 303  # to log in


def test_the_report_reasons_are_mastodons_and_old_reports_still_read(
        aws: Path, cheap_crypto: None) -> None:
    from dataclasses import replace

    from affiche.domain.model import Report
    from affiche.domain.ports import ChangeSet

    # Given an event and a member reporting it
    ann = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    # Then the form offers Mastodon's categories, and nothing else
    form = str(ann.get("/app/report", query={"target_kind": "event", "target_key": uuid}).body)
    assert [v.split('"')[0] for v in form.split('<option value="')[1:]] == [
        "spam", "legal", "violation", "other"]
    # When one report gives no reason (Mobilizon sends none) and another an old one
    target = {"target_kind": "event", "target_key": uuid}
    plain = ann.post("/api/reports", target)
    former = ann.post("/api/reports", {**target, "reason": "harassment"})
    assert plain.status == former.status == 201
    repo = ports().repo
    stored, mapped = repo.get(Report, plain.body["id"]), repo.get(Report, former.body["id"])
    assert stored is not None and mapped is not None
    assert (stored.reason, mapped.reason) == ("other", "violation")
    assert ann.post("/api/reports", {**target, "reason": "boring"}).status == 400
    # And a report stored with a reason of the former list is in the queue
    repo.commit(ChangeSet().put(replace(stored, id="older", reason="hateful", version=0)))
    # Then moderators read each with its label
    moderator = logged_in_with_role("mo@example.org", "mo", "moderator")
    queue = text(moderator.get("/app/moderation/reports"))
    for label in ("Something else", "Breaks the rules of this instance", "Hateful content"):
        assert label in queue
    assert "Reason: Hateful content." in text(moderator.get("/app/moderation/reports/older"))
