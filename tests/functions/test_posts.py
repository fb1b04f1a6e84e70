"""Group posts through the API, end to end to the site bucket: write, read, PATCH only what is
sent, drafts published and unpublished, delete (410, the slug never reused), tags, pictures,
members-only posts kept out of the bucket, bad input answered 4xx, and user text escaped in
pages and feeds (API handler -> DynamoDB -> change stream -> outbox -> bucket)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from affiche.domain.model import Activity, Post
from affiche.web.ports import ports
from tests import imagebytes
from tests.functions.api_client import Answer, ApiClient
from tests.functions.test_group_public_output import Site, create_group, join
from tests.functions.test_group_public_output import site as site  # the fixture

XSS = '<script>alert("x")</script>'


def made(client: ApiClient, **fields: Any) -> dict[str, Any]:
    answer = client.post("/api/groups/club/posts", {"title": "News", "body": "Hello", **fields})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


def in_bucket(site: Site) -> list[str]:
    return site.keys()


def activities_of(slug: str) -> list[str]:
    found = [a for a in ports().repo.all_of_kind(Activity.kind) if a.object_key == slug]
    return [a.type for a in sorted(found, key=lambda a: a.published)]


def refused(answer: Answer, status: int, words: str) -> None:
    assert (answer.status, words in str(answer.body)) == (status, True), (answer.status,
                                                                         answer.body)


@pytest.fixture
def club(site: Site) -> tuple[ApiClient, ApiClient, ApiClient]:
    """ann administers the public group @club, bob is a plain member, eve is in no group."""
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    bob = site.person("bob@example.org", "bob")
    join(bob, "club")
    return ann, bob, site.person("eve@example.org", "eve")


def test_a_public_post_is_a_page_an_entry_of_the_feed_and_on_the_group_page(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, _, eve = club
    # When ann publishes a post with tags
    post = made(ann, title="Spring news", body="We *grow*.", tags=["#Garden", "seeds"])
    assert (post["tags"], post["draft"], post["visibility"]) == (["garden", "seeds"], False,
                                                                 "public")
    site.publish()
    # Then it has its static page, is listed on the group page and in its Atom feed
    page = site.html(f"p/{post['slug']}/index.html")
    assert "Spring news" in page and "<em>grow</em>" in page and "#garden" in page
    assert f"/p/{post['slug']}/" in site.html("@club/index.html")
    assert "Spring news" in site.html("@club/feed.atom")
    assert site.json(f"p/{post['slug']}/index.json")["type"] == "Article"
    # and anyone reads it through the API
    assert eve.get(f"/api/posts/{post['slug']}").body["title"] == "Spring news"
    assert activities_of(post["slug"]) == ["Create"]


def test_patch_changes_only_the_fields_sent(site: Site,
                                            club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, _, _ = club
    post = made(ann, title="Draft title", body="Body stays", tags=["keep"])
    changed = ann.call("PATCH", f"/api/posts/{post['slug']}", {"title": "Final title"})
    assert changed.status == 200, changed.body
    assert (changed.body["title"], changed.body["body"], changed.body["tags"]) == (
        "Final title", "Body stays", ["keep"])
    assert changed.body["slug"] == post["slug"]  # the address does not move
    cleared = ann.call("PATCH", f"/api/posts/{post['slug']}", {"tags": None})
    assert cleared.body["tags"] == []
    site.publish()
    assert "Final title" in site.html(f"p/{post['slug']}/index.html")
    assert activities_of(post["slug"]) == ["Create", "Update", "Update"]


def test_a_draft_is_published_later_and_unpublished(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, bob, eve = club
    # Given a draft: no page, no activity, read by moderators only
    post = made(ann, title="Coming soon", draft=True)
    site.publish()
    assert not any(post["slug"] in k for k in in_bucket(site))
    assert activities_of(post["slug"]) == []
    assert ann.get(f"/api/posts/{post['slug']}").status == 200
    assert bob.get(f"/api/posts/{post['slug']}").status == 404
    assert eve.get(f"/api/posts/{post['slug']}").status == 404
    # When it is published
    assert ann.call("PATCH", f"/api/posts/{post['slug']}", {"draft": False}).status == 200
    site.publish()
    assert "Coming soon" in site.html(f"p/{post['slug']}/index.html")
    # And unpublished: its page goes away (a 404, not a 410: it may come back)
    assert ann.call("PATCH", f"/api/posts/{post['slug']}", {"draft": True}).status == 200
    site.publish()
    assert not any(post["slug"] in k for k in in_bucket(site))
    assert activities_of(post["slug"]) == ["Create", "Delete"]


def test_a_deleted_post_answers_410_and_its_slug_is_never_reused(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, _, eve = club
    post = made(ann, title="Old news")
    site.publish()
    assert ann.call("DELETE", f"/api/posts/{post['slug']}").status == 200
    site.publish()
    keys = [k for k in in_bucket(site) if post["slug"] in k]
    assert keys == [f"p/{post['slug']}/gone.json"]
    assert site.json(keys[0])["type"] == "Tombstone"
    assert "Old news" not in site.html("@club/index.html")
    assert "Old news" not in site.html("@club/feed.atom")
    assert eve.get(f"/api/posts/{post['slug']}").status == 404
    assert ann.call("DELETE", f"/api/posts/{post['slug']}").status == 404
    again = made(ann, title="Old news")
    assert again["slug"] != post["slug"]


def test_unlisted_post_has_its_page_but_is_not_listed(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, _, _ = club
    post = made(ann, title="Quiet note", visibility="unlisted")
    site.publish()
    assert "Quiet note" in site.html(f"p/{post['slug']}/index.html")
    assert 'name="robots" content="noindex' in site.html(f"p/{post['slug']}/index.html")
    assert "Quiet note" not in site.html("@club/index.html")
    assert "Quiet note" not in site.html("@club/feed.atom")


def test_members_only_post_never_reaches_the_bucket(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, bob, eve = club
    canary = "CANARY-7f3a9 members only"
    # Given a members-only post, edited, and a public post made members-only later
    secret = made(ann, title=f"Minutes {canary}", body=f"Body {canary}", tags=["canary7f3a9"],
                  visibility="members")
    ann.call("PATCH", f"/api/posts/{secret['slug']}", {"body": f"Edited {canary}"})
    turned = made(ann, title="Was public")
    site.publish()
    ann.call("PATCH", f"/api/posts/{turned['slug']}",
             {"visibility": "members", "body": f"Now {canary}"})
    site.publish()
    # Then the members read both, the others are told they do not exist
    assert bob.get(f"/api/posts/{secret['slug']}").body["body"] == f"Edited {canary}"
    assert eve.get(f"/api/posts/{secret['slug']}").status == 404
    assert eve.get(f"/api/posts/{turned['slug']}").status == 404
    # And nothing of them is in the bucket: not their slugs, not their text
    keys = site.keys()
    assert not any(secret["slug"] in k or turned["slug"] in k for k in keys)
    leaks = [k for k in keys if b"CANARY-7f3a9" in site.body(k) or b"canary7f3a9" in site.body(k)]
    assert leaks == []


def test_xss_in_title_body_and_tags_is_escaped_in_page_and_feed(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, _, _ = club
    post = made(ann, title=f"Title {XSS}", body=f"Body {XSS} <img src=x onerror=alert(1)>")
    refused(ann.post("/api/groups/club/posts", {"title": "T", "body": "B", "tags": [XSS]}),
            400, "tags")
    site.publish()
    for key in (f"p/{post['slug']}/index.html", "@club/index.html", "@club/feed.atom"):
        body = site.html(key)
        assert "<script>alert" not in body and "onerror" not in body, key
    assert "&lt;script&gt;" in site.html(f"p/{post['slug']}/index.html")


def test_a_picture_goes_through_the_image_checks(
        site: Site, club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, bob, _ = club
    post = made(ann)
    path = f"/api/posts/{post['slug']}/picture"
    shown = ann.post(path, imagebytes.png(20, 10), headers={"content-type": "image/png"})
    assert shown.status == 200, shown.body
    assert shown.body["picture"].startswith("media/club/")
    refused(ann.post(path, b"GIF89a-not-really", headers={"content-type": "image/gif"}), 400,
            "image")
    assert bob.post(path, imagebytes.png(2, 2),
                    headers={"content-type": "image/png"}).status == 403
    site.publish()
    variant = shown.body["picture"].removesuffix(".png") + "-20w.jpg"  # its resized copy
    assert f'src="/{variant}"' in site.html(f"p/{post['slug']}/index.html")
    assert ann.call("DELETE", path).body["picture"] is None


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"title": "", "body": "x"}, 400, "title must not be empty"),
    ({"title": "x" * 201, "body": "x"}, 400, "title must be at most 200"),
    ({"title": "T", "body": "  "}, 400, "body must not be empty"),
    ({"title": "T", "body": "B", "visibility": "secret"}, 400, "visibility must be one of"),
    ({"title": "T", "body": "B", "tags": [f"t{i}" for i in range(11)]}, 400, "at most 10 tags"),
    ({"title": "T", "body": "B", "tags": "one"}, 422, "tags"),
    ({"title": "T"}, 422, "body"),
])
def test_bad_input_is_refused_with_what_is_wrong(
        club: tuple[ApiClient, ApiClient, ApiClient], body: dict[str, Any], status: int,
        words: str) -> None:
    ann, _, _ = club
    refused(ann.post("/api/groups/club/posts", body), status, words)
    assert ports().repo.all_of_kind(Post.kind) == []  # nothing half-written


def test_patch_refuses_bad_values_and_other_roles(
        club: tuple[ApiClient, ApiClient, ApiClient]) -> None:
    ann, bob, eve = club
    post = made(ann)
    path = f"/api/posts/{post['slug']}"
    refused(ann.call("PATCH", path, {"title": ""}), 400, "title must not be empty")
    refused(ann.call("PATCH", path, {"visibility": "friends"}), 400, "visibility")
    refused(ann.call("PATCH", path, {"colour": "red"}), 422, "colour")
    refused(bob.call("PATCH", path, {"title": "Mine"}), 403, "")
    refused(eve.call("DELETE", path), 403, "")
    refused(ann.call("PATCH", "/api/posts/no-such-post", {"title": "x"}), 404, "no post")
    assert ann.get(path).body["title"] == "News"


def test_the_openapi_document_describes_the_post_routes(aws: Any) -> None:
    client = ApiClient(__import__("functions.api.handler", fromlist=["x"]).lambda_handler)
    doc = json.loads(json.dumps(client.get("/api/openapi.json").body))
    assert {"get", "patch", "delete"} <= set(doc["paths"]["/api/posts/{slug}"])
    assert "post" in doc["paths"]["/api/groups/{name}/posts"]
    assert "post" in doc["paths"]["/api/posts/{slug}/picture"]
