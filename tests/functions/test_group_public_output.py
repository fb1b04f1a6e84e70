"""What a group's changes publish to the site bucket, through the real path: API handler ->
DynamoDB -> change stream -> outbox handler -> bucket, with the stream read by the local
runner's StreamPoller (driven synchronously here) exactly as it feeds Lambda batches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain import membership
from affiche.domain.model import Account
from affiche.local.pollers import StreamPoller
from affiche.web.ports import ports
from functions.api.handler import lambda_handler as api
from functions.outbox.handler import lambda_handler as outbox
from tests import imagebytes
from tests.functions.api_client import ApiClient, signed_up

HOST = "https://affiche.test"


def strict_outbox(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The real outbox handler; a record it reports failed fails the test instead of being
    retried quietly by the poller."""
    result: dict[str, Any] = outbox(event, context)
    assert not result.get("batchItemFailures"), result
    return result


@dataclass
class Site:
    poller: StreamPoller
    maildir: Path

    def publish(self) -> int:
        """Feed every pending stream batch to the outbox; the number of batches."""
        batches = 0
        while self.poller.poll_once():
            batches += 1
        return batches

    def keys(self) -> list[str]:
        s3 = client("s3")
        found: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=get_settings().site_bucket):
            found += [obj["Key"] for obj in page.get("Contents", [])]
        return found

    def object(self, key: str) -> dict[str, Any]:
        return dict(client("s3").get_object(Bucket=get_settings().site_bucket, Key=key))

    def body(self, key: str) -> bytes:
        data: bytes = self.object(key)["Body"].read()
        return data

    def html(self, key: str) -> str:
        return self.body(key).decode()

    def json(self, key: str) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.body(key))
        return doc

    def person(self, email: str, username: str) -> ApiClient:
        """A confirmed, logged-in account with profile @username."""
        person = ApiClient(api)
        signed_up(person, self.maildir, email, username)
        return person


@pytest.fixture
def site(aws: Path, cheap_crypto: None) -> Iterator[Site]:
    # Created before any write: the poller reads the stream from LATEST, as the runner does.
    poller = StreamPoller(get_settings().table_name, strict_outbox)
    yield Site(poller, aws / "mail")


def create_group(owner: ApiClient, name: str, **fields: Any) -> None:
    body = {"name": name, "display_name": name.title(), "openness": "open", **fields}
    answer = owner.post("/api/groups", body)
    assert answer.status == 201, answer.body


def join(person: ApiClient, group: str, message: str = "") -> None:
    """Join through the membership domain service, as its API route does."""
    context = ports()
    account = context.repo.get(Account, person.get("/api/me").body["id"])
    assert account is not None
    membership.request_to_join(context, account, group, message)


def in_home_listing(site: Site, name: str) -> bool:
    return f'href="/@{name}/"' in site.html("index.html")


# --- a public group's page follows its changes ------------------------------------------------

def test_public_group_page_reflects_rename_description_avatar_and_member_count(site: Site) -> None:
    # Given a public, open group
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    site.publish()
    assert "<h1>Club</h1>" in site.html("@club/index.html")
    assert in_home_listing(site, "club")

    # When its administrator renames it and writes a description (Markdown, with a script)
    answer = ann.call("PUT", "/api/groups/club", {
        "display_name": "Club des Lumières",
        "summary": "We **light** lanterns.\n\n<script>alert(1)</script>"})
    assert answer.status == 200, answer.body
    site.publish()
    # Then the page and the actor document say so, sanitised
    page, doc = site.html("@club/index.html"), site.json("@club/index.json")
    assert "<h1>Club des Lumières</h1>" in page
    assert "<strong>light</strong>" in page and "<script>alert" not in page
    assert doc["name"] == "Club des Lumières" and "<strong>light</strong>" in doc["summary"]
    assert "Club des Lumières" in site.html("index.html")

    # When an avatar is uploaded
    png = imagebytes.png(8, 8)
    answer = ann.post("/api/groups/club/avatar", png, headers={"content-type": "image/png"})
    assert answer.status == 200, answer.body
    key = answer.body["avatar"]
    assert re.fullmatch(r"media/club/[0-9a-f]{16}-8x8\.png", key)
    site.publish()
    # Then the image is in the bucket, long-cached, and both documents point at it
    stored = site.object(key)
    # (re-encoded from its pixels: the same picture, not the same bytes)
    published = stored["Body"].read()
    assert published.startswith(b"\x89PNG") and stored["ContentType"] == "image/png"
    assert stored.get("Metadata", {}) == {} and len(published) < 200
    assert "immutable" in stored["CacheControl"]
    page = site.html("@club/index.html")
    # (pages show its resized variants: tests/functions/test_image_variants.py)
    assert f'src="/{key.removesuffix(".png")}-8w.jpg"' in page and 'class="avatar"' in page
    assert f'<meta property="og:image" content="{HOST}/{key}">' in page  # OpenGraph: absolute
    assert site.json("@club/index.json")["icon"] == {"type": "Image", "url": f"{HOST}/{key}"}

    # When two people join
    for email, name in (("bob@example.org", "bob"), ("cy@example.org", "cy")):
        join(site.person(email, name), "club")
    site.publish()
    # Then the member count is public, the members are not
    assert "3 members" in site.html("@club/index.html")
    assert site.json("@club/index.json")["memberCount"] == 3


