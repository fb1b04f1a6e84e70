"""Members' pages through the API handler, as a browser without JavaScript uses them: GET a
form, POST it urlencoded with its CSRF token, follow the 303, GET the result."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from affiche.config import reset_settings
from affiche.domain import accounts, instance
from affiche.domain.model import Actor
from affiche.web.forms import Form, parse_form
from affiche.web.ports import ports
from functions.api.handler import lambda_handler
from tests import imagebytes
from tests.apigw import http_event
from tests.functions.api_client import Answer, ApiClient, last_mail_link

PASSWORD = "correct horse battery"
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Browser(ApiClient):
    """An ApiClient that fills in forms: it remembers the last CSRF token a page showed."""

    csrf: str = ""

    def call(self, method: str, path: str, body: object = None, **kw: object) -> Answer:
        answer = super().call(method, path, body, **kw)  # type: ignore[arg-type]
        if isinstance(answer.body, str):
            found = re.search(r'name="csrf" value="([^"]+)"', answer.body)
            self.csrf = found.group(1) if found else self.csrf
        return answer

    def submit(self, path: str, fields: dict[str, str], *, csrf: str | None = None) -> Answer:
        data = {**fields, "csrf": self.csrf if csrf is None else csrf}
        return self.post(path, urlencode(data), headers=FORM)

    def follow(self, answer: Answer) -> Answer:
        assert answer.status == 303, (answer.status, answer.body)
        return self.get(answer.headers["Location"])


def text(answer: Answer) -> str:
    """The page without tags, for assertions on what a person reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(answer.body)))


def signed_up_in_browser(mail: Path, email: str, username: str) -> Browser:
    """Sign up, confirm and log in, all through the pages."""
    browser = Browser(lambda_handler)
    browser.get("/app/signup")
    answer = browser.submit("/app/signup", {"email": email, "password": PASSWORD,
                                            "username": username})
    assert answer.status == 303 and answer.headers["Location"] == "/app/login"
    assert "confirmation link" in text(browser.follow(answer))
    confirmed = browser.get("/app/confirm", query={"token": last_mail_link(mail, email)})
    assert confirmed.status == 200 and "confirmed" in text(confirmed)
    browser.get("/app/login")
    login = browser.submit("/app/login", {"email": email, "password": PASSWORD, "next": "/app/"})
    assert login.status == 303 and login.headers["Location"] == "/app/"
    return browser


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> Browser:
    return signed_up_in_browser(aws / "mail", "ann@example.org", "ann")


@pytest.fixture
def bob(aws: Path, ann: Browser) -> Browser:
    return signed_up_in_browser(aws / "mail", "bob@example.org", "bob")


def create_group(browser: Browser, name: str = "club", openness: str = "moderated") -> Answer:
    browser.get("/app/groups/new")
    return browser.submit("/app/groups/new", {"name": name, "display_name": name.title(),
                                              "summary": "We meet.", "visibility": "public",
                                              "openness": openness})


