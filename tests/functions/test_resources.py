"""A group's resources (links and folders) and its activity, through the JSON API and the
members' pages, with remote pages faked by httpx.MockTransport behind the guarded client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from affiche.activitypub import fetch
from affiche.domain import accounts, membership
from affiche.domain.model import Account
from affiche.web.ports import ports
from functions.api.handler import lambda_handler
from tests.functions.api_client import ApiClient, signed_up
from tests.functions.test_pages import Browser, signed_up_in_browser, text

PUBLIC_IP, PRIVATE_IP = "93.184.216.34", "10.0.0.7"
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Seed library &amp; swap</title>
<meta property="og:description" content="Borrow seeds, &lt;b&gt;bring&lt;/b&gt; some back.">
<meta property="og:image" content="/img/seeds.jpg">
</head><body><p>Hello</p></body></html>"""
XSS_PAGE = """<html><head><title>&lt;script&gt;alert('t')&lt;/script&gt;Evil</title>
<meta name="description" content="<img src=x onerror=alert('d')>">
<meta property="og:image" content="javascript:alert(1)"></head></html>"""


@dataclass
class Remote:
    """The web as the guarded client sees it: pages by URL, and every request it made."""

    pages: dict[str, httpx.Response] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requested.append(str(request.url))
        return self.pages.get(str(request.url), httpx.Response(404, text="not here"))

    def html(self, url: str, body: str, status: int = 200) -> None:
        self.pages[url] = httpx.Response(status, text=body,
                                         headers={"content-type": "text/html; charset=utf-8"})


@pytest.fixture
def remote() -> Iterator[Remote]:
    web = Remote()
    fetch.set_transport_factory(lambda: httpx.MockTransport(web.handle))
    fetch.set_resolver(lambda host, port: [PRIVATE_IP] if host.endswith(".internal")
                       else [PUBLIC_IP])
    yield web
    fetch.set_transport_factory(None)
    fetch.set_resolver(None)


def person(maildir: Path, email: str, username: str) -> ApiClient:
    client = ApiClient(lambda_handler)
    signed_up(client, maildir, email, username)
    return client


def join(client: ApiClient, group: str) -> None:
    context = ports()
    account = context.repo.get(Account, client.get("/api/me").body["id"])
    assert account is not None
    membership.request_to_join(context, account, group)


def extra_member(username: str, group: str = "club") -> None:
    """A confirmed person who joins `group` (domain calls: no signup rate limit, no mail)."""
    context = ports()
    account = accounts.signup(context, email=f"{username}@example.org",
                              password="correct horse", username=username, confirmed=True)
    membership.request_to_join(context, account, group)


@dataclass
class Club:
    ann: ApiClient  # creator of the open group @club
    bob: ApiClient  # a plain member
    eve: ApiClient  # not a member


@pytest.fixture
def club(aws: Path, cheap_crypto: None, remote: Remote) -> Club:
    ann = person(aws / "mail", "ann@example.org", "ann")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club",
                                    "openness": "open"}).status == 201
    bob = person(aws / "mail", "bob@example.org", "bob")
    join(bob, "club")
    return Club(ann, bob, person(aws / "mail", "eve@example.org", "eve"))


def listing(client: ApiClient, folder: str | None = None, page: int = 1) -> dict[str, Any]:
    query = {"page": str(page), **({"folder": folder} if folder else {})}
    answer = client.get("/api/groups/club/resources", query=query)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


# --- the API --------------------------------------------------------------------------------------

