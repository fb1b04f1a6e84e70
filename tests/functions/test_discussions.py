"""Group discussions through the JSON API and the members' pages, with what they cause after the
commit (mails to a thread's followers, from the change stream) and what they must never cause
(anything in the public bucket)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings
from affiche.local.pollers import StreamPoller
from affiche.mail import read_maildir
from tests.functions.api_client import ApiClient
from tests.functions.test_group_public_output import Site, strict_outbox
from tests.functions.test_pages import Browser, signed_up_in_browser, text

XSS_TITLE = '<script>alert("title")</script> & "quotes"'
XSS_REPLY = '<img src=x onerror=alert(1)> <script>alert("reply")</script> **bold**'


@pytest.fixture
def site(aws: Path, cheap_crypto: None) -> Iterator[Site]:
    # Created before any write: the poller reads the stream from LATEST, as the runner does.
    yield Site(StreamPoller(get_settings().table_name, strict_outbox), aws / "mail")


@pytest.fixture
def people(site: Site) -> dict[str, Browser]:
    """@ann administers the open group @club; @bob is a member, @cat a moderator, @dan is no
    member at all. Each is a browser that also speaks the JSON API."""
    made = {name: signed_up_in_browser(site.maildir, f"{name}@example.org", name)
            for name in ("ann", "bob", "cat", "dan")}
    answer = made["ann"].post("/api/groups", {"name": "club", "display_name": "Club",
                                              "openness": "open"})
    assert answer.status == 201, answer.body
    for name in ("bob", "cat"):
        assert made[name].post("/api/groups/club/join", {}).status in {200, 201}
    changed = made["ann"].call("PUT", "/api/groups/club/members/cat", {"role": "moderator"})
    assert changed.status == 200, changed.body
    site.publish()
    return made


def start(client: ApiClient, title: str = "Picnic", body: str = "Who brings what?",
          group: str = "club") -> dict[str, Any]:
    answer = client.post(f"/api/groups/{group}/discussions", {"title": title, "text": body})
    assert answer.status == 201, answer.body
    found: dict[str, Any] = answer.body
    return found


def reply(client: ApiClient, discussion: str, body: str) -> dict[str, Any]:
    answer = client.post(f"/api/discussions/{discussion}/replies", {"text": body})
    assert answer.status == 201, answer.body
    found: dict[str, Any] = answer.body
    return found


def mails_to(site: Site, email: str, template_hint: str = "replied in") -> list[EmailMessage]:
    return [m for _, m in read_maildir(str(site.maildir))
            if m["To"] == email and template_hint in str(m["Subject"])]


def replies_of(client: ApiClient, discussion: str, **query: str) -> dict[str, Any]:
    answer = client.get(f"/api/discussions/{discussion}", query=query or None)
    assert answer.status == 200, answer.body
    found: dict[str, Any] = answer.body
    return found


# --- the conversation through the API -----------------------------------------------------------

def test_members_talk_and_followers_are_mailed(site: Site, people: dict[str, Browser]) -> None:
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    # Given @ann starts a discussion (she follows it from the start)
    thread = start(ann, "Picnic", "Who brings **bread**?")
    assert replies_of(ann, thread["id"])["following"] is True
    # When @bob, a member, reads the list and replies
    listed = bob.get("/api/groups/club/discussions").body["discussions"]
    assert [d["title"] for d in listed] == ["Picnic"]
    reply(bob, thread["id"], "I bring *cheese*")
    site.publish()
    # Then @ann gets a mail with his words and a link to the end of the thread; @bob gets none
    [mail] = mails_to(site, "ann@example.org")
    body = mail.get_content()
    assert "@bob replied in" in str(mail["Subject"]) and "I bring *cheese*" not in body
    assert "I bring cheese" in body
    assert f"/app/groups/club/discussions/{thread['id']}?page=last#reply-" in body
    assert mails_to(site, "bob@example.org") == []
    # When @bob follows and @ann answers, he is mailed; when @ann unfollows, she is not
    assert bob.call("PUT", f"/api/discussions/{thread['id']}/follow", {}).status == 200
    assert ann.call("DELETE", f"/api/discussions/{thread['id']}/follow").body == {
        "discussion": thread["id"], "following": False}
    reply(ann, thread["id"], "Great")
    reply(bob, thread["id"], "See you")
    site.publish()
    assert len(mails_to(site, "bob@example.org")) == 1
    assert len(mails_to(site, "ann@example.org")) == 1
    # And the thread reads in order, Markdown rendered, with the replies counted
    shown = replies_of(bob, thread["id"])
    assert [r["text_html"] for r in shown["replies"]] == [
        "<p>Who brings <strong>bread</strong>?</p>", "<p>I bring <em>cheese</em></p>",
        "<p>Great</p>", "<p>See you</p>"]
    assert shown["reply_count"] == 4 and shown["last_reply_by"] == "bob"
    # A non-member sees nothing of it
    assert dan.get("/api/groups/club/discussions").status == 403
    assert dan.get(f"/api/discussions/{thread['id']}").status == 403
    assert dan.post(f"/api/discussions/{thread['id']}/replies", {"text": "hi"}).status == 403


def test_the_mail_switch_and_leaving_the_group_stop_mails(site: Site,
                                                          people: dict[str, Browser]) -> None:
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    thread = start(bob, "Minutes")
    assert cat.call("PUT", f"/api/discussions/{thread['id']}/follow", {}).status == 200
    # When @bob switches the discussion mails off and @cat leaves the group
    off = bob.call("PUT", "/api/me/notifications",
                   {"notifications": {"discussion_reply": False}})
    assert off.status == 200 and off.body["notifications"]["discussion_reply"] is False
    assert cat.post("/api/groups/club/leave", {}).status == 200
    reply(ann, thread["id"], "Here they are")
    site.publish()
    # Then neither is mailed
    assert mails_to(site, "bob@example.org") == []
    assert mails_to(site, "cat@example.org") == []


def test_own_replies_and_moderation(site: Site, people: dict[str, Browser]) -> None:
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    thread = start(bob, "Bikes")
    first = replies_of(bob, thread["id"])["replies"][0]
    theirs = reply(ann, thread["id"], "Mine is red")
    path = f"/api/discussions/{thread['id']}"
    # @bob edits his own message, not @ann's
    edited = bob.call("PUT", f"{path}/replies/{first['id']}", {"text": "Bikes *welcome*"})
    assert edited.status == 200 and edited.body["text_html"] == "<p>Bikes <em>welcome</em></p>"
    refused = bob.call("PUT", f"{path}/replies/{theirs['id']}", {"text": "hijack"})
    assert refused.status == 403 and "only its author" in refused.body["message"]
    assert bob.call("DELETE", f"{path}/replies/{theirs['id']}").status == 403
    # He deletes his own: its place stays, without text
    assert bob.call("DELETE", f"{path}/replies/{first['id']}").status == 200
    shown = replies_of(bob, thread["id"])
    assert [(r["deleted"], r["text_html"]) for r in shown["replies"]] == [
        (True, ""), (False, "<p>Mine is red</p>")]
    assert shown["reply_count"] == 1
    # The starter renames; a member who did not start it cannot; a moderator can
    assert bob.call("PATCH", path, {"title": "Bicycles"}).body["title"] == "Bicycles"
    other = start(ann, "Ann's thread")
    assert bob.call("PATCH", f"/api/discussions/{other['id']}", {"title": "Mine"}).status == 403
    assert cat.call("PATCH", f"/api/discussions/{other['id']}",
                    {"title": "Renamed by cat"}).status == 200
    # Only moderators close: then no reply nor edit until it is reopened
    assert bob.call("PATCH", path, {"closed": True}).status == 403
    assert cat.call("PATCH", path, {"closed": True}).body["closed"] is True
    closed = ann.post(f"{path}/replies", {"text": "late"})
    assert closed.status == 403 and "closed" in closed.body["message"]
    assert cat.call("PATCH", path, {"closed": False}).body["closed"] is False
    reply(ann, thread["id"], "reopened")
    # A moderator deletes another's reply; only moderators delete a thread
    assert cat.call("DELETE", f"{path}/replies/{theirs['id']}").status == 200
    assert bob.call("DELETE", path).status == 403
    assert cat.call("DELETE", path).status == 200
    assert bob.get(path).status == 404
    titles = [d["title"] for d in bob.get("/api/groups/club/discussions").body["discussions"]]
    assert titles == ["Renamed by cat"]
    site.publish()


def test_lists_are_paged(site: Site, people: dict[str, Browser]) -> None:
    ann, bob = people["ann"], people["bob"]
    threads = [start(ann, f"Thread {n}") for n in range(3)]
    # Threads: most recently active first, two a page, cursors both ways
    first = bob.get("/api/groups/club/discussions", query={"limit": "2"}).body
    assert [d["title"] for d in first["discussions"]] == ["Thread 2", "Thread 1"]
    assert first["before"] is None and first["after"]
    second = bob.get("/api/groups/club/discussions",
                     query={"limit": "2", "after": first["after"]}).body
    assert [d["title"] for d in second["discussions"]] == ["Thread 0"]
    assert second["after"] is None and second["before"]
    back = bob.get("/api/groups/club/discussions",
                   query={"limit": "2", "before": second["before"]}).body
    assert [d["title"] for d in back["discussions"]] == ["Thread 2", "Thread 1"]
    # A reply brings a thread back to the top
    reply(bob, threads[0]["id"], "up")
    top = bob.get("/api/groups/club/discussions", query={"limit": "1"}).body["discussions"]
    assert top[0]["title"] == "Thread 0"
    # Replies: oldest first, in pages
    for n in range(4):
        reply(bob, threads[1]["id"], f"reply {n}")
    page = replies_of(bob, threads[1]["id"], limit="2")
    assert [r["text_html"] for r in page["replies"]] == ["<p>Who brings what?</p>",
                                                          "<p>reply 0</p>"]
    rest = replies_of(bob, threads[1]["id"], limit="2", after=page["after"])
    assert [r["text_html"] for r in rest["replies"]] == ["<p>reply 1</p>", "<p>reply 2</p>"]
    last = replies_of(bob, threads[1]["id"], limit="2", before="~")
    assert [r["text_html"] for r in last["replies"]] == ["<p>reply 2</p>", "<p>reply 3</p>"]
    assert last["after"] is None


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/groups/club/discussions", {"title": " ", "text": "x"}, "title must not be empty"),
    ("/api/groups/club/discussions", {"title": "a\nb", "text": "x"}, "title"),
    ("/api/groups/club/discussions", {"title": "t" * 201, "text": "x"}, "at most 200"),
    ("/api/groups/club/discussions", {"title": "Ok", "text": ""}, "text must not be empty"),
    ("/api/groups/club/discussions", {"title": "Ok", "text": "w " * 3000}, "at most 5000"),
    ("/api/groups/club/discussions", {"title": "Ok", "text": "a\x00b"}, "control"),
    ("/api/groups/club/discussions", {"title": "Ok"}, "text"),
    ("/api/groups/club/discussions", {"title": "Ok", "text": "x", "extra": 1}, "extra"),
    ("/api/groups/club/discussions", {"title": 3, "text": "x"}, "title"),
    ("/api/groups/nowhere/discussions", {"title": "Ok", "text": "x"}, "no group"),
])
def test_bad_input_is_refused_with_a_reason(people: dict[str, Browser], path: str,
                                            body: dict[str, Any], message: str) -> None:
    answer = people["bob"].post(path, body)
    assert 400 <= answer.status < 500, answer.body
    assert message in str(answer.body), answer.body
    assert people["bob"].get("/api/groups/club/discussions").body["discussions"] == []


def test_bad_paging_and_unknown_threads(people: dict[str, Browser]) -> None:
    bob = people["bob"]
    thread = start(bob)
    for query in ({"limit": "0"}, {"limit": "abc"}, {"limit": "101"}, {"after": "x" * 300}):
        answer = bob.get("/api/groups/club/discussions", query=query)
        assert answer.status == 400, (query, answer.body)
    assert bob.get("/api/discussions/nope").status == 404
    assert bob.call("PUT", f"/api/discussions/{thread['id']}/replies/nope",
                    {"text": "x"}).status == 404
    assert bob.call("PATCH", f"/api/discussions/{thread['id']}", {}).status == 400


# --- the pages ----------------------------------------------------------------------------------

def test_pages_start_reply_follow_and_escape(site: Site, people: dict[str, Browser]) -> None:
    ann, bob = people["ann"], people["bob"]
    # The dashboard shows the block, empty at first
    dashboard = bob.get("/app/groups/club/")
    assert "Latest discussions" in text(dashboard) and "No discussions yet." in text(dashboard)
    # When @bob starts a discussion from the list page, with markup in title and message
    listing = bob.get("/app/groups/club/discussions")
    assert listing.status == 200 and "Start a discussion" in text(listing)
    started = bob.submit("/app/groups/club/discussions", {"title": XSS_TITLE, "text": XSS_REPLY,
                                                          "profile": "bob"})
    assert started.status == 303
    thread_path = started.headers["Location"]
    page = bob.follow(started)
    # Then everything typed is shown as text, the Markdown rendered, nothing executable
    assert "Your discussion is started." in text(page)
    assert "<script>" not in page.body and "onerror" not in page.body
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in page.body
    assert "<strong>bold</strong>" in page.body
    assert "Unfollow" in page.body  # the starter follows
    # When @ann replies from the thread's form (with markup again)
    ann.get(thread_path)
    replied = ann.submit(thread_path + "/replies", {"text": XSS_REPLY + " from ann",
                                                    "profile": "ann"})
    assert replied.status == 303 and "?page=last#reply-" in replied.headers["Location"]
    after = ann.follow(replied)
    assert "Your reply is published." in text(after) and "from ann" in after.body
    assert "<script>" not in after.body
    # Then @bob's mail is plain text: the title as typed (no HTML reads it), the reply's text
    # as its sanitised HTML reads, without the markup nh3 removed
    site.publish()
    [mail] = mails_to(site, "bob@example.org")
    content = mail.get_content()
    assert mail.get_content_type() == "text/plain" and "from ann" in content
    assert 'alert("reply")' not in content and "onerror" not in content
    assert XSS_TITLE in str(mail["Subject"])
    # The dashboard and the list show the thread, its title escaped
    for shown in (bob.get("/app/groups/club/"), bob.get("/app/groups/club/discussions")):
        assert "&lt;script&gt;" in shown.body and "<script>alert" not in shown.body
    # When @ann follows it from the page and @bob unfollows
    ann.get(thread_path)
    followed = ann.submit(thread_path + "/follow", {"follow": "on", "profile": "ann"})
    assert "You follow this discussion" in text(ann.follow(followed))
    bob.get(thread_path)
    unfollowed = bob.submit(thread_path + "/follow", {"follow": "off", "profile": "bob"})
    assert "You no longer follow" in text(bob.follow(unfollowed))


def test_pages_edit_delete_and_moderate(site: Site, people: dict[str, Browser]) -> None:
    ann, bob = people["ann"], people["bob"]
    thread = start(bob, "Garden")
    base = f"/app/groups/club/discussions/{thread['id']}"
    [first] = replies_of(bob, thread["id"])["replies"]
    theirs = reply(ann, thread["id"], "Tomatoes")
    page = bob.get(base)
    # @bob has edit and delete controls for his message only, and the rename form as starter
    assert f"{base}/replies/{first['id']}/edit" in page.body
    assert f"{base}/replies/{theirs['id']}/delete" not in page.body
    assert "Close the discussion" not in page.body and "Rename" in page.body
    edit = bob.get(f"{base}/replies/{first['id']}/edit")
    assert edit.status == 200 and "Who brings what?" in edit.body
    empty = bob.submit(f"{base}/replies/{first['id']}/edit", {"text": " ", "profile": "bob"})
    assert empty.status == 400 and "text must not be empty" in text(empty)
    assert replies_of(bob, thread["id"])["replies"][0]["text_html"] == "<p>Who brings what?</p>"
    saved = bob.submit(f"{base}/replies/{first['id']}/edit", {"text": "Seeds?", "profile": "bob"})
    assert "Seeds?" in bob.follow(saved).body
    forged = bob.submit(f"{base}/replies/{theirs['id']}/delete", {"profile": "bob"})
    assert forged.status == 403 and "author or a group moderator" in text(forged)
    deleted = bob.submit(f"{base}/replies/{first['id']}/delete", {"profile": "bob"})
    assert "This reply was deleted." in text(bob.follow(deleted))
    # @ann (administrator) renames, closes, reopens and deletes
    ann.get(base)
    renamed = ann.submit(f"{base}/rename", {"title": "Vegetable garden", "profile": "ann"})
    assert "Vegetable garden" in ann.follow(renamed).body
    closed = ann.submit(f"{base}/close", {"closed": "on", "profile": "ann"})
    assert "This discussion is closed" in text(ann.follow(closed))
    refused = bob.submit(f"{base}/replies", {"text": "late", "profile": "bob"})
    assert refused.status == 403 and "closed" in text(refused)
    assert "<p>late</p>" not in [r["text_html"] for r in replies_of(ann, thread["id"])["replies"]]
    ann.submit(f"{base}/close", {"closed": "off", "profile": "ann"})
    gone = ann.submit(f"{base}/delete", {"profile": "ann"})
    assert gone.headers["Location"] == "/app/groups/club/discussions"
    assert bob.get(base).status == 404
    # Wrong group in the address: not found
    other = start(bob, "Elsewhere")
    ann.post("/api/groups", {"name": "other", "display_name": "Other", "openness": "open"})
    assert ann.get(f"/app/groups/other/discussions/{other['id']}").status == 404


def test_nothing_of_a_discussion_reaches_the_bucket(site: Site,
                                                    people: dict[str, Browser]) -> None:
    ann, bob = people["ann"], people["bob"]
    canary = "canary-7f3e9b"
    # Given a public group whose pages are published
    site.publish()
    published_before = set(site.keys())
    assert "@club/index.html" in published_before
    # When members write, edit, rename, close and delete with a canary in every text
    thread = start(ann, f"Title {canary}", f"Opening {canary}")
    answer = reply(bob, thread["id"], f"Reply {canary}")
    bob.call("PUT", f"/api/discussions/{thread['id']}/replies/{answer['id']}",
             {"text": f"Edited {canary}"})
    ann.call("PATCH", f"/api/discussions/{thread['id']}", {"title": f"Renamed {canary}"})
    second = start(bob, f"Second {canary}")
    ann.call("DELETE", f"/api/discussions/{second['id']}")
    site.publish()
    # Then no object of the bucket holds the canary, and no new object appeared for it
    published = site.keys()
    for key in published:
        assert canary.encode() not in site.body(key), key
    assert not [k for k in published if "discussion" in k]


def test_a_long_thread_reads_a_page_at_a_time_in_the_pages(
        site: Site, people: dict[str, Browser], monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import unquote

    from affiche.domain import discussions
    from affiche.domain.model import Actor
    from affiche.web.ports import ports

    ann, bob = people["ann"], people["bob"]
    thread = start(ann, "Long")
    # Given 24 replies after the first message (the flood limit is not what is tested here)
    author = ports().repo.get(Actor, "bob")
    assert author is not None
    monkeypatch.setattr(ports().limiter, "hit", lambda *_, **__: None)
    for n in range(24):
        discussions.reply(ports(), author, thread["id"], f"Reply number {n:02}")
    base = f"/app/groups/club/discussions/{thread['id']}"
    # When @bob opens the thread: the first 20 messages, and a link to the later ones
    first = bob.get(base)
    assert "Who brings what?" in first.body and "Reply number 18" in first.body
    assert "Reply number 19" not in first.body and "Earlier replies" not in first.body
    later = re.search(r'<a rel="next" href="([^"]+)">Later replies</a>', first.body)
    assert later is not None
    # Then the next page holds the rest, with the way back; ?page=last (mails) opens the end
    second = bob.get(base, query={"after": unquote(later.group(1).split("=", 1)[1])})
    assert "Reply number 19" in second.body and "Reply number 23" in second.body
    assert "Reply number 18" not in second.body and 'rel="prev"' in second.body
    last = bob.get(base, query={"page": "last"})
    assert "Reply number 23" in last.body and "Who brings what?" not in last.body
    # And each of his own replies has its edit and delete controls, the others' none
    assert first.body.count("/edit?profile=bob") == 19
    assert f"{base}/replies/" in first.body and "/delete" in first.body
