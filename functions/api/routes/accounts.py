"""Accounts and sessions: sign up, confirm, log in and out, who am I."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.config import get_settings
from affiche.domain import accounts, rules
from affiche.web import login_throttle, ratelimit
from affiche.web.ports import ports
from affiche.web.sessions import close_session, find_session, open_session, session_cookie
from functions.api.routes.common import (
    Input,
    caller,
    client_address,
    json_response,
    session_secret,
)

router = APIGatewayHttpRouter()


class SignupInput(Input):
    email: str
    password: str
    username: str | None = None
    display_name: str | None = None
    invitation: str | None = None


class TokenInput(Input):
    token: str


class LoginInput(Input):
    email: str
    password: str


@router.post("/api/accounts", status_code=201, summary="Sign up; a confirmation link is emailed")
def signup(body: SignupInput) -> Response[dict[str, Any]]:
    ratelimit.hit(ratelimit.SIGNUP_PER_ADDRESS, client_address(router))
    accounts.signup(ports(), email=body.email, password=body.password,
                    username=body.username, display_name=body.display_name,
                    invitation=body.invitation)
    # The same answer whether or not the address already had an account (no enumeration).
    return json_response(201, {"email": rules.email(body.email), "confirmed": False,
                               "message": "we sent a message to this address: follow its link "
                                          "to confirm it, then log in"})


@router.post("/api/accounts/confirm", summary="Confirm an email address with the mailed token")
def confirm(body: TokenInput) -> Response[dict[str, Any]]:
    account = accounts.confirm(ports(), body.token)
    return json_response(200, {"id": account.id, "confirmed": True})


@router.post("/api/session", summary="Log in; sets the session cookie (and a device cookie: "
             "failed logins are slowed down, except from a device that logged in before)")
def login(body: LoginInput) -> Response[dict[str, Any]]:
    context, settings, event = ports(), get_settings(), router.current_event
    account, device = login_throttle.log_in(
        context, email=body.email, password=body.password, address=client_address(router),
        device=login_throttle.read_device(settings, event.cookies, event.headers.get("cookie")))
    secret, session = open_session(context, account)
    return json_response(200, {"id": account.id, "profile": account.default_profile,
                               "csrf": session.csrf_token},
                         cookies=[session_cookie(settings, secret),
                                  login_throttle.device_cookie(settings, device)])


@router.delete("/api/session", summary="Log out")
def logout() -> Response[dict[str, Any]]:
    context = ports()
    session = find_session(context, session_secret(router))
    if session is not None:
        close_session(context, session)
    return json_response(200, {"logged_out": True},
                         cookies=[session_cookie(get_settings(), "", max_age=0)])


@router.get("/api/me", summary="The logged-in account and its profiles")
def me() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    profiles = [{"name": p.name, "display_name": p.display_name}
                for p in context.repo.profiles_of(account.id)]
    return json_response(200, {"id": account.id, "email": account.email, "role": account.role,
                               "default_profile": account.default_profile, "profiles": profiles})