def test_members_keep_links_in_folders_with_previews_of_the_pages(club: Club,
                                                                   remote: Remote) -> None:
    remote.html("https://seeds.example/library", PAGE)
    # Given a folder made by @ann
    folder = club.ann.post("/api/groups/club/resources", {"type": "folder", "title": "Garden"})
    assert folder.status == 201, folder.body
    folder_id = folder.body["id"]
    # When @bob, a plain member, adds a link into it without a title
    link = club.bob.post("/api/groups/club/resources", {
        "type": "link", "url": "https://seeds.example/library", "parent": folder_id})
    assert link.status == 201, link.body
    # Then the page's title, description (plain text) and image URL (made absolute) are kept
    assert link.body["title"] == "Seed library & swap"
    assert link.body["summary"] == "Borrow seeds, <b>bring</b> some back."
    assert link.body["image_url"] == "https://seeds.example/img/seeds.jpg"
    assert link.body["creator"] == "bob" and link.body["parent"] == folder_id
    assert remote.requested == ["https://seeds.example/library"]
    # And the root lists the folder, the folder lists the link
    assert [r["title"] for r in listing(club.bob)["items"]] == ["Garden"]
    inside = listing(club.bob, folder_id)
    assert [r["title"] for r in inside["items"]] == ["Seed library & swap"]
    assert inside["folder"]["title"] == "Garden"

    # When @bob renames the link, then moves it to the root
    link_id = link.body["id"]
    renamed = club.bob.call("PATCH", f"/api/resources/{link_id}",
                            {"title": "Seeds", "summary": "Our favourite"})
    assert renamed.status == 200 and renamed.body["title"] == "Seeds"
    moved = club.bob.call("PATCH", f"/api/resources/{link_id}", {"parent": None})
    assert moved.status == 200 and moved.body["parent"] is None
    # Then the root shows folders first, then links by title
    assert [r["title"] for r in listing(club.bob)["items"]] == ["Garden", "Seeds"]
    assert listing(club.bob, folder_id)["items"] == []

    # When @ann deletes the folder, which holds a subfolder with a link
    sub = club.ann.post("/api/groups/club/resources", {"type": "folder", "title": "Sub",
                                                       "parent": folder_id}).body
    inner = club.ann.post("/api/groups/club/resources", {
        "type": "link", "url": "https://seeds.example/library", "title": "Inner",
        "parent": sub["id"]}).body
    gone = club.ann.call("DELETE", f"/api/resources/{folder_id}")
    # Then everything in it goes too, and the link moved out stays
    assert gone.status == 200 and gone.body == {"deleted": 3}
    for removed in (folder_id, sub["id"], inner["id"]):
        assert club.ann.get(f"/api/resources/{removed}").status == 404
    assert [r["title"] for r in listing(club.ann)["items"]] == ["Seeds"]

    # And the group's activity tells who did what, newest first
    activity = club.bob.get("/api/groups/club/activity")
    assert activity.status == 200, activity.body
    lines = [item["text"] for item in activity.body["items"]]
    assert lines[0] == "@ann deleted the resource “Garden”"
    assert "@bob moved the resource “Seeds”" in lines
    assert "@bob renamed the resource “Seeds”" in lines
    assert "@bob added “Seed library & swap” to the resources" in lines
    assert "@bob joined the group" in lines and lines[-1] == "@club was created"
    # And an event the group publishes names the person who created it, not only the group
    event = {"title": "Walk", "begins_on": "2031-05-01T10:00", "ends_on": "2031-05-01T12:00",
             "timezone": "Europe/Paris"}
    assert club.ann.post("/api/groups/club/events", event).status == 201
    newest = club.bob.get("/api/groups/club/activity").body["items"][0]["text"]
    assert newest.startswith("@ann ") and "Walk" in newest, newest
    # And none of it is for someone outside the group
    for path in ("/api/groups/club/resources", "/api/groups/club/activity",
                 f"/api/resources/{link_id}"):
        assert club.eve.get(path).status == 403
    assert club.eve.post("/api/groups/club/resources",
                         {"type": "folder", "title": "Mine"}).status == 403


def test_pages_that_cannot_be_read_leave_a_plain_link(club: Club, remote: Remote) -> None:
    remote.pages["https://slow.example/"] = httpx.Response(500)
    remote.pages["https://file.example/a.pdf"] = httpx.Response(
        200, content=b"%PDF-1.4", headers={"content-type": "application/pdf"})

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("too slow", request=request)

    for url in ("https://slow.example/", "https://file.example/a.pdf",
                "https://nowhere.example/x"):
        made = club.bob.post("/api/groups/club/resources", {"type": "link", "url": url})
        assert made.status == 201, made.body
        assert (made.body["title"], made.body["summary"], made.body["image_url"]) == (url, "",
                                                                                      None)
    fetch.set_transport_factory(lambda: httpx.MockTransport(broken))
    made = club.bob.post("/api/groups/club/resources",
                         {"type": "link", "url": "https://timeout.example/"})
    assert made.status == 201 and made.body["title"] == "https://timeout.example/"


