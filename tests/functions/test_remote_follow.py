"""Following across servers from the API and the pages: a person here follows a remote group by
its handle (WebFinger first, then a pending Follow), and a person elsewhere follows one of our
groups from the remote-follow page (sent to their own server's subscribe template).
Remote servers are faked with httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from affiche.activitypub import fetch
from affiche.domain.model import Follow
from affiche.store.repository import DynamoRepository
from tests.conftest import load_fixture
from tests.functions.test_pages import Browser, create_group, signed_up_in_browser, text

GARDEN = "https://remote.example/c/garden"
MASTO_TEMPLATE = "https://masto.example/authorize_interaction?uri={uri}"


def _group_doc() -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": GARDEN, "type": "Group",
            "preferredUsername": "garden", "name": "Garden club", "inbox": f"{GARDEN}/inbox",
            "endpoints": {"sharedInbox": "https://remote.example/inbox"}}


def _jrd(subject: str, href: str | None, template: str | None = None) -> dict[str, Any]:
    links: list[dict[str, Any]] = []
    if href:
        links.append({"rel": "self", "type": "application/activity+json", "href": href})
    if template:
        links.append({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": template})
    return {"subject": subject, "links": links}


def fake_fediverse(request: httpx.Request) -> httpx.Response:
    url = str(request.url)
    if url == GARDEN:
        return httpx.Response(200, json=_group_doc())
    if request.url.path == "/.well-known/webfinger":
        resource = request.url.params.get("resource", "")
        if resource == "acct:garden@remote.example":
            return httpx.Response(200, json=_jrd(resource, GARDEN))
        if resource == "acct:alice@masto.example":
            # Mastodon's real JRD shape, with its subscribe template
            jrd = load_fixture("webfinger/mastodon.json")
            links = [link for link in jrd.get("links", [])
                     if link.get("rel") != "http://ostatus.org/schema/1.0/subscribe"]
            links.append({"rel": "http://ostatus.org/schema/1.0/subscribe",
                          "template": MASTO_TEMPLATE})
            return httpx.Response(200, json={**jrd, "subject": resource, "links": links})
    return httpx.Response(404)


@pytest.fixture
def me(aws: Path, cheap_crypto: None) -> Browser:
    """ann, signed up and logged in through the pages."""
    return signed_up_in_browser(aws / "mail", "ann@example.org", "ann")


@pytest.fixture
def other(aws: Path, me: Browser) -> Browser:
    """bob, another person of this server."""
    return signed_up_in_browser(aws / "mail", "bob@example.org", "bob")


@pytest.fixture
def fediverse() -> Iterator[None]:
    fetch.set_transport_factory(lambda: httpx.MockTransport(fake_fediverse))
    fetch.set_resolver(lambda host, port: ["93.184.215.14"])
    yield
    fetch.set_transport_factory(None)
    fetch.set_resolver(None)


def test_follow_a_remote_group_by_handle_through_the_api(me: Browser, fediverse: None) -> None:
    # When ann follows @garden@remote.example
    answer = me.post("/api/me/following", {"handle": "@garden@remote.example"})
    # Then the follow is stored under the group's actor id, pending its Accept
    assert answer.status == 201, answer.body
    assert answer.body["group"] == GARDEN and answer.body["state"] == "pending"
    assert answer.body["handle"] == "@garden@remote.example"
    stored = DynamoRepository().get(Follow, f"{GARDEN}|ann")
    assert stored is not None and stored.state == "pending"
    listed = me.get("/api/me/following").body["following"]
    assert [(f["group"], f["state"]) for f in listed] == [(GARDEN, "pending")]
    # A second follow is a conflict, not a second key
    assert me.post("/api/me/following", {"handle": "garden@remote.example"}).status == 409


@pytest.mark.parametrize(("handle", "status"), [
    ("garden", 400), ("@garden@remote.example\n", 400), ("@nobody@remote.example", 404),
    ("@ann@localhost:8000", 404),
])
def test_bad_handles_get_clear_answers(me: Browser, fediverse: None, handle: str,
                                       status: int) -> None:
    answer = me.post("/api/me/following", {"handle": handle})
    assert answer.status == status, answer.body
    assert "message" in answer.body
    assert DynamoRepository().following_of("ann") == []


def test_a_local_group_by_handle_is_a_local_follow(me: Browser, fediverse: None) -> None:
    create_group(me, "club")
    answer = me.post("/api/me/following", {"handle": "@club@affiche.test"})
    assert answer.status == 201 and answer.body["state"] == "accepted"


def test_following_page_follows_by_handle(me: Browser, fediverse: None) -> None:
    page = me.get("/app/following")
    assert page.status == 200 and "Follow a group by its address" in text(page)
    answer = me.submit("/app/following", {"handle": "@garden@remote.example"})
    shown = me.follow(answer)
    assert "Follow request sent" in text(shown) and "Garden club" in text(shown)
    assert "Waiting for the group to accept" in text(shown)
    # and an error comes back next to the form
    refused = me.submit("/app/following", {"handle": "not a handle"})
    assert refused.status == 400 and "@name@server" in text(refused)
    # Unfollowing
    gone = me.submit("/app/following/unfollow", {"group": GARDEN, "profile": "ann"})
    assert "no longer follow" in text(me.follow(gone))
    assert DynamoRepository().following_of("ann") == []


def test_a_visitor_from_another_server_follows_in_two_clicks(me: Browser, aws: Path,
                                                              fediverse: None) -> None:
    # Given our group @club
    create_group(me, "club")
    visitor = Browser(me.handler)
    # When a visitor opens the remote-follow page (the subscribe template our WebFinger gives)
    page = visitor.get("/app/follow", query={"uri": "acct:club@affiche.test"})
    assert page.status == 200 and "Follow Club" in text(page)
    assert "Follow from this server" not in text(page)  # not logged in here
    # and gives their Mastodon address
    answer = visitor.submit("/app/follow", {"uri": "acct:club@affiche.test",
                                            "handle": "@alice@masto.example"})
    # Then they are sent to their own server's subscribe page with our group's address
    assert answer.status == 303
    location = answer.headers["Location"]
    assert location.startswith("https://masto.example/authorize_interaction?uri=")
    assert parse_qs(urlsplit(location).query)["uri"] == ["acct:club@affiche.test"]


def test_remote_follow_page_errors(me: Browser, fediverse: None) -> None:
    create_group(me, "club")
    visitor = Browser(me.handler)
    assert visitor.get("/app/follow", query={"uri": "acct:nothing@affiche.test"}).status == 404
    assert visitor.get("/app/follow").status == 404
    visitor.get("/app/follow", query={"uri": "@club@affiche.test"})
    unknown = visitor.submit("/app/follow", {"uri": "@club@affiche.test",
                                             "handle": "@who@nowhere.example"})
    assert unknown.status == 404 and "could not be found" in text(unknown)


def test_a_local_person_follows_directly_from_the_remote_follow_page(
        me: Browser, other: Browser, fediverse: None) -> None:
    create_group(me, "club")
    page = other.get("/app/follow", query={"uri": "https://affiche.test/@club/"})
    assert "Follow from this server" in text(page)
    answer = other.submit("/app/groups/club/follow", {"action": "follow"})
    assert answer.status == 303
    assert DynamoRepository().get(Follow, "club|bob") is not None


def test_a_remote_site_sends_one_of_ours_to_follow_a_remote_group(
        me: Browser, fediverse: None) -> None:
    # Another site's subscribe link brings ann here with the remote group's address
    page = me.get("/app/follow", query={"uri": GARDEN})
    assert page.status == 200 and GARDEN in text(page)
    mastodon_style = me.get("/app/follow", query={"uri": "https://masto.example/@alice"})
    assert mastodon_style.status == 200
    answer = me.submit("/app/following", {"handle": GARDEN})
    assert answer.status == 303
    stored = DynamoRepository().get(Follow, f"{GARDEN}|ann")
    assert stored is not None and stored.state == "pending"


def test_unfollow_through_the_api(me: Browser, fediverse: None) -> None:
    assert me.post("/api/me/following", {"handle": "@garden@remote.example"}).status == 201
    answer = me.call("DELETE", "/api/me/following", {"group": GARDEN})
    assert answer.status == 200 and answer.body["following"] is False
    assert me.call("DELETE", "/api/me/following", {"group": GARDEN}).status == 404