# --- logging in -------------------------------------------------------------------------------
def test_login_form_sets_the_session_cookie_and_redirects_303(aws: Path,
                                                              cheap_crypto: None) -> None:
    # Given a confirmed account and a browser showing the login form
    signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    browser = Browser(lambda_handler)
    form = browser.get("/app/login", query={"next": "/app/account"})
    assert form.status == 200 and form.headers["Cache-Control"] == "private, no-store"
    # (the tests' public URL is https: both cookies carry the __Host- prefix, Secure and Path=/)
    csrf_cookie = next(c for c in form.cookies if c.startswith("__Host-affiche_csrf="))
    assert "HttpOnly" in csrf_cookie and "SameSite=Strict" in csrf_cookie
    assert "Secure" in csrf_cookie and "Path=/;" in csrf_cookie + ";"
    assert 'name="next" value="/app/account"' in form.body
    # When the form is posted
    answer = browser.submit("/app/login", {"email": "ann@example.org", "password": PASSWORD,
                                           "next": "/app/account"})
    # Then the session cookie is set and the browser is sent on with 303
    assert answer.status == 303 and answer.headers["Location"] == "/app/account"
    session = next(c for c in answer.cookies if c.startswith("__Host-affiche_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" in session
    assert "Domain" not in session and "Path=/;" in session + ";"
    assert "ann@example.org" in text(browser.get("/app/account"))


def test_wrong_password_shows_the_form_again_with_the_message(ann: Browser) -> None:
    browser = Browser(lambda_handler)
    browser.get("/app/login")
    answer = browser.submit("/app/login", {"email": "ann@example.org", "password": "nope nope"})
    assert answer.status == 401
    assert "email or password is incorrect" in text(answer)
    assert 'value="ann@example.org"' in answer.body and "nope nope" not in answer.body
    assert not any("affiche_session=" in c for c in answer.cookies)


def test_logout_closes_the_session(ann: Browser) -> None:
    ann.get("/app/")
    answer = ann.submit("/app/logout", {})
    assert answer.status == 303 and answer.headers["Location"] == "/app/login"
    assert "You are logged out" in text(ann.follow(answer))
    assert ann.get("/app/").status == 303


# --- CSRF -------------------------------------------------------------------------------------
def test_logged_in_forms_without_the_session_token_are_refused(ann: Browser) -> None:
    for token in ("", "forged-token"):
        answer = ann.submit("/app/groups/new", {"name": "club", "display_name": "Club"},
                            csrf=token)
        assert answer.status == 403, token
        assert "did not come from this site" in text(answer)
        assert answer.headers["Content-Type"].startswith("text/html")
    assert ports().repo.get(Actor, "club") is None


def test_logged_out_forms_need_the_double_submit_cookie(aws: Path, cheap_crypto: None) -> None:
    # Given a signup form shown to one browser
    browser = Browser(lambda_handler)
    browser.get("/app/signup")
    fields = {"email": "eve@example.org", "password": PASSWORD}
    # When another site posts it: no affiche_csrf cookie, or a token that does not match
    cross_site = Browser(lambda_handler).submit("/app/signup", fields, csrf=browser.csrf)
    mismatched = browser.submit("/app/signup", fields, csrf="another-token")
    # Then both are refused and no account exists
    assert cross_site.status == mismatched.status == 403
    assert ports().repo.account_by_email("eve@example.org") is None
    assert browser.submit("/app/signup", fields).status == 303


def test_login_form_is_protected_too(ann: Browser) -> None:
    answer = Browser(lambda_handler).submit(
        "/app/login", {"email": "ann@example.org", "password": PASSWORD}, csrf="x")
    assert answer.status == 403 and not answer.cookies


def test_signup_honours_the_instance_invitation_link(aws: Path, cheap_crypto: None) -> None:
    # Given an invite-only instance whose administrator invites zoe
    context = ports()
    admin = accounts.signup(context, email="admin@example.org", password=PASSWORD,
                            username="admin", confirmed=True, role="admin")
    instance.set_registration_mode(context, admin, "invite_only")
    instance.invite_to_register(context, admin, "zoe@example.org")
    token = last_mail_link(aws / "mail", "zoe@example.org", r"invitation=([\w-]+)")
    # When zoe opens the link from the mail
    browser = Browser(lambda_handler)
    form = browser.get("/app/signup", query={"invitation": token, "email": "zoe@example.org"})
    assert f'name="invitation" value="{token}"' in form.body
    assert 'value="zoe@example.org"' in form.body
    # Then signing up with the form works, and without the invitation it does not
    fields = {"email": "zoe@example.org", "password": PASSWORD, "invitation": token}
    refused = browser.submit("/app/signup", {**fields, "invitation": ""})
    assert refused.status == 403 and "by invitation only" in text(refused)
    assert browser.submit("/app/signup", fields).status == 303
    assert ports().repo.account_by_email("zoe@example.org") is not None


# --- redirects --------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_log_in_and_come_back(ann: Browser) -> None:
    anonymous = Browser(lambda_handler)
    answer = anonymous.get("/app/groups/club/", query={"tab": "1"})
    assert answer.status == 303
    assert answer.headers["Location"] == "/app/login?next=%2Fapp%2Fgroups%2Fclub%2F%3Ftab%3D1"
    assert anonymous.get("/app/").headers["Location"] == "/app/login?next=%2Fapp%2F"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "evil.example",
])
def test_next_never_leaves_the_site(ann: Browser, target: str) -> None:
    browser = Browser(lambda_handler)
    form = browser.get("/app/login", query={"next": target})
    assert 'name="next" value="/app/"' in form.body
    answer = browser.submit("/app/login", {"email": "ann@example.org", "password": PASSWORD,
                                           "next": target})
    assert answer.status == 303 and answer.headers["Location"] == "/app/"
    # Already logged in: the login page redirects at once, and not away either
    assert browser.get("/app/login", query={"next": target}).headers["Location"] == "/app/"


