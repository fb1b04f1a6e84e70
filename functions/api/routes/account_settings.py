"""Account settings: password reset, password and email changes, a new confirmation link, and
deleting the account. Requests naming an email address answer 202 whatever the address, so the
API never tells who has an account here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.config import get_settings
from affiche.domain import account_settings, mail_preferences
from affiche.web import login_throttle, ratelimit
from affiche.web.ports import ports
from affiche.web.sessions import session_cookie
from functions.api.routes.common import Input, caller, client_address, json_response

router = APIGatewayHttpRouter()

RESET_SENT = ("if an account uses this address, a link to choose a new password was sent to it; "
              "it works for one hour")
CONFIRMATION_SENT = ("if an unconfirmed account uses this address, a new confirmation link was "
                     "sent to it")


class EmailInput(Input):
    email: str


class ResetInput(Input):
    token: str
    password: str


class PasswordChangeInput(Input):
    current_password: str
    new_password: str


class EmailChangeInput(Input):
    current_password: str
    email: str


class TokenInput(Input):
    token: str


class PasswordInput(Input):
    password: str


class NotificationsInput(Input):
    notifications: dict[str, bool]


def _limit_mail_requests(email: str) -> None:
    """Mail-sending requests are limited per client and per address named: a script must not
    turn the instance into a mail cannon aimed at someone's inbox."""
    ratelimit.hit(ratelimit.RESET_PER_ADDRESS, client_address(router))
    ratelimit.hit(ratelimit.RESET_PER_EMAIL, email)


@router.post("/api/accounts/password-reset", status_code=202,
             summary="Mail a password reset link; answers the same for any address")
def request_reset(body: EmailInput) -> Response[dict[str, Any]]:
    _limit_mail_requests(body.email)
    account_settings.request_password_reset(ports(), body.email)
    return json_response(202, {"message": RESET_SENT})


@router.post("/api/accounts/password-reset/complete",
             summary="Choose a new password with the mailed token; closes every session")
def complete_reset(body: ResetInput) -> Response[dict[str, Any]]:
    account_settings.complete_password_reset(ports(), body.token, body.password)
    return json_response(200, {"password_changed": True})


@router.post("/api/accounts/confirm/resend", status_code=202,
             summary="Mail a new confirmation link; answers the same for any address")
def resend_confirmation(body: EmailInput) -> Response[dict[str, Any]]:
    _limit_mail_requests(body.email)
    account_settings.resend_confirmation(ports(), body.email)
    return json_response(202, {"message": CONFIRMATION_SENT})


@router.put("/api/me/password", summary="Change the password; other sessions are closed")
def change_password(body: PasswordChangeInput) -> Response[dict[str, Any]]:
    context, account, session = caller(router)
    ratelimit.hit(ratelimit.PASSWORD_PER_ACCOUNT, account.id)
    account_settings.change_password(context, account, current_password=body.current_password,
                                     new_password=body.new_password, keep=session)
    return json_response(200, {"password_changed": True})


@router.put("/api/me/email", status_code=202,
            summary="Change the email address; a link is mailed to the new one")
def change_email(body: EmailChangeInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    ratelimit.hit(ratelimit.PASSWORD_PER_ACCOUNT, account.id)
    account_settings.request_email_change(context, account,
                                          current_password=body.current_password,
                                          email=body.email)
    return json_response(202, {"message": "follow the link sent to the new address to confirm it",
                               "email": account.email})


@router.post("/api/me/email/confirm", summary="Confirm the new email address with the token")
def confirm_email(body: TokenInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    updated = account_settings.confirm_email_change(context, account, body.token)
    return json_response(200, {"email": updated.email})


@router.delete("/api/me", summary="Delete the account; its profiles become deleted profiles")
def delete_account(body: PasswordInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    ratelimit.hit(ratelimit.PASSWORD_PER_ACCOUNT, account.id)
    account_settings.delete_account(context, account, body.password)
    return json_response(200, {"deleted": True},
                         cookies=[session_cookie(get_settings(), "", max_age=0),
                                  login_throttle.device_cookie(get_settings(), "", max_age=0)])


def _notifications(account: Any) -> dict[str, Any]:
    return {"notifications": mail_preferences.enabled(account),
            "descriptions": mail_preferences.PREFERENCES}


@router.get("/api/me/notifications", summary="Which notification mails the account receives")
def notifications() -> Response[dict[str, Any]]:
    _, account, _ = caller(router)
    return json_response(200, _notifications(account))


@router.put("/api/me/notifications",
            summary="Switch notification mails on (true) or off (false); others are kept")
def change_notifications(body: NotificationsInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    updated = mail_preferences.update(context, account, body.notifications)
    return json_response(200, _notifications(updated))
