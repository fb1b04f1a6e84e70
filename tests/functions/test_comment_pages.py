"""The members' comment pages, as a browser without JavaScript uses them (GET the thread, POST a
form with its CSRF token, follow the 303), and the walk of those pages for every role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from functions.api.handler import lambda_handler
from tests.functions.test_pages import Browser, create_group, signed_up_in_browser, text

EVENT = {"title": "Lantern walk", "begins_on": "2031-05-01T18:00", "ends_on": "2031-05-01T21:00",
         "timezone": "Europe/Paris"}


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> Browser:
    """@ann administers the open group @club."""
    browser = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    assert create_group(browser, openness="open").status == 303
    return browser


@pytest.fixture
def bob(aws: Path, ann: Browser) -> Browser:
    return signed_up_in_browser(aws / "mail", "bob@example.org", "bob")


def new_event(ann: Browser, **fields: Any) -> str:
    answer = ann.post("/api/groups/club/events", {**EVENT, **fields})
    assert answer.status == 201, answer.body
    return str(answer.body["uuid"])


def comment_ids(browser: Browser, uuid: str) -> list[str]:
    return [c["id"] for c in browser.get(f"/api/events/{uuid}/comments").body["comments"]]


def test_write_reply_edit_and_delete_from_the_pages(ann: Browser, bob: Browser) -> None:
    uuid = new_event(ann)
    thread = f"/app/events/{uuid}/comments"
    # When @bob opens the comment page and writes a comment
    page = bob.get(thread)
    assert page.status == 200 and "Write a comment" in text(page)
    posted = bob.submit(thread, {"text": "Can I bring my **dog**?", "profile": "bob"})
    assert posted.status == 303 and posted.headers["Location"].startswith(thread + "#comment-")
    shown = bob.follow(posted)
    assert "Your comment is published." in text(shown)
    assert "<strong>dog</strong>" in shown.body
    first = comment_ids(bob, uuid)[0]
    # When @ann follows the reply link and answers
    reply_page = ann.get(thread, query={"reply": first})
    assert "Reply to @bob" in text(reply_page)
    assert f'name="in_reply_to" value="{first}"' in reply_page.body
    replied = ann.submit(thread, {"text": "Of course", "in_reply_to": first, "profile": "ann"})
    assert "Of course" in ann.follow(replied).body
    # When @bob edits his comment from its edit form
    edit = bob.get(f"/app/comments/{first}/edit")
    assert edit.status == 200 and "Can I bring my **dog**?" in edit.body
    saved = bob.submit(f"/app/comments/{first}/edit", {"text": "Can I bring my cat?",
                                                       "profile": "bob"})
    assert "Can I bring my cat?" in bob.follow(saved).body
    # Then he sees no delete button on @ann's reply, and a forged one is refused
    second = comment_ids(bob, uuid)[1]
    page = bob.get(thread)
    assert f"/app/comments/{first}/delete" in page.body
    assert f"/app/comments/{second}/delete" not in page.body
    forged = bob.submit(f"/app/comments/{second}/delete", {"profile": "bob"})
    assert forged.status == 403 and "author or a group moderator" in text(forged)
    # When he deletes his own comment, its text is gone and the reply stays
    deleted = bob.submit(f"/app/comments/{first}/delete", {"profile": "bob"})
    after = bob.follow(deleted)
    assert "The comment is deleted." in text(after)
    assert "cat" not in after.body and "Of course" in after.body
    assert "This comment was deleted." in text(after)


def test_bad_comments_come_back_next_to_the_form(ann: Browser, bob: Browser) -> None:
    uuid = new_event(ann)
    thread = f"/app/events/{uuid}/comments"
    bob.get(thread)
    empty = bob.submit(thread, {"text": "   ", "profile": "bob"})
    assert empty.status == 400 and "text must not be empty" in text(empty)
    long = bob.submit(thread, {"text": "word " * 1200, "profile": "bob"})
    assert long.status == 400 and "at most 5000" in text(long)
    assert "word word" in long.body  # what was typed is kept
    without_token = bob.submit(thread, {"text": "Hello", "profile": "bob"}, csrf="forged")
    assert without_token.status in {400, 403}
    assert comment_ids(bob, uuid) == []


def test_organisers_close_and_reopen_comments(ann: Browser, bob: Browser) -> None:
    uuid = new_event(ann)
    thread = f"/app/events/{uuid}/comments"
    # A plain visitor has no moderation form; the administrator has
    assert "Close comments" not in bob.get(thread).body
    ann.get(thread)
    closed = ann.submit(f"{thread}/settings", {"enabled": "off", "profile": "ann"})
    assert "Comments are closed." in text(ann.follow(closed))
    # Then the page says so, and a comment posted anyway is refused next to the form
    page = bob.get(thread)
    assert "Comments are closed on this event." in text(page)
    refused = bob.submit(thread, {"text": "Hello?", "profile": "bob"})
    assert refused.status == 403 and "comments are closed" in text(refused)
    # A forged close by @bob is refused
    forged = bob.submit(f"{thread}/settings", {"enabled": "on", "profile": "bob"})
    assert forged.status == 403
    reopened = ann.submit(f"{thread}/settings", {"enabled": "on", "profile": "ann"})
    assert "Comments are open." in text(ann.follow(reopened))


def test_mail_settings_on_the_account_page(ann: Browser) -> None:
    page = ann.get("/app/account")
    assert 'value="new_comment" checked' in page.body
    # When she unticks everything but the reminder
    saved = ann.submit("/app/account", {"action": "notifications",
                                        "notifications": "event_reminder"})
    page = ann.follow(saved)
    assert "Your notification settings are saved." in text(page)
    assert 'value="new_comment" checked' not in page.body
    assert 'value="event_reminder" checked' in page.body
    settings = ann.get("/api/me/notifications").body["notifications"]
    assert settings["event_reminder"] is True and settings["new_comment"] is False
    unknown = ann.submit("/app/account", {"action": "notifications", "notifications": "spam"})
    assert unknown.status == 400 and "unknown notifications" in text(unknown)


# --- the walk: every comment page x every role -----------------------------------------------

PAGE_ROLES = ("anonymous", "non_member", "member", "moderator")


@pytest.mark.parametrize("visibility", ["public", "private"])
def test_comment_pages_for_every_role(aws: Path, ann: Browser, visibility: str) -> None:
    # Given an event of @club with a comment by its administrator, and one person per role
    uuid = new_event(ann, visibility=visibility)
    thread = f"/app/events/{uuid}/comments"
    ann.get(thread)
    ann.submit(thread, {"text": "First", "profile": "ann"})
    theirs = comment_ids(ann, uuid)[0]
    people: dict[str, Browser] = {"anonymous": Browser(lambda_handler)}
    for role in PAGE_ROLES[1:]:
        person = signed_up_in_browser(aws / "mail", f"{role}@example.org", role)
        if role != "non_member":
            assert person.post("/api/groups/club/join", {}).status in range(200, 300)
        if role == "moderator":
            assert ann.call("PUT", f"/api/groups/club/members/{role}",
                            {"role": "moderator"}).status == 200
        people[role] = person
    for role, person in people.items():
        member = role in {"member", "moderator"}
        may_see = visibility == "public" or member
        pages = {
            # (method, path, fields) -> expected status
            ("GET", thread, ()): 200 if may_see else 403,
            ("POST", thread, (("text", "Hi"),)): 303 if may_see else 403,
            ("GET", f"/app/comments/{theirs}/edit", ()): 200 if may_see else 403,
            ("POST", f"/app/comments/{theirs}/edit", (("text", "Hacked"),)):
                403,
            ("POST", f"{thread}/settings", (("enabled", "off"),)):
                303 if role == "moderator" else 403,
            ("POST", f"/app/comments/{theirs}/delete", ()): 303 if role == "moderator" else 403,
        }
        for (method, path, fields), want in pages.items():
            if role == "anonymous":
                want = 303  # to the login page
            if method == "GET":
                answer = person.get(path)
            else:
                person.get(thread)  # the CSRF token of a page the person may open
                answer = person.submit(path, {**dict(fields), "profile": role})
            assert answer.status == want, (role, method, path, answer.status)
            if role == "anonymous":
                assert answer.headers["Location"].startswith("/app/login")
            if method == "POST" and role == "moderator" and path.endswith("/delete"):
                # the comment is gone: the walk goes on with a fresh one
                ann.get(thread)
                ann.submit(f"{thread}/settings", {"enabled": "on", "profile": "ann"})
                ann.submit(thread, {"text": "Again", "profile": "ann"})
                theirs = comment_ids(ann, uuid)[-1]