# --- no-JS flows: POST -> 303 -> GET ----------------------------------------------------------
def test_create_group_then_the_dashboard_shows_it_with_a_one_time_message(ann: Browser) -> None:
    answer = create_group(ann)
    assert answer.status == 303 and answer.headers["Location"] == "/app/groups/club/"
    dashboard = ann.follow(answer)
    assert dashboard.status == 200
    assert "The group @club is created." in text(dashboard)
    assert "Members (1)" in text(dashboard) and "Creator" in text(dashboard)
    again = ann.get("/app/groups/club/")
    assert "is created" not in text(again)  # the flash message is shown once


def test_form_errors_are_shown_next_to_the_form_with_the_values(ann: Browser) -> None:
    create_group(ann)
    answer = create_group(ann)
    assert answer.status == 409
    assert "@club is already taken" in text(answer)
    assert 'id="group-error"' in answer.body and 'value="club"' in answer.body
    bad = Browser(lambda_handler)
    bad.get("/app/signup")
    short = bad.submit("/app/signup", {"email": "x@example.org", "password": "short"})
    assert short.status == 400 and "password must be" in text(short)
    assert 'aria-invalid="true"' in short.body and 'value="x@example.org"' in short.body


def test_invite_then_accept_from_my_space(ann: Browser, bob: Browser, aws: Path) -> None:
    # Given ann's group, When she invites bob from the dashboard
    create_group(ann)
    ann.get("/app/groups/club/")
    invited = ann.submit("/app/groups/club/invite", {"handle": "@bob", "profile": "ann"})
    assert "@bob is invited." in text(ann.follow(invited))
    assert "Waiting for an answer" in text(ann.get("/app/groups/club/"))
    # Then bob finds the invitation in his space and accepts it
    space = bob.get("/app/")
    assert "Accept the invitation to @club" in text(space)
    accepted = bob.submit("/app/invitations/club/accept", {"profile": "bob"})
    assert accepted.headers["Location"] == "/app/groups/club/"
    dashboard = text(bob.follow(accepted))
    # And both see both members
    assert "Welcome to @club!" in dashboard and "Members (2)" in dashboard
    assert "@ann" in dashboard and "@bob" in dashboard
    assert "Members (2)" in text(ann.get("/app/groups/club/"))


def test_invite_errors_come_back_on_the_dashboard(ann: Browser) -> None:
    create_group(ann)
    ann.get("/app/groups/club/")
    answer = ann.submit("/app/groups/club/invite", {"handle": "nobody", "profile": "ann"})
    assert answer.status == 404 and "no profile @nobody" in text(answer)
    assert 'id="invite-error"' in answer.body and "Members (1)" in text(answer)


def test_dashboard_visibility_follows_the_roles(ann: Browser, bob: Browser, aws: Path) -> None:
    # Given an open group that bob joins from its join page
    create_group(ann, openness="open")
    page = bob.get("/app/groups/club/join")
    assert "you become a member at once" in text(page)
    joined = bob.submit("/app/groups/club/join", {"profile": "bob"})
    assert joined.headers["Location"] == "/app/groups/club/"
    # Then the plain member sees the members but none of the administrators' forms
    member_view = bob.follow(joined).body
    assert "@ann" in member_view and "Members (2)" in member_view
    for admin_only in ("/invite", "/settings", "/images", "/role", "/remove", "Join requests"):
        assert admin_only not in member_view, admin_only
    # And the administrator sees all of them
    admin_view = ann.get("/app/groups/club/").body
    for admin_form in ("/invite", "/settings", "/images", "/role", "/remove", "Join requests"):
        assert admin_form in admin_view, admin_form
    # And someone outside the group sees nothing
    carol = signed_up_in_browser(aws / "mail", "carol@example.org", "carol")
    outsider = carol.get("/app/groups/club/")
    assert outsider.status == 403 and "Members" not in outsider.body
    # And a plain member's hand-made admin form is refused by the domain
    bob.get("/app/groups/club/")
    forged = bob.submit("/app/groups/club/remove", {"member": "ann", "profile": "bob"})
    assert forged.status == 403


