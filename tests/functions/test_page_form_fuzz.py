"""Any fields posted to the members' pages' forms (the right CSRF token, any names and values:
control characters, odd Unicode, huge numbers, dates out of range) get a page with a 2xx, 3xx or
4xx status, never a 500. Hypothesis examples are bounded; the world is built once."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from affiche.domain import accounts, events, groups
from affiche.web.ports import ports
from functions.api.handler import lambda_handler
from tests.functions.api_client import Answer, ApiClient

PASSWORD = "correct horse battery"
FORM = {"content-type": "application/x-www-form-urlencoded"}
# The names the members' forms use (site/theme/templates/app), and a few they do not.
NAMES = ["about", "begins_on", "body", "capacity", "category", "comment", "contact_email",
         "contacts", "current_password", "description", "display_name", "email", "ends_on",
         "external_url", "handle", "join_mode", "message", "name", "new_password", "online_url",
         "openness", "password", "privacy", "profile", "reason", "rules", "status", "summary",
         "tags", "terms", "text", "timezone", "title", "url", "username", "visibility",
         "accessibility", "action", "decision", "domain", "group", "in_reply_to", "invitation",
         "member", "mode", "next", "notifications", "parent", "participants", "q", "role",
         "slot", "target_key", "target_kind", "type", "uri", "latitude", "longitude", "draft",
         "x"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1e309", "99999999999999999999", "NaN", "true", "on",
                     "0001-01-01T00:00", "9999-12-31T23:59", "2027-02-30T10:00", "Europe/Paris",
                     "Mars/Olympus", "@demo@localhost", "https://127.0.0.1/x", "javascript:x",
                     "a\r\nBcc: x@example.org", "\x00", "\ud7ff", "public", "members", "private",
                     "open", "moderated", "invite_only", "admin", "moderator", "member"]),
    st.text(min_size=1000, max_size=3000))
# Plausible values for every form, so that a fuzzed field or two get past the required ones and
# reach the code behind; the fuzzed fields come first (a form's first value of a name wins).
BASE = {"title": "Meet-up", "name": "newgroup", "display_name": "New group", "summary": "Hi",
        "begins_on": "2030-02-01T10:00", "ends_on": "2030-02-01T12:00", "timezone": "Europe/Paris",
        "visibility": "public", "openness": "open", "body": "Hello", "text": "Hello",
        "comment": "Hello", "url": "https://example.org/", "email": "someone@example.org",
        "handle": "@someone@example.org", "role": "moderator", "member": "ada", "reason": "spam",
        "target_kind": "event", "online_url": "https://meet.example.org/y", "capacity": "10",
        "message": "Please", "domain": "spam.example", "mode": "open", "description": "Stuff",
        "tags": "a, b", "category": "MEETING", "contacts": "", "uri": "acct:x@example.org"}
FIELDS = st.builds(
    lambda fuzzed, kept: fuzzed + [(k, v) for k, v in BASE.items() if k in kept],
    st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=4),
    st.sets(st.sampled_from(sorted(BASE))))


def _world(aws: Path) -> tuple[ApiClient, dict[str, str]]:
    """An administrator logged in through the form, with a group and an event of their own."""
    context = ports()
    admin = accounts.signup(context, email="ada@example.org", password=PASSWORD,
                            username="ada", confirmed=True, role="admin")
    assert admin is not None
    groups.create_group(context, admin, name="club", display_name="Club", summary="",
                        visibility="public", openness="open")
    event = events.create_event(context, admin, "club", events.EventInput(
        title="Meet-up", begins_on="2030-01-01T18:00", ends_on="2030-01-01T20:00",
        timezone="Europe/Paris", online_url="https://meet.example.org/x"))
    browser = ApiClient(lambda_handler)
    browser.get("/app/login")
    login = _post(browser, "/app/login", [("email", "ada@example.org"), ("password", PASSWORD)])
    assert login.status == 303, login.body
    return browser, {"uuid": event.uuid}


def _csrf(browser: ApiClient, page: str) -> str:
    answer = browser.get(page)
    found = re.search(r'name="csrf" value="([^"]+)"', answer.body or "")
    return found.group(1) if found else ""


def _post(browser: ApiClient, path: str, fields: list[tuple[str, str]],
          csrf: str | None = None) -> Answer:
    token = csrf if csrf is not None else _csrf(browser, "/app/login")
    body = urlencode([*fields, ("csrf", token)], encoding="utf-8", errors="surrogatepass")
    return browser.post(path, body, headers=FORM)


def test_any_fields_posted_to_a_form_get_a_page_not_a_crash(aws: Path, cheap_crypto: None) -> None:
    browser, known = _world(aws)
    uuid = known["uuid"]
    forms = ["/app/groups/new", "/app/groups/club/settings", "/app/groups/club/events/new",
             f"/app/events/{uuid}/edit", f"/app/events/{uuid}/comments",
             f"/app/events/{uuid}/participate", f"/app/events/{uuid}/participants/invite",
             "/app/groups/club/posts/new", "/app/groups/club/discussions",
             "/app/groups/club/resources", "/app/groups/club/invite", "/app/groups/club/role",
             "/app/account", "/app/report", "/app/following", "/app/admin/settings",
             "/app/admin/domains", "/app/signup", "/app/reset"]
    csrf = _csrf(browser, "/app/")
    assert csrf
    crashes: list[str] = []
    statuses: list[int] = []

    @given(st.sampled_from(forms), FIELDS)
    @settings(max_examples=6 * len(forms), deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def post(path: str, fields: list[tuple[str, str]]) -> None:
        answer = _post(browser, path, fields, csrf)
        statuses.append(answer.status)
        if answer.status >= 500:
            crashes.append(f"{path} {fields!r}: {answer.status} {str(answer.body)[:300]}")

    post()
    assert not crashes, "\n".join(crashes[:10])
    # and the forms were read, not all refused at the door (CSRF, log in)
    assert sum(200 <= s < 400 for s in statuses) >= 5
    assert sum(s in {400, 409, 413, 415} for s in statuses) > len(forms)

