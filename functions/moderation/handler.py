"""Lambda entry point of the moderation function: instance administration under /api/mod."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import Field

from affiche.domain import audit, content_moderation, instance, reports
from affiche.domain.accounts import instance_settings
from affiche.domain.errors import NotFound
from affiche.domain.model import Report
from affiche.observe import observed
from affiche.web import ratelimit
from affiche.web.guard import refuse_unreadable_json
from affiche.web.origin import refuse_unless_through_cdn
from affiche.web.resolver import json_api, nosniff
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


class AnonymousReportsInput(Input):
    allowed: bool


@app.put("/api/mod/settings/anonymous-reports")
def write_anonymous_reports(body: AnonymousReportsInput) -> Response[dict[str, Any]]:
    """Let visitors without an account report content with their email address, or stop it."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = instance.set_anonymous_reports(context, account, body.allowed)
    return json_response(200, {"anonymous_reports": updated.anonymous_reports})


@app.post("/api/mod/invitations", status_code=202)
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

    context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    if not (body.ids or body.domain or body.every):
        return json_response(400, {"error": "invalid_input",
                                   "message": "give ids, a domain or all: true"})
    replayed = dead_letters.replay_by(context, account, body.ids, body.domain, body.every)
    return json_response(200, {"replayed": [d.message_id for d in replayed]})


class FailureReplayInput(Input):
    ids: list[str] = Field(default_factory=list, max_length=1000)
    every: bool = Field(default=False, alias="all")


@app.get("/api/mod/failures")
def failed_changes() -> Response[dict[str, Any]]:
    """Changes whose pages, deliveries or mail failed after their retries, with why (at most
    100 listed; `count` says how many there are)."""
    from affiche.publish import stream_failures

    _context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    return json_response(200, {"failures": [f.summary() for f in stream_failures.failures()],
                               "count": stream_failures.count()})


@app.post("/api/mod/failures/replay", status_code=202)
def replay_failed_changes(body: FailureReplayInput) -> Response[dict[str, Any]]:
    """Ask the outbox to run failed changes again: by id, or all; one failing again is kept."""
    from affiche.publish import stream_failures

    context, account, _ = caller(app)  # type: ignore[arg-type]
    instance.require_admin(account)
    if not (body.ids or body.every):
        return json_response(400, {"error": "invalid_input", "message": "give ids or all: true"})
    stream_failures.replay_by(context, account, body.ids, body.every)
    return json_response(202, {"requested": "all" if body.every else sorted(set(body.ids))})


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


@app.get("/api/mod/audit")
def audit_log() -> Response[dict[str, Any]]:
    """The audit log, newest first; `before` (the previous page's `next`) pages back."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    query = app.current_event.query_string_parameters or {}
    limit = query.get("limit", str(audit.PAGE_SIZE))
    page = audit.page(context, account, before=query.get("before"),
                      limit=int(limit) if limit.isdigit() else 0)
    entries = [{k: v for k, v in e.to_dict().items() if k != "version"} for e in page.entries]
    return json_response(200, {"entries": entries, "next": page.next_cursor})


def _query_limit(default: int) -> int:
    limit = (app.current_event.query_string_parameters or {}).get("limit", str(default))
    return int(limit) if limit.isdigit() and len(limit) < 6 else 0


def report_json(report: Report, *, full: bool = False) -> dict[str, Any]:
    data = {k: v for k, v in report.to_dict().items() if k != "version"}
    if not full:
        data.pop("notes")
    return data


@app.get("/api/mod/reports")
def list_reports() -> Response[dict[str, Any]]:
    """Reports in one state (`state`: open, resolved or closed), newest first, paged."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    query = app.current_event.query_string_parameters or {}
    page = reports.listing(context, account, query.get("state", "open"),
                           before=query.get("before"), limit=_query_limit(reports.PAGE_SIZE))
    return json_response(200, {"reports": [report_json(r) for r in page.reports],
                               "next": page.next_cursor})


@app.get("/api/mod/reports/<report_id>")
def read_report(report_id: str) -> Response[dict[str, Any]]:
    """One report with its notes and the reported content, even when it is hidden."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    report = reports.existing_report(context, account, report_id)
    try:
        target = reports.reported_entity(context, report.target_kind, report.target_key)
        content: dict[str, Any] | None = {k: v for k, v in target.to_dict().items()
                                          if k not in {"version", "account_id", "email"}}
    except NotFound:  # gone for good: the report still reads
        content = None
    return json_response(200, {"report": report_json(report, full=True), "content": content})


class NoteInput(Input):
    text: str = Field(max_length=reports.NOTE_MAX)


@app.post("/api/mod/reports/<report_id>/notes", status_code=201)
def add_note(report_id: str, body: NoteInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = reports.add_note(context, account, report_id, body.text)
    return json_response(201, {"report": report_json(updated, full=True)})


class DecisionInput(Input):
    reason: str = Field(default="", max_length=2000)


@app.post("/api/mod/reports/<report_id>/resolve")
def resolve_report(report_id: str, body: DecisionInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = reports.decide(context, account, report_id, "resolve", body.reason)
    return json_response(200, {"report": report_json(updated, full=True)})


@app.post("/api/mod/reports/<report_id>/close")
def close_report(report_id: str, body: DecisionInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = reports.decide(context, account, report_id, "close", body.reason)
    return json_response(200, {"report": report_json(updated, full=True)})


@app.post("/api/mod/reports/<report_id>/forward", status_code=202)
def forward_report(report_id: str) -> Response[dict[str, Any]]:
    """Send the report to the remote server of the content, as a Flag from the instance actor."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    updated = reports.forward(context, account, report_id)
    return json_response(202, {"report": report_json(updated, full=True)})


class HideInput(Input):
    target_kind: str = Field(max_length=20)
    target_key: str = Field(max_length=2000)
    reason: str = Field(default="", max_length=2000)


@app.post("/api/mod/content/hide")
def hide_content(body: HideInput) -> Response[dict[str, Any]]:
    """Take an event, post or comment down: 410 on the site, Delete to followers."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    content_moderation.hide(context, account, body.target_kind, body.target_key, body.reason)
    return json_response(200, {"hidden": {"target_kind": body.target_kind,
                                          "target_key": body.target_key}})


@app.post("/api/mod/content/restore")
def restore_content(body: HideInput) -> Response[dict[str, Any]]:
    """Undo a hide: the page is published again and followers receive the object again."""
    context, account, _ = caller(app)  # type: ignore[arg-type]
    changed = content_moderation.restore(context, account, body.target_kind, body.target_key,
                                         body.reason)
    return json_response(200, {"restored": {"target_kind": body.target_kind,
                                            "target_key": body.target_key},
                               "changed": changed})


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "affiche_command" in event:  # a direct invocation by the operator, never an HTTP request
        return one_off(event)
    refused = refuse_unless_through_cdn(event) or refuse_unreadable_json(event)
    return nosniff(refused or app.resolve(event, context))


def one_off(event: dict[str, Any]) -> dict[str, Any]:
    """`aws lambda invoke --payload '{"affiche_command": "create-admin", "email": ...}'`: only an
    IAM principal allowed to invoke the function gets here (API Gateway events never carry the
    key), and the password goes back to that caller alone (infra/README.md)."""
    from affiche.domain.errors import DomainError
    from affiche.first_admin import create_first_admin

    if event["affiche_command"] != "create-admin":
        return {"error": f"unknown command {event['affiche_command']!r} (known: create-admin)"}
    try:
        email, password = create_first_admin(str(event.get("email", "")))
    except DomainError as refused:
        return {"error": str(refused)}
    return {"created": email, "password": password}