def test_addresses_inside_our_network_are_stored_but_never_fetched(club: Club,
                                                                   remote: Remote) -> None:
    for url in ("http://127.0.0.1/admin", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]:8080/", "https://wiki.internal/secret",
                "http://[64:ff9b::a00:1]/"):
        made = club.bob.post("/api/groups/club/resources", {"type": "link", "url": url})
        assert made.status == 201, made.body
        assert made.body["url"] == url and made.body["title"] == url
    # Nothing was asked of any server
    assert remote.requested == []


def test_a_public_page_redirecting_inside_our_network_is_not_followed(club: Club,
                                                                      remote: Remote) -> None:
    # Given a public page that redirects to an address inside our network
    remote.pages["https://short.example/x"] = httpx.Response(
        302, headers={"location": "https://wiki.internal/secret"})
    remote.pages["https://wiki.internal/secret"] = httpx.Response(
        200, text="<title>SECRET WIKI</title>", headers={"content-type": "text/html"})
    # When a member adds a link to it
    made = club.bob.post("/api/groups/club/resources",
                         {"type": "link", "url": "https://short.example/x"})
    # Then the link is stored plain, and the inside address was never asked
    assert made.status == 201, made.body
    assert (made.body["title"], made.body["summary"]) == ("https://short.example/x", "")
    assert remote.requested == ["https://short.example/x"]


@pytest.mark.parametrize(("body", "field_name"), [
    ({"type": "link", "url": "javascript:alert(1)"}, "url"),
    ({"type": "link", "url": "JavaScript:alert(1)//https://x.example"}, "url"),
    ({"type": "link", "url": "data:text/html,<script>alert(1)</script>"}, "url"),
    ({"type": "link", "url": "not a url"}, "url"),
    ({"type": "link", "url": "https://"}, "url"),
    ({"type": "link", "url": "https://ok.example/\nInjected: 1"}, "url"),
    ({"type": "link", "url": "https://ok.example/" + "a" * 2001}, "url"),
    ({"type": "link"}, "url"),
    ({"type": "folder", "title": "  "}, "title"),
    ({"type": "folder", "title": "x" * 201}, "title"),
    ({"type": "folder", "title": "Bell\x07"}, "title"),
    ({"type": "folder", "title": "Orphan", "parent": "no-such-folder"}, "parent"),
])
def test_bad_resources_are_refused_with_the_reason(club: Club, remote: Remote,
                                                   body: dict[str, Any], field_name: str) -> None:
    answer = club.bob.post("/api/groups/club/resources", body)
    assert answer.status == 400, answer.body
    assert answer.body["field"] == field_name, answer.body
    assert listing(club.bob)["total"] == 0 and remote.requested == []


def test_bad_changes_and_pages_are_refused(club: Club) -> None:
    folder = club.bob.post("/api/groups/club/resources", {"type": "folder", "title": "A"}).body
    child = club.bob.post("/api/groups/club/resources", {"type": "folder", "title": "B",
                                                         "parent": folder["id"]}).body
    link = club.bob.post("/api/groups/club/resources", {
        "type": "link", "url": "https://nowhere.example/", "title": "L"}).body
    patch = club.bob.call
    # A folder cannot go inside itself or its own subfolder; a link is no folder
    assert patch("PATCH", f"/api/resources/{folder['id']}", {"parent": folder["id"]}).status == 400
    assert patch("PATCH", f"/api/resources/{folder['id']}", {"parent": child["id"]}).status == 400
    assert patch("PATCH", f"/api/resources/{child['id']}", {"parent": link["id"]}).status == 400
    # Renaming and moving at once would be two commits: one change per request
    both = patch("PATCH", f"/api/resources/{link['id']}", {"title": "X", "parent": None})
    assert both.status == 400
    assert patch("PATCH", f"/api/resources/{link['id']}", {}).status == 400
    assert patch("PATCH", f"/api/resources/{link['id']}", {"title": ""}).status == 400
    assert patch("PATCH", "/api/resources/nope", {"title": "X"}).status == 404
    # A resource of another group is no folder of this one
    assert club.ann.post("/api/groups", {"name": "other", "display_name": "Other"}).status == 201
    theirs = club.ann.post("/api/groups/other/resources", {"type": "folder", "title": "T"}).body
    assert club.ann.post("/api/groups/club/resources", {
        "type": "folder", "title": "In theirs", "parent": theirs["id"]}).status == 400
    # Pages and cursors as typed
    for query in ({"page": "0"}, {"page": "two"}, {"page": "-1"}):
        assert club.bob.get("/api/groups/club/resources", query=query).status == 400
        assert club.bob.get("/api/groups/club/members", query=query).status == 400
    assert club.bob.get("/api/groups/club/activity", query={"before": "yesterday"}).status == 400
    # Nothing changed
    assert [r["title"] for r in listing(club.bob)["items"]] == ["A", "L"]


