"""Lambda entry point of the moderation function: instance administration under /api/mod."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import Field

from affiche.domain import instance
from affiche.domain.accounts import instance_settings
from affiche.web import ratelimit
from affiche.web.guard import refuse_unreadable_json
from affiche.web.resolver import json_api
from functions.api.routes.common import Input, caller, json_response
from functions.moderation import admin_routes

app = json_api()
app.include_router(admin_routes.router)  # accounts, groups, settings, domains, dashboard


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


class ReplayInput(Input):
    ids: list[str] = Field(default_factory=list, max_length=1000)
    domain: str | None = Field(default=None, max_length=253)
    every: bool = Field(default=False, alias="all")


@app.get("/api/mod/deliveries/dead")
def dead_deliveries() -> Response[dict[str, Any]]:
    """Deliveries given up (dead-letter queue), with why."""
    from affiche.activitypub import dead_letters

    _context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    return json_response(200, {"dead": [d.summary() for d in dead_letters.list_dead()]})


@app.post("/api/mod/deliveries/replay")
def replay_deliveries(body: ReplayInput) -> Response[dict[str, Any]]:
    """Queue dead letters again: by message id, for one domain, or all."""
    from affiche.activitypub import dead_letters

    _context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    if not (body.ids or body.domain or body.every):
        return json_response(400, {"error": "invalid_input",
                                   "message": "give ids, a domain or all: true"})
    replayed = dead_letters.replay(dead_letters.selector(body.ids, body.domain, body.every))
    return json_response(200, {"replayed": [d.message_id for d in replayed]})


@app.get("/api/mod/inbound/failed")
def failed_inbound() -> Response[dict[str, Any]]:
    """Inbound activities whose processing failed, with the error."""
    from affiche.activitypub.inbox import DynamoInbound

    _context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    failed = [{"id": r.get("id"), "type": r.get("activity", {}).get("type"),
               "signer": r.get("signer"), "received_at": r.get("received_at"),
               "attempts": r.get("attempts"), "error": r.get("error")}
              for r in DynamoInbound().in_state("failed")]
    return json_response(200, {"failed": failed})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return refuse_unreadable_json(event) or app.resolve(event, context)
