"""The post editor in the members' pages, as a browser without JavaScript uses it: reached
from the group dashboard, GET the form, POST it with its CSRF token, follow the 303; drafts,
publish, unpublish, delete; errors next to the form with what was typed; text escaped."""

from __future__ import annotations

import re

import pytest

from affiche.domain.model import Activity, Post
from affiche.web.ports import ports
from tests import imagebytes
from tests.functions.test_event_editor_pages import multipart
from tests.functions.test_pages import Browser, text

FIELDS = {"title": "Garden news", "body": "We planted *tomatoes*.", "tags": "garden, food",
          "visibility": "public", "save": "publish"}
XSS = '<script>alert("x")</script>'




def write(browser: Browser, **changes: str) -> str:
    browser.get("/app/groups/club/posts/new")
    answer = browser.submit("/app/groups/club/posts/new", {**FIELDS, **changes})
    assert answer.status == 303, text(answer)
    location: str = answer.headers["Location"]
    return location.split("/")[3]


def stored(slug: str) -> Post:
    post = ports().repo.get(Post, slug)
    assert post is not None
    return post


def activities_of(slug: str) -> list[str]:
    found = [a for a in ports().repo.all_of_kind(Activity.kind) if a.object_key == slug]
    return [a.type for a in sorted(found, key=lambda a: a.published)]


def test_write_a_post_from_the_dashboard(ann: Browser) -> None:
    # Given the dashboard links to the editor
    dashboard = ann.get("/app/groups/club/").body
    assert 'href="/app/groups/club/posts/new"' in dashboard
    # When ann writes a post
    slug = write(ann)
    # Then it is published with its tags, and shown with its editing actions
    post = stored(slug)
    assert (post.title, post.tags, post.draft) == ("Garden news", ["food", "garden"], False)
    shown = ann.get(f"/app/posts/{slug}/").body
    assert "<em>tomatoes</em>" in shown and f'action="/app/posts/{slug}/delete"' in shown
    assert f'href="/p/{slug}/"' in shown
    assert slug in ann.get("/app/groups/club/posts/").body
    assert activities_of(slug) == ["Create"]


def test_edit_form_is_prefilled_and_saves(ann: Browser) -> None:
    slug = write(ann)
    form = ann.get(f"/app/posts/{slug}/edit").body
    assert 'value="Garden news"' in form and "We planted *tomatoes*." in form
    assert 'value="food, garden"' in form
    saved = ann.submit(f"/app/posts/{slug}/edit", {**FIELDS, "title": "Better news",
                                                   "tags": ""})
    assert saved.status == 303
    assert (stored(slug).title, stored(slug).tags) == ("Better news", [])
    assert activities_of(slug) == ["Create", "Update"]


def test_draft_publish_unpublish_and_delete(ann: Browser, bob: Browser) -> None:
    slug = write(ann, save="draft")
    assert stored(slug).draft and activities_of(slug) == []
    # A draft is the moderators' business: members are told it does not exist
    assert bob.get(f"/app/posts/{slug}/").status == 404
    assert "Draft" in text(ann.get(f"/app/posts/{slug}/"))
    ann.get(f"/app/posts/{slug}/")
    assert ann.submit(f"/app/posts/{slug}/publish", {}).status == 303
    assert not stored(slug).draft and bob.get(f"/app/posts/{slug}/").status == 200
    ann.get(f"/app/posts/{slug}/")
    assert ann.submit(f"/app/posts/{slug}/unpublish", {}).status == 303
    assert stored(slug).draft
    ann.get(f"/app/posts/{slug}/")
    deleted = ann.submit(f"/app/posts/{slug}/delete", {})
    assert deleted.status == 303 and deleted.headers["Location"] == "/app/groups/club/posts/"
    assert stored(slug).deleted and ann.get(f"/app/posts/{slug}/").status == 404
    assert activities_of(slug) == ["Create", "Delete"]


def test_members_cannot_write(bob: Browser) -> None:
    assert 'href="/app/groups/club/posts/new"' not in bob.get("/app/groups/club/").body
    assert bob.get("/app/groups/club/posts/new").status == 403


@pytest.mark.parametrize(("change", "words"), [
    ({"title": ""}, "title must not be empty"),
    ({"body": ""}, "body must not be empty"),
    ({"visibility": "secret"}, "visibility must be one of"),
    ({"tags": " ".join(f"t{i}" for i in range(11))}, "at most 10 tags"),
    ({"tags": "bad/tag"}, "tags"),
])
def test_errors_come_back_next_to_the_form_with_the_values(ann: Browser, change: dict[str, str],
                                                           words: str) -> None:
    ann.get("/app/groups/club/posts/new")
    answer = ann.submit("/app/groups/club/posts/new", {**FIELDS, **change})
    assert answer.status == 400 and words in text(answer), text(answer)
    assert "We planted *tomatoes*." in answer.body or change.get("body") == ""
    assert ports().repo.all_of_kind(Post.kind) == []


