"""Reporting and moderation pages: the report form anyone reaches from a public page
(`/app/report?target_kind=event&target_key=...`), the moderators' queue of reports with each
report's content, notes and decisions, and the administrators' audit log. The same use cases as
the JSON routes (/api/reports, /api/mod/...): affiche/domain/reports.py, content_moderation.py,
audit.py, where the permission checks and rate limits live."""

from __future__ import annotations

import contextlib

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import audit, content_moderation, reports
from affiche.domain.errors import NotFound
from affiche.domain.profiles import acting_profile
from functions.api.pages.common import html, member, visitor

router = APIGatewayHttpRouter()

SHOWN = ("title", "display_name", "name", "description_html", "body_html", "text_html",
         "summary_html", "author", "organizer", "group", "url")


def _target(kind: str | None, key: str | None) -> tuple[str, str]:
    if not kind or not key or kind not in reports.TARGETS:
        raise NotFound("nothing to report: the link names no event, post, comment or profile")
    return kind, key


@router.get("/app/report", include_in_schema=False)
@html(router)
def report_form() -> Response[str]:
    page = visitor(router)
    kind, key = _target(page.query("target_kind"), page.query("target_key"))
    reports.reported_entity(page.ports, kind, key)  # a 404 now, not after typing the report
    return page.render("app/report.html", target_kind=kind, target_key=key,
                       reasons=list(reports.REASON_LABELS.items()), values={})


@router.post("/app/report", include_in_schema=False)
@html(router)
def report_send() -> Response[str]:
    page = visitor(router)
    kind, key = _target(page.form.optional("target_kind"), page.form.optional("target_key"))
    reporter = None
    if page.account is not None:
        with contextlib.suppress(NotFound):
            reporter = acting_profile(page.ports, page.account, None)
    with page.errors_in("app/report.html", "report", target_kind=kind, target_key=key,
                        reasons=list(reports.REASON_LABELS.items())):
        reports.file_report(page.ports, reporter, target_kind=kind, target_key=key,
                            reason=page.form.optional("reason") or "",
                            comment=page.form.get("comment"),
                            email=page.form.optional("email"))
    return page.render("app/message.html", heading="Thank you",
                       paragraphs=["Your report was sent to the moderators of this instance."],
                       links=[("/", "Back to the home page")])


@router.get("/app/moderation/reports", include_in_schema=False)
@html(router)
def report_queue() -> Response[str]:
    page = member(router)
    state = page.query("state") or "open"
    found = reports.listing(page.ports, page.me, state, before=page.query("before"))
    return page.render("app/moderation_reports.html", reports=found.reports, state=state,
                       states=reports.STATES, next=found.next_cursor,
                       is_admin=page.me.role == "admin", reason_label=reports.reason_label)


@router.get("/app/moderation/reports/<report_id>", include_in_schema=False)
@html(router)
def report_page(report_id: str) -> Response[str]:
    page = member(router)
    report = reports.existing_report(page.ports, page.me, report_id)
    content = None
    with contextlib.suppress(NotFound):
        content = reports.reported_entity(page.ports, report.target_kind,
                                          report.target_key).to_dict()
    return page.render("app/moderation_report.html", report=report, content=content,
                       shown=SHOWN, hideable=report.target_kind in content_moderation.HIDEABLE,
                       values={}, reason_label=reports.reason_label)


@router.post("/app/moderation/reports/<report_id>/notes", include_in_schema=False)
@html(router)
def report_note(report_id: str) -> Response[str]:
    page = member(router)
    reports.add_note(page.ports, page.me, report_id, page.form.get("text"))
    return page.redirect(f"/app/moderation/reports/{report_id}", flash="Note added.")


@router.post("/app/moderation/reports/<report_id>/decide", include_in_schema=False)
@html(router)
def report_decide(report_id: str) -> Response[str]:
    page = member(router)
    decided = reports.decide(page.ports, page.me, report_id, page.form.get("action"),
                             page.form.get("reason"))
    return page.redirect(f"/app/moderation/reports/{report_id}",
                         flash=f"The report is {decided.state}.")


@router.post("/app/moderation/reports/<report_id>/hide", include_in_schema=False)
@html(router)
def report_hide(report_id: str) -> Response[str]:
    page = member(router)
    report = reports.existing_report(page.ports, page.me, report_id)
    content_moderation.hide(page.ports, page.me, report.target_kind, report.target_key,
                            page.form.get("reason"))
    return page.redirect(f"/app/moderation/reports/{report_id}",
                         flash=f"The {report.target_kind} is hidden everywhere.")


@router.post("/app/moderation/reports/<report_id>/restore", include_in_schema=False)
@html(router)
def report_restore(report_id: str) -> Response[str]:
    page = member(router)
    report = reports.existing_report(page.ports, page.me, report_id)
    changed = content_moderation.restore(page.ports, page.me, report.target_kind,
                                         report.target_key, page.form.get("reason"))
    said = "is published again" if changed else "was not hidden"
    return page.redirect(f"/app/moderation/reports/{report_id}",
                         flash=f"The {report.target_kind} {said}.")


@router.get("/app/moderation/audit", include_in_schema=False)
@html(router)
def audit_log() -> Response[str]:
    page = member(router)
    found = audit.page(page.ports, page.me, before=page.query("before"))
    return page.render("app/moderation_audit.html", entries=found.entries,
                       next=found.next_cursor)