# --- paging ---------------------------------------------------------------------------------------

def test_long_folders_member_lists_and_activity_come_a_page_at_a_time(club: Club, aws: Path
                                                                       ) -> None:
    # Given 23 links in the root, and 22 members
    for n in range(23):
        assert club.bob.post("/api/groups/club/resources", {
            "type": "link", "url": f"https://nowhere.example/{n}",
            "title": f"Link {n:02}"}).status == 201
    for n in range(20):
        extra_member(f"m{n:02}")
    # Then the folder comes in pages of 20, in title order
    first, second = listing(club.bob), listing(club.bob, page=2)
    assert (first["total"], first["pages"], len(first["items"])) == (23, 2, 20)
    assert [r["title"] for r in second["items"]] == ["Link 20", "Link 21", "Link 22"]
    assert listing(club.bob, page=3)["items"] == []
    # And so do the members, API and dashboard alike
    one = club.bob.get("/api/groups/club/members").body
    two = club.bob.get("/api/groups/club/members", query={"page": "2"}).body
    assert (one["total"], len(one["members"]), len(two["members"])) == (22, 20, 2)
    names = [m["member"] for m in one["members"] + two["members"]]
    assert len(set(names)) == 22 and names[0] == "ann"
    # And the activity, newest first, through its cursor
    newest = club.bob.get("/api/groups/club/activity").body
    older = club.bob.get("/api/groups/club/activity", query={"before": newest["older"]}).body
    assert len(newest["items"]) == 20 and newest["older"]
    assert newest["items"][0]["text"] == "@m19 joined the group"
    seen = [i["id"] for i in newest["items"] + older["items"]]
    assert len(seen) == len(set(seen)) == 20 + len(older["items"])
    times = [i["published"] for i in newest["items"] + older["items"]]
    assert times == sorted(times, reverse=True)


def test_a_remote_member_uses_the_same_services(club: Club) -> None:
    """Resources take the acting actor, not an account (DESIGN.md "Who acts"): a member from
    another server, once federation brings their requests, goes through the same rules."""
    from datetime import UTC, datetime

    from affiche.domain import group_activity, resources
    from affiche.domain.errors import PermissionDenied
    from affiche.domain.model import Actor
    from affiche.domain.ports import ChangeSet

    # Given alice of remote.example, a member of @club, and carol of remote.example, who is not
    def stranger(name: str) -> Actor:
        person = Actor(name=f"https://remote.example/users/{name}", type="Person",
                       display_name=name.title(), created_at=datetime.now(UTC),
                       inbox=f"https://remote.example/users/{name}/inbox",
                       preferred_username=name, domain="remote.example")
        ports().repo.commit(ChangeSet().put(person))
        return person

    alice, carol = stranger("alice"), stranger("carol")
    membership.request_to_join_as(ports(), alice, "club")
    # When alice files a folder and a link, and renames the link
    folder = resources.create_folder(ports(), alice, "club", "From afar")
    link = resources.add_link(ports(), alice, "club", "https://seeds.example/",
                              title="Seed library", parent=folder.id)
    resources.update(ports(), alice, link.id, title="Seeds")
    # Then they are the group's, seen by its local members, and the activity names her
    inside = listing(club.bob, folder=folder.id)["items"]
    assert [r["title"] for r in inside] == ["Seeds"]
    said = [f"{e.who} {e.what}" for e in group_activity.timeline(
        ports(), alice, "club").entries]
    assert "@alice@remote.example added “From afar” to the resources" in said
    # And carol, no member, is refused like any stranger
    with pytest.raises(PermissionDenied):
        resources.create_folder(ports(), carol, "club", "Mine")
    with pytest.raises(PermissionDenied):
        resources.browse(ports(), carol, "club")


