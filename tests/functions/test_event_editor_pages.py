"""The organiser's editor in the members' pages, as a browser without JavaScript uses it:
GET the form, POST it with its CSRF token, follow the 303. Private events and drafts are read
here by those who may, and are a 404 for everyone else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from affiche.domain.model import Activity, Event
from affiche.web.ports import ports
from tests import imagebytes
from tests.functions.test_pages import Browser, signed_up_in_browser, text

FIELDS: dict[str, str] = {
    "title": "Repair café", "begins_on": "2031-03-14T14:00", "ends_on": "2031-03-14T18:00",
    "timezone": "Europe/Paris", "description": "Bring *broken* things.",
    "address.name": "Maison des associations", "address.locality": "Lyon",
    "address.latitude": "45.75", "address.longitude": "4.85", "category": "COMMUNITY",
    "tags": "repair, reuse", "contacts": "@ann", "capacity": "25", "visibility": "public",
    "status": "confirmed", "join_mode": "free", "save": "publish",
}




@pytest.fixture
def eve(aws: Path, ann: Browser) -> Browser:
    return signed_up_in_browser(aws / "mail", "eve@example.org", "eve")


def create(browser: Browser, **changes: str) -> str:
    browser.get("/app/groups/club/events/new")
    answer = browser.submit("/app/groups/club/events/new", {**FIELDS, **changes})
    assert answer.status == 303, text(answer)
    location: str = answer.headers["Location"]
    return location.split("/")[3]


def stored(uuid: str) -> Event:
    event = ports().repo.get(Event, uuid)
    assert event is not None
    return event


def activities_of(uuid: str) -> list[str]:
    found = [a for a in ports().repo.all_of_kind(Activity.kind) if a.object_key == uuid]
    return [a.type for a in sorted(found, key=lambda a: a.published)]


def test_create_from_the_dashboard_with_every_field(ann: Browser) -> None:
    # Given the dashboard links to the editor
    dashboard = ann.get("/app/groups/club/")
    assert 'href="/app/groups/club/events/new"' in dashboard.body
    form = ann.get("/app/groups/club/events/new")
    assert "<option selected>UTC</option>" in form.body
    assert "<option>Europe/Paris</option>" in form.body
    # When ann fills it in and publishes
    ann.get("/app/groups/club/events/new")
    answer = ann.submit("/app/groups/club/events/new", {**FIELDS, "accessibility": "wheelchair"})
    page = ann.follow(answer)
    # Then she lands on the event, which says so
    assert "“Repair café” is published." in text(page)
    assert "See on OpenStreetMap" in page.body and "Community" in text(page)
    uuid = answer.headers["Location"].split("/")[3]
    event = stored(uuid)
    assert (event.capacity, event.category, event.accessibility, event.contacts, event.tags) == (
        25, "COMMUNITY", ["wheelchair"], ["ann"], ["repair", "reuse"])
    assert event.address == {"name": "Maison des associations", "locality": "Lyon",
                             "latitude": 45.75, "longitude": 4.85}
    assert activities_of(uuid) == ["Create"]
    # And the dashboard lists it with an edit link
    assert f'href="/app/events/{uuid}/edit"' in ann.get("/app/groups/club/").body


def test_edit_form_is_prefilled_and_saves(ann: Browser) -> None:
    uuid = create(ann)
    form = ann.get(f"/app/events/{uuid}/edit")
    assert 'value="Repair café"' in form.body and 'value="2031-03-14T14:00"' in form.body
    assert 'value="45.75"' in form.body and "<option selected>Europe/Paris</option>" in form.body
    saved = ann.submit(f"/app/events/{uuid}/edit", {**FIELDS, "title": "Repair café #2"})
    assert "“Repair café #2” is saved." in text(ann.follow(saved))
    assert stored(uuid).address is not None and activities_of(uuid) == ["Create", "Update"]


@pytest.mark.parametrize(("change", "words"), [
    ({"ends_on": "2031-03-14T13:00"}, "ends_on must be after begins_on"),
    ({"timezone": "Europe/Atlantis"}, "IANA time zone"),
    ({"begins_on": "0001-01-01T00:00"}, "between the years"),
    ({"begins_on": "9999-12-31T23:59", "ends_on": "9999-12-31T23:59"}, "between the years"),
    ({"capacity": "many"}, "capacity must be a whole number"),
    ({"address.latitude": "123"}, "between -90 and 90"),
    ({"join_mode": "external"}, "external_url is required"),
    ({"category": "NOPE"}, "category must be one of"),
    ({"contacts": "ghost"}, "no local profile @ghost"),
    ({"title": ""}, "title must not be empty"),
])
def test_errors_come_back_next_to_the_form_with_the_values(ann: Browser, change: dict[str, str],
                                                           words: str) -> None:
    ann.get("/app/groups/club/events/new")
    answer = ann.submit("/app/groups/club/events/new", {**FIELDS, **change,
                                                        "accessibility": "subtitles"})
    assert answer.status in {400, 409} and 'id="event-error"' in answer.body, answer.status
    assert words in text(answer)
    assert 'value="Maison des associations"' in answer.body  # what was typed is kept
    assert 'value="subtitles" checked' in answer.body
    assert not [e for e in ports().repo.all_of_kind(Event.kind)]


def test_draft_then_publish_later(ann: Browser, bob: Browser, eve: Browser) -> None:
    # Given a draft saved from the editor
    uuid = create(ann, save="draft", title="Secret plan")
    assert stored(uuid).draft and activities_of(uuid) == []
    page = ann.get(f"/app/events/{uuid}/")
    assert "Draft: only the group's moderators see it" in text(page)
    assert "Secret plan" in text(ann.get("/app/groups/club/"))
    assert "Secret plan" in text(ann.get("/app/"))
    # Then a plain member and an outsider get a 404, and see it nowhere
    for other in (bob, eve):
        assert other.get(f"/app/events/{uuid}/").status == 404
        assert other.get(f"/app/events/{uuid}/edit").status == 404
    assert "Secret plan" not in bob.get("/app/groups/club/").body
    assert "Secret plan" not in bob.get("/app/").body
    # When ann publishes it from the event page
    published = ann.submit(f"/app/events/{uuid}/publish", {})
    assert "is published" in text(ann.follow(published))
    assert activities_of(uuid) == ["Create"] and not stored(uuid).draft


def test_private_event_is_read_by_members_only(ann: Browser, bob: Browser, eve: Browser) -> None:
    uuid = create(ann, visibility="private", title="Members dinner")
    page = bob.get(f"/app/events/{uuid}/")
    assert page.status == 200 and "Private event" in text(page)
    assert "Members dinner" in text(bob.get("/app/")) and "/edit" not in page.body
    assert "Members dinner" in text(bob.get("/app/groups/club/"))
    assert eve.get(f"/app/events/{uuid}/").status == 404
    assert eve.get(f"/app/events/{uuid}/edit").status == 404
    # And a member who may not edit is refused the editor and its actions
    assert bob.get(f"/app/events/{uuid}/edit").status == 403
    bob.get(f"/app/events/{uuid}/")
    for action in ("edit", "cancel", "duplicate", "delete", "publish"):
        assert bob.submit(f"/app/events/{uuid}/{action}", FIELDS).status == 403, action
    assert activities_of(uuid) == ["Create"]


def test_duplicate_cancel_and_delete(ann: Browser) -> None:
    uuid = create(ann)
    ann.get(f"/app/events/{uuid}/")
    copied = ann.submit(f"/app/events/{uuid}/duplicate", {})
    copy = copied.headers["Location"].split("/")[3]
    assert copy != uuid and stored(copy).draft and "this is the copy" in text(ann.follow(copied))
    cancelled = ann.submit(f"/app/events/{uuid}/cancel", {})
    shown = ann.follow(cancelled)
    assert "This event is cancelled." in text(shown) and "Participate" not in shown.body
    again = ann.submit(f"/app/events/{uuid}/cancel", {})
    assert again.status == 409 and 'id="actions-error"' in again.body
    deleted = ann.submit(f"/app/events/{uuid}/delete", {})
    assert deleted.headers["Location"] == "/app/groups/club/"
    assert stored(uuid).deleted and activities_of(uuid)[-1] == "Delete"
    assert ann.get(f"/app/events/{uuid}/").status == 404


def test_forms_need_the_session_token(ann: Browser) -> None:
    uuid = create(ann)
    for path in (f"/app/events/{uuid}/delete", "/app/groups/club/events/new",
                 f"/app/events/{uuid}/edit"):
        assert ann.submit(path, FIELDS, csrf="forged").status == 403, path
    assert not stored(uuid).deleted


def test_anonymous_visitors_are_sent_to_log_in(aws: Path) -> None:
    from functions.api.handler import lambda_handler

    visitor = Browser(lambda_handler)
    answer = visitor.get("/app/groups/club/events/new")
    assert answer.status == 303 and answer.headers["Location"].startswith("/app/login")


def multipart(fields: dict[str, str], image: bytes, csrf: str) -> tuple[bytes, dict[str, Any]]:
    boundary = "affiche-editor-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in {**fields, "csrf": csrf}.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="picture"; '
                 f'filename="p.png"\r\nContent-Type: image/png\r\n\r\n'.encode() + image
                 + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), {"content-type": f"multipart/form-data; boundary={boundary}"}


def test_picture_upload_from_the_editor(ann: Browser) -> None:
    ann.get("/app/groups/club/events/new")
    body, headers = multipart(FIELDS, imagebytes.png(20, 10), ann.csrf)
    answer = ann.post("/app/groups/club/events/new", body, headers=headers)
    assert answer.status == 303, text(answer)
    uuid = answer.headers["Location"].split("/")[3]
    picture = stored(uuid).picture
    assert picture and picture.startswith("media/club/")
    # (shown through its resized variants: tests/functions/test_image_variants.py)
    assert f'src="/{picture.removesuffix(".png")}-20w.jpg"' in ann.follow(answer).body
    ann.get(f"/app/events/{uuid}/edit")
    bad, headers = multipart(FIELDS, b"GIF89a-not-really", ann.csrf)
    refused = ann.post(f"/app/events/{uuid}/edit", bad, headers=headers)
    assert refused.status == 400 and 'id="event-error"' in refused.body


def test_members_only_post_is_read_by_members(ann: Browser, bob: Browser, eve: Browser) -> None:
    # Given a members-only post (the static site never gets it)
    made = ann.post("/api/groups/club/posts", {"title": "Minutes", "body": "We *agreed*.",
                                               "visibility": "members"})
    assert made.status == 201, made.body
    slug = made.body["slug"]
    # Then the members read it, and find it from the dashboard
    assert f'href="/app/posts/{slug}/"' in bob.get("/app/groups/club/").body
    shown = bob.get(f"/app/posts/{slug}/")
    assert shown.status == 200 and "<em>agreed</em>" in shown.body
    assert "Members-only post" in text(shown)
    # And anyone else is told it does not exist
    assert eve.get(f"/app/posts/{slug}/").status == 404
    assert ann.get("/app/posts/no-such-post/").status == 404