def test_join_request_is_approved_from_the_dashboard(ann: Browser, bob: Browser) -> None:
    create_group(ann, openness="moderated")
    bob.get("/app/groups/club/join")
    asked = bob.submit("/app/groups/club/join", {"message": "Hello <b>there</b>",
                                                 "profile": "bob"})
    assert "sent to its administrators" in text(bob.follow(asked))
    dashboard = ann.get("/app/groups/club/")
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in dashboard.body  # escaped, never markup
    approved = ann.submit("/app/groups/club/approve", {"member": "bob", "profile": "ann"})
    assert "@bob is now a member." in text(ann.follow(approved))
    role = ann.submit("/app/groups/club/role", {"member": "bob", "role": "moderator",
                                                "profile": "ann"})
    assert "@bob is now moderator." in text(ann.follow(role))


def test_refusals_come_back_next_to_the_form_that_caused_them(ann: Browser,
                                                                bob: Browser) -> None:
    create_group(ann, openness="invite_only")
    bob.get("/app/groups/club/join")
    cases = [
        (bob, "/app/groups/club/join", {"profile": "bob"}, 403, "join"),
        (bob, "/app/invitations/club/decline", {"profile": "bob"}, 404, "invitations"),
        (bob, "/app/groups/club/follow", {"action": "unfollow", "profile": "bob"}, 404, "follow"),
        (bob, "/app/profiles", {"action": "delete", "name": "bob"}, 409, "delete-bob"),
        (ann, "/app/groups/club/leave", {"profile": "ann"}, 403, "leave"),
        # (an upload error shows at its file field)
        (ann, "/app/groups/club/images", {"slot": "avatar", "profile": "ann"}, 400,
         "images-image-avatar"),
        (ann, "/app/account", {"action": "email", "email": "bob@example.org",
                               "current_password": PASSWORD}, 409, "email"),
    ]
    for person, path, fields, status, form in cases:
        answer = person.submit(path, fields)
        assert (answer.status, f'id="{form}-error"' in answer.body) == (status, True), path
    assert ann.get("/app/groups/nope/").status == 404


def test_invite_only_group_explains_how_to_join(ann: Browser, bob: Browser) -> None:
    create_group(ann, openness="invite_only")
    assert "by invitation only" in text(bob.get("/app/groups/club/join"))


def test_follow_and_unfollow(ann: Browser, bob: Browser) -> None:
    create_group(ann)
    page = bob.get("/app/groups/club/follow")
    assert "Follow as @bob" in text(page)
    followed = bob.submit("/app/groups/club/follow", {"action": "follow", "profile": "bob"})
    assert "Unfollow" in text(bob.follow(followed))
    unfollowed = bob.submit("/app/groups/club/follow", {"action": "unfollow", "profile": "bob"})
    assert "Follow as @bob" in text(bob.follow(unfollowed))