# --- the pages ------------------------------------------------------------------------------------

@pytest.fixture
def pages(aws: Path, cheap_crypto: None, remote: Remote) -> tuple[Browser, Browser]:
    ann = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    ann.get("/app/groups/new")
    assert ann.submit("/app/groups/new", {"name": "club", "display_name": "Club",
                                          "visibility": "public", "openness": "open"}
                      ).status == 303
    bob = signed_up_in_browser(aws / "mail", "bob@example.org", "bob")
    join(bob, "club")
    return ann, bob


def test_resources_from_the_pages_with_hostile_titles_escaped(
        pages: tuple[Browser, Browser], remote: Remote) -> None:
    ann, bob = pages
    remote.html("https://evil.example/", XSS_PAGE)
    folder_page = "/app/groups/club/resources"
    # When @bob opens the resources page and makes a folder with markup in its name
    assert "Nothing here yet." in text(bob.get(folder_page))
    made = bob.submit(folder_page, {"type": "folder", "title": "<b>Docs</b>"})
    assert made.status == 303
    shown = bob.follow(made)
    assert "&lt;b&gt;Docs&lt;/b&gt;" in shown.body and "<b>Docs</b>" not in shown.body
    folder_id = bob.get("/api/groups/club/resources").body["items"][0]["id"]
    # When he adds a link to a hostile page into the folder
    added = bob.submit(folder_page, {"type": "link", "url": "https://evil.example/",
                                     "title": "", "summary": "", "parent": folder_id})
    assert added.status == 303 and added.headers["Location"] == f"{folder_page}?folder={folder_id}"
    inside = bob.follow(added)
    # Then the fetched title and description are shown as text, and no script or image runs
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;Evil" in inside.body
    assert "&lt;img src=x onerror=alert(&#39;d&#39;)&gt;" in inside.body
    assert "<script>alert" not in inside.body and "<img" not in inside.body
    assert "javascript:" not in inside.body.lower()
    link = bob.get("/api/groups/club/resources", query={"folder": folder_id}).body["items"][0]
    assert link["image_url"] is None  # a javascript: og:image is dropped

    # When @ann renames, moves and deletes from the edit page
    edit = f"/app/resources/{link['id']}/edit"
    assert ann.get(edit).status == 200
    renamed = ann.submit(edit, {"title": "Quiet page", "summary": "Fine now"})
    assert "“Quiet page” is saved." in text(ann.follow(renamed))
    moved = ann.submit(f"/app/resources/{link['id']}/move", {"parent": ""})
    assert moved.headers["Location"] == folder_page
    assert "Quiet page" in text(ann.follow(moved))
    refused = ann.submit(f"/app/resources/{folder_id}/move", {"parent": folder_id})
    assert refused.status == 400 and "cannot go inside itself" in text(refused)
    before = ann.get("/api/groups/club/resources").body["total"]
    bad = ann.submit(folder_page, {"type": "link", "url": "javascript:alert(1)"})
    assert bad.status == 400 and "http or https URL" in text(bad)
    assert ann.get("/api/groups/club/resources").body["total"] == before  # nothing written
    deleted = ann.submit(f"/app/resources/{folder_id}/delete", {})
    assert "is deleted." in text(ann.follow(deleted))

    # Then the activity page and the dashboard tell what happened, escaped
    activity = bob.get("/app/groups/club/activity")
    assert activity.status == 200
    lines = text(activity)
    assert "@ann deleted the resource “&lt;b&gt;Docs&lt;/b&gt;”" in lines
    assert "@ann moved the resource “Quiet page”" in lines
    assert "@bob joined the group" in lines
    dashboard = bob.get("/app/groups/club/")
    assert "Quiet page" in text(dashboard) and "All activity" in text(dashboard)
    assert "@ann renamed the resource “Quiet page”" in text(dashboard)


