"""Lambda entry point of the moderation function: instance administration under /api/mod."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from affiche.domain import instance
from affiche.domain.accounts import instance_settings
from affiche.web import ratelimit
from affiche.web.guard import refuse_unreadable_json
from affiche.web.resolver import json_api
from functions.api.routes.common import Input, caller, json_response

app = json_api()


class ModeInput(Input):
    registration_mode: str


class InvitationInput(Input):
    email: str


@app.get("/api/mod/settings")
def read_settings() -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    return json_response(200, {"registration_mode": instance_settings(context).registration_mode})


@app.put("/api/mod/settings")
def write_settings(body: ModeInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = instance.set_registration_mode(context, account, body.registration_mode)
    return json_response(200, {"registration_mode": updated.registration_mode})


class AnonymousParticipationInput(Input):
    allowed: bool


@app.put("/api/mod/settings/anonymous-participation")
def write_anonymous_participation(body: AnonymousParticipationInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = instance.set_anonymous_participation(context, account, body.allowed)
    return json_response(200, {"anonymous_participation": updated.anonymous_participation})


@app.post("/api/mod/invitations")
def invite(body: InvitationInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)  # a non-admin learns 403 first, never a 429
    # Each invitation sends a mail: even an admin account (or a stolen admin session) must not
    # be able to spam addresses through the instance.
    ratelimit.hit(ratelimit.INVITE_PER_ACCOUNT, account.id)
    instance.invite_to_register(context, account, body.email)
    return json_response(202, {"invited": body.email})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return refuse_unreadable_json(event) or app.resolve(event, context)