def test_user_text_is_escaped(ann: Browser) -> None:
    slug = write(ann, title=f"T {XSS}", body=f"B {XSS} <img src=x onerror=alert(1)>")
    for path in (f"/app/posts/{slug}/", f"/app/posts/{slug}/edit", "/app/groups/club/posts/"):
        body = ann.get(path).body
        assert "<script>alert" not in body and "<img src=x" not in body, path


def test_picture_from_the_editor(ann: Browser) -> None:
    ann.get("/app/groups/club/posts/new")
    body, headers = multipart(FIELDS, imagebytes.png(20, 10), ann.csrf)
    answer = ann.post("/app/groups/club/posts/new", body, headers=headers)
    assert answer.status == 303, text(answer)
    slug = answer.headers["Location"].split("/")[3]
    picture = stored(slug).picture
    assert picture and picture.startswith("media/club/")
    assert f'src="/{picture.removesuffix(".png")}-20w.jpg"' in ann.follow(answer).body
    ann.get(f"/app/posts/{slug}/edit")
    bad, headers = multipart(FIELDS, b"GIF89a-not-really", ann.csrf)
    refused = ann.post(f"/app/posts/{slug}/edit", bad, headers=headers)
    assert refused.status == 400 and 'id="post-error"' in refused.body


def test_forms_need_the_session_token(ann: Browser) -> None:
    slug = write(ann)
    answer = ann.post(f"/app/posts/{slug}/delete", b"", headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert answer.status == 403 and not stored(slug).deleted


def test_the_picture_field_states_its_limit_and_shows_its_error_there(ann: Browser) -> None:
    # Given the post editor states what the picture may be, as the event editor does
    form = ann.get("/app/groups/club/posts/new")
    assert "PNG, JPEG, WebP, GIF; at most 4 MiB and 24 megapixels." in form.body
    # When the picture is not an image at all
    body, headers = multipart(FIELDS, b"GIF89a-not-really", ann.csrf)
    refused = ann.post("/app/groups/club/posts/new", body, headers=headers)
    # Then the form comes back, filled in, with the message under the picture field, which
    # has the focus, and nothing is written
    assert refused.status == 400 and 'value="Garden news"' in refused.body
    field = re.search(r'<input type="file" name="picture"[^>]*>', refused.body)
    assert field and 'aria-invalid="true"' in field.group(0) and "autofocus" in field.group(0)
    assert 'id="post-picture-error"' in refused.body
    assert ports().repo.all_of_kind(Post.kind) == []


def test_members_read_every_post_a_page_at_a_time(ann: Browser, bob: Browser) -> None:
    from affiche.domain import posts
    from affiche.domain.model import Account

    # Given 22 members-only posts, a public one and a draft, written by @ann
    owner = ports().repo.get(Account, ann.get("/api/me").body["id"])
    assert owner is not None
    for n in range(22):
        posts.create_post(ports(), owner, "club", title=f"Minutes {n:02}", body="Hi",
                          visibility="members")
    posts.create_post(ports(), owner, "club", title="Open day", body="Come")
    posts.create_post(ports(), owner, "club", title="Secret plan", body="Soon", draft=True)
    # When @bob, a member, opens the dashboard: the five latest members-only posts, and a link
    dashboard = bob.get("/app/groups/club/")
    assert "Minutes 21" in dashboard.body and "Minutes 17" in dashboard.body
    assert "Minutes 16" not in dashboard.body
    assert 'href="/app/groups/club/posts/"' in dashboard.body
    # Then the group's posts come 20 at a time, newest first, without drafts or editing links
    first = bob.get("/app/groups/club/posts/")
    assert first.status == 200 and "Open day" in first.body and "Minutes 03" in first.body
    assert "Minutes 02" not in first.body and "Secret plan" not in first.body
    assert "/edit" not in first.body and "/posts/new" not in first.body
    assert 'href="/app/groups/club/posts/?page=2"' in first.body
    second = bob.get("/app/groups/club/posts/", query={"page": "2"})
    assert "Minutes 00" in second.body and "Minutes 02" in second.body
    assert "Secret plan" not in second.body
    # And @ann, who writes them, also sees the draft with its editing link
    mine = ann.get("/app/groups/club/posts/")
    assert "Secret plan" in mine.body and "/edit" in mine.body
    assert bob.get("/app/groups/club/posts/", query={"page": "x"}).status == 400


@pytest.mark.parametrize(("visibility", "audience"), [("public", "public"),
                                                       ("unlisted", "unlisted"),
                                                       ("members", "members")])
def test_the_editor_sets_each_visibility(ann: Browser, bob: Browser, visibility: str,
                                         audience: str) -> None:
    # When ann writes a post with that visibility from the form
    slug = write(ann, visibility=visibility)
    # Then it is stored so, its activity goes to that audience only, and a member reads it
    assert stored(slug).visibility == visibility
    [created] = [a for a in ports().repo.all_of_kind(Activity.kind) if a.object_key == slug]
    assert created.audience == audience
    shown = bob.get(f"/app/posts/{slug}/")
    assert shown.status == 200 and "<em>tomatoes</em>" in shown.body
    # And the edit form shows it chosen
    form = ann.get(f"/app/posts/{slug}/edit").body
    assert re.search(rf'<option value="{visibility}"[^>]*selected', form), form