def test_the_discussions_and_resources_pages_come_a_page_at_a_time(
        pages: tuple[Browser, Browser], monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    from urllib.parse import unquote

    from affiche.domain import discussions, resources
    from affiche.domain.model import Actor

    _, bob = pages
    # Given 22 threads and 23 links (the flood limits are not what is tested here)
    monkeypatch.setattr(ports().limiter, "hit", lambda *_, **__: None)
    member = ports().repo.get(Actor, "bob")
    assert member is not None
    for n in range(22):
        discussions.start_discussion(ports(), member, "club", f"Thread {n:02}", "Hi")
    for n in range(23):
        resources.add_link(ports(), member, "club", f"https://nowhere.example/{n}",
                           title=f"Link {n:02}")
    # When @bob opens the discussions: the 20 most recently active, and a link to older ones
    first = bob.get("/app/groups/club/discussions")
    assert first.body.count('<li id="discussion-') == 20
    assert "Thread 21" in first.body and "Thread 02" in first.body
    assert "Thread 01" not in first.body
    older = re.search(r'<a rel="next" href="\?after=([^"]+)">Older discussions</a>', first.body)
    assert older is not None
    second = bob.get("/app/groups/club/discussions", query={"after": unquote(older.group(1))})
    assert second.body.count('<li id="discussion-') == 2
    assert "Thread 01" in second.body and "Thread 00" in second.body
    assert 'rel="prev"' in second.body
    # And the resources: 20 a page, in title order, with the page they are on
    links = bob.get("/app/groups/club/resources")
    assert "Page 1 of 2" in text(links) and "Link 19" in links.body
    assert "Link 20" not in links.body
    assert 'href="/app/groups/club/resources?page=2"' in links.body
    rest = bob.get("/app/groups/club/resources", query={"page": "2"})
    assert "Page 2 of 2" in text(rest) and "Link 22" in rest.body and "Link 19" not in rest.body
    assert bob.get("/app/groups/club/resources", query={"page": "two"}).status == 400


def test_dashboard_members_come_in_pages(pages: tuple[Browser, Browser], aws: Path) -> None:
    ann, _ = pages
    for n in range(21):
        extra_member(f"p{n:02}")
    first = ann.get("/app/groups/club/")
    assert "Members (23)" in text(first) and "Page 1 of 2" in text(first)
    assert 'href="/app/groups/club/?page=2"' in first.body
    second = ann.get("/app/groups/club/", query={"page": "2"})
    assert "Page 2 of 2" in text(second) and "<td>@p20</td>" in second.body
    assert "<td>@p20</td>" not in first.body and "<td>@ann</td>" in first.body


def test_the_activity_page_tells_who_changed_what_a_page_at_a_time(
        pages: tuple[Browser, Browser], aws: Path) -> None:
    import re
    from urllib.parse import unquote

    ann, bob = pages
    # Given an event, a post, a draft, a discussion and a resource, then 21 people joining
    assert ann.post("/api/groups/club/events", {
        "title": "Seed swap", "begins_on": "2031-03-14T14:00", "ends_on": "2031-03-14T17:00",
        "timezone": "Europe/Paris"}).status == 201
    assert ann.post("/api/groups/club/posts", {"title": "Minutes <i>", "body": "Hi",
                                               "visibility": "members"}).status == 201
    assert ann.post("/api/groups/club/posts", {"title": "Secret plan", "body": "Hi",
                                               "draft": True}).status == 201
    assert bob.post("/api/groups/club/discussions", {"title": "Picnic",
                                                     "text": "When?"}).status == 201
    assert bob.post("/api/groups/club/resources", {"type": "folder",
                                                   "title": "Docs"}).status == 201
    for n in range(21):
        extra_member(f"q{n:02}")
    # When @bob, a member, opens the activity page: the newest 20 lines, and a way to older ones
    newest = bob.get("/app/groups/club/activity")
    listed = newest.body.split('<ol class="activity">', 1)[1].split("</ol>", 1)[0]
    assert newest.status == 200 and listed.count("<li>") == 20
    assert "@q20 joined the group" in text(newest) and "@q00" not in text(newest)
    older = re.search(r'<a rel="next" href="([^"]+)">Older activity</a>', newest.body)
    assert older is not None
    # Then the older page tells the rest, with who did it: events, posts, discussions, resources
    path, query = unquote(older.group(1).replace("&amp;", "&")).split("?", 1)
    rest = bob.get(path, query=dict(p.split("=", 1) for p in query.split("&")))
    lines = text(rest)
    for said in ("@q00 joined the group", "@bob added “Docs” to the resources",
                 "@bob created the discussion “Picnic”", "@ann created the event “Seed swap”",
                 "@ann published the post “Minutes &lt;i&gt;”", "@bob joined the group"):
        assert said in lines, said
    # And each line says when, as a machine-readable time too
    assert listed.count("<time datetime=") == 20
    # And a draft is the moderators' business: not in a member's timeline, nor in the dashboard
    assert "Secret plan" not in lines + text(newest) + text(bob.get("/app/groups/club/"))


def test_join_requests_and_invitations_come_in_pages_too(pages: tuple[Browser, Browser],
                                                         aws: Path) -> None:
    ann, _ = pages
    ann.get("/app/groups/new")
    assert ann.submit("/app/groups/new", {"name": "quiet", "display_name": "Quiet",
                                          "visibility": "public", "openness": "moderated"}
                      ).status == 303
    # Given 21 people asking to join @quiet, and 21 invited to it
    for n in range(21):
        extra_member(f"r{n:02}", group="quiet")
    owner = ports().repo.get(Account, ann.get("/api/me").body["id"])
    assert owner is not None
    for n in range(21):
        accounts.signup(ports(), email=f"i{n:02}@example.org", password="correct horse",
                        username=f"i{n:02}", confirmed=True)
        membership.invite(ports(), owner, "quiet", f"i{n:02}")
    # Then the API gives the requests 20 at a time, oldest first
    one = ann.get("/api/groups/quiet/requests").body
    two = ann.get("/api/groups/quiet/requests", query={"page": "2"}).body
    assert (one["total"], one["pages"], len(one["requests"])) == (21, 2, 20)
    assert [r["member"] for r in two["requests"]] == ["r20"]
    assert ann.get("/api/groups/quiet/requests", query={"page": "x"}).status == 400
    # And so does the dashboard, each list with its own pages
    first = ann.get("/app/groups/quiet/")
    assert "Join requests (21)" in text(first) and "Waiting for an answer (21)" in text(first)
    assert "Approve r19" in first.body and "Approve r20" not in first.body
    assert 'href="/app/groups/quiet/?requests=2"' in first.body
    assert 'href="/app/groups/quiet/?invitations=2"' in first.body
    assert "<li>i19" in first.body and "<li>i20" not in first.body
    second = ann.get("/app/groups/quiet/", query={"requests": "2", "invitations": "2"})
    assert "Approve r20" in second.body and "Approve r19" not in second.body
    assert "<li>i20" in second.body and "<li>i19" not in second.body


# --- nothing of it is public ----------------------------------------------------------------------

def test_resources_activity_and_member_names_never_reach_the_bucket(aws: Path, cheap_crypto: None,
                                                                     remote: Remote) -> None:
    from affiche.aws import client
    from affiche.config import get_settings
    from tests.functions.stream_support import OutboxStream

    stream = OutboxStream()  # before the writes: it reads the stream from LATEST
    remote.html("https://canary.example/", "<title>CANARY-FETCHED-TITLE</title>")
    ann = person(aws / "mail", "ann@example.org", "ann")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club",
                                    "openness": "open"}).status == 201
    extra_member("zelda_canary")
    folder = ann.post("/api/groups/club/resources", {"type": "folder",
                                                     "title": "CANARY-FOLDER"}).body
    link = ann.post("/api/groups/club/resources", {
        "type": "link", "url": "https://canary.example/", "summary": "CANARY-SUMMARY",
        "parent": folder["id"]}).body
    assert link["title"] == "CANARY-FETCHED-TITLE"
    ann.call("PATCH", f"/api/resources/{link['id']}", {"parent": None})
    ann.call("DELETE", f"/api/resources/{folder['id']}")
    stream.drain()

    s3 = client("s3")
    bucket = get_settings().site_bucket
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    bodies = {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}
    # The group's public page and actor are there, with the member count only
    assert "2 members" in bodies["@club/index.html"].decode()
    assert json.loads(bodies["@club/index.json"])["memberCount"] == 2
    secrets = [b"CANARY", b"canary.example", folder["id"].encode(), link["id"].encode()]
    assert [(k, s) for k, body in bodies.items() for s in secrets if s in body] == []
    # A member's own profile is public; that they belong to @club is not said anywhere
    assert [k for k, body in bodies.items()
            if b"zelda_canary" in body and not k.startswith("@zelda_canary/")] == []


