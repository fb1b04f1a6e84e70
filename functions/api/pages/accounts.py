"""Pages for getting in and out: sign up, confirm the address, log in, log out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.config import get_settings
from affiche.domain import accounts, rules
from affiche.web import login_throttle, pages, ratelimit
from affiche.web.sessions import close_session, open_session, session_cookie
from functions.api.pages.common import Page, html, member, visitor
from functions.api.routes.common import client_address

router = APIGatewayHttpRouter()


def _already_in(page: Page) -> Response[str] | None:
    """Logged-in people asking for a logged-out form go where they were heading."""
    if page.account is None:
        return None
    return page.redirect(pages.safe_next(page.query("next")))


def _signup_context(page: Page, invitation: str | None, next_path: str) -> dict[str, Any]:
    """What the sign-up page says before its form: the registration mode, the invitation."""
    mode = accounts.instance_settings(page.ports).registration_mode
    invited = accounts.invited_address(page.ports, invitation) if invitation else None
    return {"mode": mode, "invited": invited, "bad_invitation": bool(invitation) and not invited,
            "show_form": mode == "open" or (mode == "invite_only" and invited is not None),
            "next": next_path}


@router.get("/app/signup", include_in_schema=False)
@html(router)
def signup_form() -> Response[str]:
    page = visitor(router)
    # The instance invitation mail links here with ?invitation=&email= (mail/instance_invite.txt).
    invitation = page.query("invitation")
    next_path = pages.safe_next(page.query("next"))
    values = {"email": page.query("email") or "", "invitation": invitation or ""}
    return _already_in(page) or page.render("app/signup.html", values=values,
                                            **_signup_context(page, invitation, next_path))


@router.post("/app/signup", include_in_schema=False)
@html(router)
def signup() -> Response[str]:
    page = visitor(router)
    form = page.form
    next_path = pages.safe_next(form.get("next"))
    invitation = form.optional("invitation")
    with page.errors_in("app/signup.html", form="signup",
                        context=lambda: _signup_context(page, invitation, next_path)):
        ratelimit.hit(ratelimit.SIGNUP_PER_ADDRESS, client_address(router))
        account = accounts.signup(page.ports, email=form.get("email"),
                                  password=form.get("password"),
                                  username=form.optional("username"),
                                  display_name=form.optional("display_name"),
                                  invitation=invitation,
                                  resume=None if next_path == pages.HOME else next_path)
    if account is not None and account.confirmed:
        # The invitation link proved the address: no second mail, logged in straight away.
        secret, _ = open_session(page.ports, account)
        page.cookies.append(session_cookie(get_settings(), secret))
        return page.redirect(next_path, flash=f"Welcome to {get_settings().instance_name}: "
                             f"your account @{account.default_profile} is ready.")
    login = "/app/login" if next_path == pages.HOME else pages.login_location(next_path)
    # The same answer whether or not the address already had an account (no enumeration).
    return page.redirect(login, flash=f"Almost there: check the mailbox of "
                         f"{rules.email(form.get('email'))}, follow the confirmation link we "
                         "sent, then log in.")


@router.get("/app/confirm", include_in_schema=False)
@html(router)
def confirm() -> Response[str]:
    page = visitor(router)
    # A GET changes state here because a mail client can only follow a link; the token is
    # single-use and expires, which is what makes that acceptable.
    account = accounts.confirm(page.ports, page.query("token") or "")
    # The link carries where the person was heading before signing up (safe_next: a path here).
    next_path = pages.safe_next(page.query("next"))
    login = "/app/login" if next_path == pages.HOME else pages.login_location(next_path)
    if page.account is not None and page.account.id == account.id:
        login = next_path  # already logged in (in this browser): straight on
    return page.render("app/message.html", heading="Your address is confirmed",
                       paragraphs=[f"Thank you: {account.email} is confirmed and your profile "
                                   f"@{account.default_profile} is published."],
                       links=[(login, "Log in and continue" if next_path != pages.HOME
                               else "Log in")])


@router.get("/app/login", include_in_schema=False)
@html(router)
def login_form() -> Response[str]:
    page = visitor(router)
    next_path = pages.safe_next(page.query("next"))
    return _already_in(page) or page.render("app/login.html", next=next_path)


@router.post("/app/login", include_in_schema=False)
@html(router)
def login() -> Response[str]:
    page = visitor(router)
    form = page.form
    next_path = pages.safe_next(form.get("next"))
    settings, event = get_settings(), router.current_event
    with page.errors_in("app/login.html", form="login", next=next_path):
        account, device = login_throttle.log_in(
            page.ports, email=form.get("email"), password=form.get("password"),
            address=client_address(router),
            device=login_throttle.read_device(settings, event.cookies,
                                              event.headers.get("cookie")))
    secret, _ = open_session(page.ports, account)
    page.cookies.append(session_cookie(settings, secret))
    page.cookies.append(login_throttle.device_cookie(settings, device))
    return page.redirect(next_path)


@router.post("/app/logout", include_in_schema=False)
@html(router)
def logout() -> Response[str]:
    page = member(router)
    assert page.session is not None  # member() guarantees it
    close_session(page.ports, page.session)
    page.cookies.append(session_cookie(get_settings(), "", max_age=0))
    return page.redirect("/app/login", flash="You are logged out.")