def test_removing_the_avatar_removes_it_from_the_page(site: Site) -> None:
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    key = ann.post("/api/groups/club/avatar", imagebytes.gif(4, 4),
                   headers={"content-type": "image/gif"}).body["avatar"]
    site.publish()
    assert key in site.html("@club/index.html")
    assert ann.call("DELETE", "/api/groups/club/avatar").status == 200
    site.publish()
    assert key not in site.html("@club/index.html")
    assert "icon" not in site.json("@club/index.json")


# --- unlisted groups ----------------------------------------------------------------------------

def test_unlisted_group_page_exists_but_is_not_listed_nor_indexed(site: Site) -> None:
    # Given a public group and an unlisted one
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "open_club")
    create_group(ann, "quiet", visibility="unlisted")
    site.publish()
    # Then the unlisted group's page is reachable by its link, asks not to be indexed...
    page = site.html("@quiet/index.html")
    assert "<h1>Quiet</h1>" in page
    assert '<meta name="robots" content="noindex">' in page
    assert site.json("@quiet/index.json")["discoverable"] is False
    # ...and only the public one is listed on the home page
    assert in_home_listing(site, "open_club")
    assert not in_home_listing(site, "quiet")
    assert "noindex" not in site.html("@open_club/index.html")


def test_turning_a_group_unlisted_removes_it_from_the_home_listing(site: Site) -> None:
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    site.publish()
    assert in_home_listing(site, "club")
    # When its administrator makes it unlisted
    assert ann.call("PUT", "/api/groups/club", {"visibility": "unlisted"}).status == 200
    site.publish()
    # Then the home page no longer lists it, and its page asks not to be indexed
    assert not in_home_listing(site, "club")
    assert '<meta name="robots" content="noindex">' in site.html("@club/index.html")
    # And making it public again lists it again
    assert ann.call("PUT", "/api/groups/club", {"visibility": "public"}).status == 200
    site.publish()
    assert in_home_listing(site, "club")


# --- nothing members-only is ever written -------------------------------------------------------

EVENT = {"begins_on": "2031-05-01T18:00", "ends_on": "2031-05-01T21:00",
         "timezone": "Europe/Paris"}


def test_nothing_members_only_is_ever_written_to_the_bucket(site: Site) -> None:
    # Given a group with an avatar, members, a pending request, and public and private content
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club", summary="Public description")
    create_group(ann, "strict", openness="moderated")
    ann.post("/api/groups/club/avatar", imagebytes.png(2, 2), headers={"content-type": "image/png"})
    bob = site.person("bob@example.org", "bob")
    join(bob, "club", message="Bob's note to the admins")
    join(bob, "strict", message="Please let me in, call 0612345678")
    public_event = ann.post("/api/groups/club/events", {"title": "Open picnic", **EVENT}).body
    private_event = ann.post("/api/groups/club/events", {"title": "Secret planning",
                                                         "visibility": "private", **EVENT}).body
    ann.post("/api/groups/club/posts", {"title": "Open letter", "body": "Hello world"})
    members_post = ann.post("/api/groups/club/posts", {"title": "Minutes of the members",
                                                       "body": "Only for us",
                                                       "visibility": "members"}).body
    assert ann.call("PUT", "/api/groups/club", {"display_name": "The Club"}).status == 200
    site.publish()

    keys = site.keys()
    bodies = {key: site.body(key) for key in keys}
    # The public things are there (so this test is not vacuous)...
    assert f"events/{public_event['uuid']}/index.html" in keys
    assert "@club/index.html" in keys and any(k.startswith("media/club/") for k in keys)
    assert any(b"Open letter" in body for body in bodies.values())
    # ...and nothing private: no member list, no private event or post, no membership data
    assert [k for k in keys if "members" in k.lower()] == []
    assert not any(private_event["uuid"] in k for k in keys)
    assert not any(members_post["slug"] in k for k in keys)
    secrets = [b"ann@example.org", b"bob@example.org", b"PRIVATE KEY", b"Secret planning",
               b"Minutes of the members", b"Only for us", b"Bob's note", b"0612345678",
               b"club|bob", b"strict|bob", b"not_approved", private_event["uuid"].encode()]
    leaks = [(key, secret) for key, body in bodies.items() for secret in secrets
             if secret in body]
    assert leaks == []
    # Who joined is members' business too: no membership activity in any public outbox
    for key in keys:
        if key.endswith("outbox.json"):
            kinds = {item["type"] for item in site.json(key)["orderedItems"]}
            assert kinds.isdisjoint({"Join", "Accept", "Reject", "Invite", "Leave", "Remove"}), key
