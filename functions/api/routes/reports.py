"""Reporting content to the instance's moderators (affiche/domain/reports.py): a logged-in
caller reports as one of their profiles; a visitor gives an email address, when the instance
takes anonymous reports. Rules and the rate limit live in the domain service."""

from __future__ import annotations

import contextlib
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import reports
from affiche.domain.errors import NotAuthenticated, PermissionDenied
from affiche.domain.model import Actor
from affiche.domain.profiles import acting_profile
from affiche.web.ports import ports
from affiche.web.sessions import account_for
from functions.api.routes.common import Input, json_response, session_secret

router = APIGatewayHttpRouter()


class ReportInput(Input):
    target_kind: str = Field(max_length=20)
    target_key: str = Field(max_length=2000)
    reason: str = Field(default="other", max_length=40)  # reports.REASONS
    comment: str = Field(default="", max_length=reports.COMMENT_MAX)
    email: str | None = Field(default=None, max_length=254)
    profile: str | None = Field(default=None, max_length=64)


def reporter(profile: str | None) -> Actor | None:
    """The caller's profile when logged in; None for a visitor (who then gives an email)."""
    context = ports()
    with contextlib.suppress(NotAuthenticated, PermissionDenied):
        account, _ = account_for(context, session_secret(router))
        return acting_profile(context, account, profile)
    return None


@router.post("/api/reports", status_code=201)
def report(body: ReportInput) -> Response[dict[str, Any]]:
    filed = reports.file_report(ports(), reporter(body.profile), target_kind=body.target_kind,
                                target_key=body.target_key, reason=body.reason,
                                comment=body.comment, email=body.email)
    return json_response(201, {"id": filed.id, "state": filed.state})
