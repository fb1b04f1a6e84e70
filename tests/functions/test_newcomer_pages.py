"""What a newcomer gets through without help: signing up from a Join link lands back on it,
an invite-only instance says so before the form, an invitation proves the address, upload
fields state their limits and show their errors at the field, and every error is a page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from functions.api.handler import lambda_handler
from tests import imagebytes
from tests.functions.account_support import admin_client, pin_rate_limit_time
from tests.functions.api_client import ApiClient, last_mail_link
from tests.functions.test_pages import PASSWORD, Browser, create_group, signed_up_in_browser, text

HTML = {"accept": "text/html,application/xhtml+xml"}


def multipart_form(fields: dict[str, str], file: tuple[str, str, str, bytes]
                   ) -> tuple[bytes, dict[str, str]]:
    boundary = "newcomer-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in fields.items()]
    name, filename, kind, data = file
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode() + data
                 + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), {"content-type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> Browser:
    return signed_up_in_browser(aws / "mail", "ann@example.org", "ann")


@pytest.mark.parametrize(("action", "button", "done"), [
    ("join", "Join", "Welcome to @club!"),
    ("follow", "Follow", "You follow @club"),
])
def test_signing_up_from_a_join_or_follow_link_comes_back_to_it(
        ann: Browser, mail: Path, action: str, button: str, done: str) -> None:
    # Given an open group, and a visitor who follows its page's "Join" (or "Follow") link
    create_group(ann, "club", openness="open")
    target = f"/app/groups/club/{action}"
    visitor = Browser(lambda_handler)
    first = visitor.get(target)
    assert first.status == 303
    login = visitor.follow(first)
    # When they take the login page's sign-up link, sign up, and confirm from the mail
    signup_href = re.search(r'href="(/app/signup[^"]*)"', login.body).group(1)
    assert unquote(signup_href) == f"/app/signup?next={target}"
    form = visitor.get(unquote(signup_href))
    assert f'name="next" value="{target}"' in form.body
    sent = visitor.submit("/app/signup", {"email": "new@example.org", "password": PASSWORD,
                                          "username": "newbie", "next": target})
    assert sent.status == 303 and unquote(sent.headers["Location"]) == \
        f"/app/login?next={target}"
    link = last_mail_link(mail, "new@example.org", r"(/app/confirm\?\S+)")
    assert link.endswith(f"&next={target}")
    confirmed = visitor.get(link.replace("&amp;", "&"))
    assert confirmed.status == 200 and "confirmed" in text(confirmed)
    # Then logging in from the confirmation page lands on the Join (or Follow) page
    onward = re.search(r'href="(/app/login\?next=[^"]+)"', confirmed.body).group(1)
    visitor.get(onward)
    login_answer = visitor.submit("/app/login", {"email": "new@example.org",
                                                 "password": PASSWORD, "next": target})
    assert login_answer.headers["Location"] == target
    # And its button does what they came for
    page = visitor.get(target)
    assert page.status == 200 and button in text(page), text(page)
    answer = visitor.submit(target, {"profile": "newbie"})
    assert answer.status == 303, text(answer)
    assert done in text(visitor.follow(answer))


def test_next_never_leads_off_the_site(aws: Path, cheap_crypto: None, mail: Path) -> None:
    visitor = Browser(lambda_handler)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page = visitor.get("/app/signup", query={"next": evil})
        assert 'name="next" value="/app/"' in page.body
        sent = visitor.submit("/app/signup", {"email": "x@example.org", "password": PASSWORD,
                                              "next": evil})
        assert sent.headers["Location"] == "/app/login"
    assert "next=" not in last_mail_link(mail, "x@example.org", r"(/app/confirm\?\S+)")
    confirmed = visitor.get("/app/confirm", query={
        "token": last_mail_link(mail, "x@example.org"), "next": "//evil.example/"})
    assert "evil" not in confirmed.body


@pytest.fixture
def admin(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    pin_rate_limit_time(monkeypatch)
    return admin_client()


def test_an_invite_only_instance_says_so_before_any_form(admin: ApiClient, mail: Path) -> None:
    assert admin.call("PUT", "/api/mod/settings",
                      {"registration_mode": "invite_only"}).status == 200
    page = Browser(lambda_handler).get("/app/signup")
    assert page.status == 200 and "by invitation only" in text(page)
    assert "<form" not in page.body.split("<main", 1)[1].split("Log in", 1)[0] \
        .replace('<form class="inline"', "")
    assert 'name="password"' not in page.body
    broken = Browser(lambda_handler).get("/app/signup", query={"invitation": "forged"})
    assert "invalid or has expired" in text(broken) and 'name="password"' not in broken.body
    assert admin.call("PUT", "/api/mod/settings", {"registration_mode": "closed"}).status == 200
    closed = Browser(lambda_handler).get("/app/signup")
    assert "Registrations are closed" in text(closed) and 'name="password"' not in closed.body


def test_an_invited_person_does_not_confirm_their_address_again(admin: ApiClient,
                                                                 mail: Path) -> None:
    # Given an invite-only instance and an invitation mailed to Cy
    admin.call("PUT", "/api/mod/settings", {"registration_mode": "invite_only"})
    assert admin.post("/api/mod/invitations", {"email": "cy@example.org"}).status == 202
    token = last_mail_link(mail, "cy@example.org", r"invitation=([\w-]+)")
    # When Cy opens the invitation link and signs up
    cy = Browser(lambda_handler)
    form = cy.get("/app/signup", query={"invitation": token, "email": "cy@example.org"})
    assert 'name="password"' in form.body and "will not need to confirm" in text(form)
    answer = cy.submit("/app/signup", {"email": "cy@example.org", "password": PASSWORD,
                                       "username": "cy", "invitation": token})
    # Then Cy is logged in at once, and no confirmation mail was sent
    assert answer.status == 303 and answer.headers["Location"] == "/app/"
    assert "your account @cy is ready" in text(cy.follow(answer))
    assert cy.get("/app/account").status == 200
    subjects = [m["Subject"] for _, m in __import__("affiche.mail", fromlist=["x"])
                .read_maildir(str(mail)) if m["To"] == "cy@example.org"]
    assert not any("Confirm" in s for s in subjects), subjects


def test_upload_fields_state_their_limits_and_show_errors_at_the_field(ann: Browser) -> None:
    create_group(ann, "club")
    dashboard = ann.get("/app/groups/club/")
    assert "PNG, JPEG, WebP, GIF; at most 1 MiB and 24 megapixels." in dashboard.body
    assert "PNG, JPEG, WebP, GIF; at most 4 MiB and 24 megapixels." in dashboard.body
    assert 'action="/app/groups/club/images#images-heading"' in dashboard.body
    # When a text file is sent as the avatar
    body, headers = multipart_form({"slot": "avatar", "csrf": ann.csrf},
                                   ("image-avatar", "notes.txt", "text/plain", b"hello"))
    answer = ann.post("/app/groups/club/images", body, headers=headers)
    # Then the dashboard comes back with the message under that very field, which has focus
    assert answer.status == 415
    field = re.search(r'<input type="file" name="image-avatar"[^>]*>', answer.body).group(0)
    assert 'aria-invalid="true"' in field and "autofocus" in field
    assert 'id="images-image-avatar-error"' in answer.body
    error = re.search(r'id="images-image-avatar-error">([^<]+)<', answer.body).group(1)
    assert "not a PNG, JPEG, WebP or GIF" in error or "images must be sent as" in error
    # And a picture of 64 megapixels is refused before decoding, at the event form's field
    huge = imagebytes.gif(8000, 8000)
    body, headers = multipart_form({"slot": "banner", "csrf": ann.csrf},
                                   ("image-banner", "huge.gif", "image/gif", huge))
    refused = ann.post("/app/groups/club/images", body, headers=headers)
    assert refused.status == 400 and "64.0 megapixels" in refused.body


def test_errors_are_pages_for_people_and_json_for_clients(ann: Browser,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # An unknown members' page: a page in the layout, with the site's navigation
    missing = ann.get("/app/no-such-page")
    assert missing.status == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert "Page not found" in missing.body and 'href="/events/"' in missing.body
    assert 'class="site-header"' in missing.body
    # The same for the API: JSON, unless a browser asks
    api = ApiClient(lambda_handler).get("/api/no-such-thing")
    assert api.status == 404 and api.body["error"] == "not_found"
    assert ApiClient(lambda_handler).get("/api/no-such-thing", headers=HTML).status == 404
    # A failure nobody expected: a 500 page, not a crash (and JSON on the API)
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("functions.api.pages.home.home_context", broken)
    monkeypatch.setattr("functions.api.routes.accounts.caller", broken)
    failed = ann.get("/app/")
    assert failed.status == 500 and "Something went wrong on our side" in failed.body
    assert "disk is on fire" not in failed.body and 'href="/app/"' in failed.body
    me = ann.get("/api/me")
    assert me.status == 500 and me.body["error"] == "internal_error"


def test_a_bad_event_picture_is_shown_at_its_field_and_the_form_is_kept(ann: Browser) -> None:
    create_group(ann, "club")
    form = ann.get("/app/groups/club/events/new")
    assert "PNG, JPEG, WebP, GIF; at most 4 MiB and 24 megapixels." in form.body
    fields = {"title": "Seed swap", "begins_on": "2031-03-14T14:00",
              "ends_on": "2031-03-14T17:00", "timezone": "Europe/Paris", "csrf": ann.csrf}
    # When the picture is too large in pixels (refused from its header)
    body, headers = multipart_form(fields, ("picture", "huge.png", "image/png",
                                            imagebytes.gif(8000, 8000)))
    answer = ann.post("/app/groups/club/events/new", body, headers=headers)
    # Then the form comes back, filled in, with the message at the picture field
    assert answer.status == 400 and 'value="Seed swap"' in answer.body
    field = re.search(r'<input type="file" name="picture"[^>]*>', answer.body).group(0)
    assert 'aria-invalid="true"' in field and "autofocus" in field
    assert 'id="event-picture-error"' in answer.body
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_json_answers_carry_nosniff(aws: Path, cheap_crypto: None) -> None:
    answer = ApiClient(lambda_handler).get("/api/me")
    assert answer.status == 401 and answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_form_larger_than_any_upload_is_a_413_page_that_leads_back(ann: Browser) -> None:
    from affiche.config import get_settings
    from affiche.web.forms import MAX_MULTIPART

    create_group(ann, "club")
    form = "/app/groups/club/posts/new"
    ann.get(form)
    # When a photo straight from a camera, larger than any request a page takes, is sent
    body, headers = multipart_form({"title": "News", "body": "Hi", "csrf": ann.csrf},
                                   ("picture", "camera.jpg", "image/jpeg",
                                    b"\xff" * (MAX_MULTIPART + 1)))
    answer = ann.post(form, body, headers={
        **headers, "referer": f"{get_settings().public_url}{form}"})
    # Then a page in the site's layout says it is too large, what to do, and leads back
    assert answer.status == 413 and answer.headers["Content-Type"].startswith("text/html")
    assert "That is too large" in answer.body and "choose a smaller file" in answer.body
    assert "at most 4 MiB" in answer.body and 'class="site-header"' in answer.body
    assert f'href="{form}"' in answer.body
    # And a refused form from elsewhere offers no link off the site
    elsewhere = ann.post(form, body, headers={**headers, "referer": "https://evil.example/x"})
    assert elsewhere.status == 413 and "evil.example" not in elsewhere.body


def test_a_refusal_and_a_flood_are_pages_in_the_layout_too(ann: Browser, aws: Path) -> None:
    from affiche.domain.comments import RATE_ACTION
    from affiche.web.ports import ports

    create_group(ann, "club", openness="open")
    bob = signed_up_in_browser(aws / "mail", "bob@example.org", "bob")
    # A page someone may not open: 403, in the layout, with where to go instead
    denied = bob.get("/app/groups/club/posts/new")
    assert denied.status == 403 and "You may not do this" in denied.body
    assert 'class="site-header"' in denied.body and 'href="/events/"' in denied.body
    # Given @bob, a member, has used up his messages for now
    bob.get("/app/groups/club/join")
    assert bob.submit("/app/groups/club/join", {"profile": "bob"}).status == 303
    for _ in range(20):
        ports().limiter.hit(RATE_ACTION, "bob")
    # When he starts a discussion: the form again, in the layout, saying when to try again
    bob.get("/app/groups/club/discussions")
    flooded = bob.submit("/app/groups/club/discussions", {"title": "Hi", "text": "Hello"})
    assert flooded.status == 429 and int(flooded.headers["Retry-After"]) > 0
    assert "too many attempts" in text(flooded) and 'class="site-header"' in flooded.body
    assert 'value="Hi"' in flooded.body