def test_settings_and_image_upload(ann: Browser) -> None:
    create_group(ann)
    ann.get("/app/groups/club/")
    saved = ann.submit("/app/groups/club/settings", {
        "display_name": "The Club", "summary": "*Hi*", "visibility": "public",
        "openness": "open", "profile": "ann"})
    assert "The settings are saved." in text(ann.follow(saved))
    refused = ann.submit("/app/groups/club/settings", {
        "display_name": "", "summary": "", "visibility": "secret", "openness": "open",
        "profile": "ann"})
    assert refused.status == 400 and 'id="settings-error"' in refused.body
    boundary = "affiche-test-boundary"
    image = imagebytes.png(8, 8)
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{ann.csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="slot"\r\n\r\navatar\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode(), image, f"\r\n--{boundary}--\r\n".encode()])
    uploaded = ann.post("/app/groups/club/images", body,
                        headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert "The avatar is updated." in text(ann.follow(uploaded))
    group = ports().repo.get(Actor, "club")
    assert group is not None and group.display_name == "The Club"
    assert group.avatar and group.avatar.endswith(".png")


def test_account_and_profiles_pages(ann: Browser) -> None:
    ann.get("/app/account")
    wrong = ann.submit("/app/account", {"action": "password", "current_password": "nope nope",
                                        "new_password": "another password"})
    assert wrong.status == 400 and "the password is incorrect" in text(wrong)
    assert 'id="password-error"' in wrong.body
    changed = ann.submit("/app/account", {"action": "password", "current_password": PASSWORD,
                                          "new_password": "another password"})
    assert "Your password is changed" in text(ann.follow(changed))
    ann.get("/app/profiles")
    created = ann.submit("/app/profiles", {"action": "create", "name": "ann_club",
                                           "display_name": "Ann at the club"})
    listing = text(ann.follow(created))
    assert "The profile @ann_club is created." in listing and "Ann at the club" in listing
    default = ann.submit("/app/profiles", {"action": "default", "name": "ann_club"})
    assert "@ann_club is now your default profile." in text(ann.follow(default))


def test_password_reset_pages(ann: Browser, aws: Path) -> None:
    browser = Browser(lambda_handler)
    browser.get("/app/reset")
    sent = browser.submit("/app/reset", {"email": "ann@example.org"})
    assert "If an account uses ann@example.org" in text(browser.follow(sent))
    token = last_mail_link(aws / "mail", "ann@example.org")
    form = browser.get("/app/reset/complete", query={"token": token})
    assert f'name="token" value="{token}"' in form.body
    done = browser.submit("/app/reset/complete", {"token": token, "password": "brand new pass"})
    assert done.headers["Location"] == "/app/login"
    again = browser.submit("/app/reset/complete", {"token": token, "password": "brand new pass"})
    assert again.status == 404 and "invalid, expired or already used" in text(again)


def test_the_participate_page_the_event_page_links_to_exists(ann: Browser) -> None:
    # The flows themselves: tests/functions/test_participation_pages.py
    create_group(ann)
    event = ann.post("/api/groups/club/events", {
        "title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T15:00",
        "timezone": "Europe/Paris"})
    page = ann.get(f"/app/events/{event.body['uuid']}/participate")
    assert page.status == 200 and "Take part in “Picnic”" in text(page)
    assert ann.get(f"/app/events/{uuid.uuid4()}/participate").status == 404


def test_pages_stay_out_of_the_openapi_document(aws: Path) -> None:
    schema = ApiClient(lambda_handler).get("/api/openapi.json").body
    assert schema["paths"] and not [p for p in schema["paths"] if not p.startswith("/api/")]


# --- the dev mail page ------------------------------------------------------------------------
def test_dev_mail_page_is_off_by_default(ann: Browser) -> None:
    assert ann.get("/dev/mail").status == 404


def test_dev_mail_page_lists_messages_with_clickable_links(
        ann: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFICHE_DEV_PAGES", "1")
    reset_settings()
    page = ann.get("/dev/mail")
    assert page.status == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert "Confirm your email address" in text(page) and "ann@example.org" in text(page)
    link = re.search(r'<a href="(https://affiche\.test/app/confirm\?token=[\w-]+)">', page.body)
    assert link, page.body
    key = re.search(r'href="/dev/mail/([^"]+)"', page.body)
    assert key
    message = ann.get(f"/dev/mail/{key.group(1)}")
    assert message.status == 200 and link.group(1) in message.body
    assert ann.get("/dev/mail/..%2F..%2Fetc%2Fpasswd").status == 404


# --- form parsing -----------------------------------------------------------------------------
def test_multipart_keeps_binary_files_and_text_fields() -> None:
    data = bytes(range(256)) * 3 + b"\r\n--x\r\n"
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nété\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="empty"; filename=""\r\n'
            f"\r\n\r\n--{boundary}--\r\n").encode()
    form = parse_form(http_event("POST", "/app/x", body=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}"}))
    assert form.get("note") == "été"
    upload = form.file("file")
    assert upload is not None and upload.data == data and upload.filename == "x.bin"
    assert form.file("empty") is None


def test_urlencoded_keeps_repeated_and_blank_fields() -> None:
    form = parse_form(http_event("POST", "/app/x", body="a=1&a=2&b=&c=%C3%A9+x", headers=FORM))
    assert form.getlist("a") == ["1", "2"] and form.get("b") == "" and form.get("c") == "é x"
    assert form.optional("b") is None and isinstance(form, Form)
    assert "csrf" not in parse_form(http_event("POST", "/", body="csrf=1", headers=FORM)).values()


def test_mail_bodies_are_escaped_before_links_are_made() -> None:
    from functions.api.pages.dev import linkify

    html = linkify('<b>x</b> see https://a.test/p?q=1&r=<2>. "end"')
    assert str(html) == ('&lt;b&gt;x&lt;/b&gt; see <a href="https://a.test/p?q=1&amp;r=">'
                         'https://a.test/p?q=1&amp;r=</a>&lt;2&gt;. &#34;end&#34;')