# --- hostile text in every field of the group tools -------------------------------------------

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> "q" & \'a\''
def active_markup(html: str) -> list[str]:
    """What a browser would run in `html`: script elements (but the theme's own, served from
    /theme/), event handler attributes, and javascript: links, read as a browser parses them."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "script" and not (values.get("src") or "").startswith("/theme/"):
                found.append(f"<{tag}>")
            found.extend(f"<{tag} {name}>" for name, value in attrs if name.startswith("on")
                         or (name in {"href", "src", "action", "formaction"}
                             and (value or "").strip().lower().startswith("javascript:")))

    reader = Reader()
    reader.feed(html)
    reader.close()
    return found


def test_hostile_text_in_posts_discussions_and_resources_is_text_on_every_page(
        pages: tuple[Browser, Browser], remote: Remote) -> None:
    ann, bob = pages
    remote.html("https://evil.example/", XSS_PAGE)
    # Given the same hostile text in every field of a post, a thread, a reply and resources
    secret = ann.post("/api/groups/club/posts", {"title": f"Minutes {HOSTILE}",
                                                 "body": f"Body {HOSTILE}",
                                                 "visibility": "members"}).body
    public = ann.post("/api/groups/club/posts", {"title": f"News {HOSTILE}",
                                                 "body": f"Body {HOSTILE}"}).body
    thread = bob.post("/api/groups/club/discussions", {"title": f"Thread {HOSTILE}",
                                                       "text": f"Start {HOSTILE}"}).body
    assert bob.post(f"/api/discussions/{thread['id']}/replies",
                    {"text": f"Reply {HOSTILE}"}).status == 201
    folder = bob.post("/api/groups/club/resources", {"type": "folder",
                                                     "title": f"Folder {HOSTILE}"}).body
    link = bob.post("/api/groups/club/resources", {
        "type": "link", "url": "https://evil.example/", "title": f"Link {HOSTILE}",
        "summary": f"Summary {HOSTILE}", "parent": folder["id"]}).body
    fetched = bob.post("/api/groups/club/resources", {"type": "link",
                                                      "url": "https://evil.example/"}).body
    assert all(made.get("id") or made.get("slug") for made in
               (secret, public, thread, folder, link, fetched))
    # When members open every page of the group tools where that text shows
    shown = {
        "dashboard": bob.get("/app/groups/club/"),
        "admin dashboard": ann.get("/app/groups/club/"),
        "activity": bob.get("/app/groups/club/activity"),
        "posts": bob.get("/app/groups/club/posts/"),
        "members-only post": bob.get(f"/app/posts/{secret['slug']}/"),
        "public post": bob.get(f"/app/posts/{public['slug']}/"),
        "post editor": ann.get(f"/app/posts/{secret['slug']}/edit"),
        "discussions": bob.get("/app/groups/club/discussions"),
        "thread": bob.get(f"/app/groups/club/discussions/{thread['id']}"),
        "resources": bob.get("/app/groups/club/resources"),
        "folder": bob.get("/app/groups/club/resources", query={"folder": folder["id"]}),
        "resource editor": bob.get(f"/app/resources/{link['id']}/edit"),
        "fetched link editor": bob.get(f"/app/resources/{fetched['id']}/edit"),
    }
    # Then it is shown, as text, and nothing in it runs
    for name, answer in shown.items():
        assert answer.status == 200, (name, answer.status)
        assert active_markup(answer.body) == [], name
    for name in ("dashboard", "activity", "posts", "discussions", "folder"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown[name].body, name
