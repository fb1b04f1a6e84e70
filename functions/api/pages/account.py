"""Account settings pages: a forgotten password, email and password changes, deletion.

/app/account holds three forms posting to the same URL; a hidden `action` field says which.
The mails of affiche/mail/templates link to /app/reset/complete, /app/reset and
/app/confirm-email."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.config import get_settings
from affiche.domain import account_settings, mail_preferences
from affiche.domain.errors import InvalidInput
from affiche.web import login_throttle, ratelimit
from affiche.web.sessions import session_cookie
from functions.api.pages.common import Page, html, member, visitor
from functions.api.routes.common import client_address

router = APIGatewayHttpRouter()
ACCOUNT = "app/account.html"
RESET_SENT = ("If an account uses {email}, we sent it a link to choose a new password. "
              "It works for one hour.")


# --- forgotten password (logged out) --------------------------------------------------------
@router.get("/app/reset", include_in_schema=False)
@html(router)
def reset_form() -> Response[str]:
    return visitor(router).render("app/reset.html")


@router.post("/app/reset", include_in_schema=False)
@html(router)
def request_reset() -> Response[str]:
    page = visitor(router)
    email = page.form.get("email").strip()
    with page.errors_in("app/reset.html", form="reset"):
        # Limited per client and per address: the form must not become a mail cannon.
        ratelimit.hit(ratelimit.RESET_PER_ADDRESS, client_address(router))
        ratelimit.hit(ratelimit.RESET_PER_EMAIL, email)
        account_settings.request_password_reset(page.ports, email)
    # The same answer whether or not the address has an account.
    return page.redirect("/app/login", flash=RESET_SENT.format(email=email))


@router.get("/app/reset/complete", include_in_schema=False)
@html(router)
def complete_reset_form() -> Response[str]:
    page = visitor(router)
    return page.render("app/reset_complete.html", token=page.query("token") or "")


@router.post("/app/reset/complete", include_in_schema=False)
@html(router)
def complete_reset() -> Response[str]:
    page = visitor(router)
    token = page.form.get("token")
    with page.errors_in("app/reset_complete.html", form="reset", token=token):
        account_settings.complete_password_reset(page.ports, token, page.form.get("password"))
    return page.redirect("/app/login", flash="Your password is changed: log in with it.")


# --- logged in ------------------------------------------------------------------------------
@router.get("/app/account", include_in_schema=False)
@html(router)
def account() -> Response[str]:
    return member(router).render(ACCOUNT, **_account_context())


def _account_context() -> dict[str, Any]:
    """What account.html shows besides the account: the notification switches."""
    return {"notification_choices": mail_preferences.PREFERENCES}


@router.get("/app/confirm-email", include_in_schema=False)
@html(router)
def confirm_email() -> Response[str]:
    page = member(router)
    updated = account_settings.confirm_email_change(page.ports, page.me, page.query("token") or "")
    return page.redirect("/app/account", flash=f"Your email address is now {updated.email}.")


def _change_email(page: Page) -> Response[str]:
    email = page.form.get("email").strip()
    with page.errors_in(ACCOUNT, form="email", context=_account_context):
        ratelimit.hit(ratelimit.PASSWORD_PER_ACCOUNT, page.me.id)
        account_settings.request_email_change(page.ports, page.me, email=email,
                                              current_password=page.form.get("current_password"))
    return page.redirect("/app/account", flash=f"We sent a link to {email}: follow it to "
                         "confirm the change. Until then, your address does not change.")


def _change_password(page: Page) -> Response[str]:
    with page.errors_in(ACCOUNT, form="password", context=_account_context):
        ratelimit.hit(ratelimit.PASSWORD_PER_ACCOUNT, page.me.id)
        account_settings.change_password(page.ports, page.me,
                                         current_password=page.form.get("current_password"),
                                         new_password=page.form.get("new_password"),
                                         keep=page.session)
    return page.redirect("/app/account", flash="Your password is changed. Your other sessions "
                         "are logged out.")


def _delete(page: Page) -> Response[str]:
    with page.errors_in(ACCOUNT, form="delete", context=_account_context):
        ratelimit.hit(ratelimit.PASSWORD_PER_ACCOUNT, page.me.id)
        account_settings.delete_account(page.ports, page.me, page.form.get("password"))
    page.cookies += [session_cookie(get_settings(), "", max_age=0),
                     login_throttle.device_cookie(get_settings(), "", max_age=0)]
    page.account = page.session = None
    return page.redirect("/app/login", flash="Your account is deleted. Goodbye!")


def _notifications(page: Page) -> Response[str]:
    # Unchecked boxes are not sent: every notification not ticked is switched off.
    ticked = set(page.form.getlist("notifications"))
    with page.errors_in(ACCOUNT, form="notifications", context=_account_context):
        mail_preferences.update(page.ports, page.me,
                                {name: name in ticked for name in mail_preferences.PREFERENCES}
                                | {name: True for name in ticked})
    return page.redirect("/app/account", flash="Your notification settings are saved.")


ACTIONS: dict[str, Callable[[Page], Response[str]]] = {
    "email": _change_email, "password": _change_password, "delete": _delete,
    "notifications": _notifications,
}


@router.post("/app/account", include_in_schema=False)
@html(router)
def change_account() -> Response[str]:
    page = member(router)
    action = ACTIONS.get(page.form.get("action"))
    if action is None:
        raise InvalidInput("this form asks for an action this page does not know")
    return action(page)
