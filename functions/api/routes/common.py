"""Helpers every API router uses: who is calling, and the shapes of answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.shared.cookies import Cookie
from pydantic import BaseModel, ConfigDict

from affiche.domain.context import Ports
from affiche.domain.model import Account, Session
from affiche.web.ports import ports
from affiche.web.sessions import account_for, read_cookie


class Input(BaseModel):
    """Base of every request body: unknown fields and wrong types are refused, not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


def session_secret(router: APIGatewayHttpRouter) -> str | None:
    event = router.current_event
    return read_cookie(event.cookies, event.headers.get("cookie"))


def client_address(router: APIGatewayHttpRouter) -> str:
    """The visitor's IP. Behind CloudFront, API Gateway's sourceIp is an edge server, so the
    CloudFront-Viewer-Address header (ip:port, forwarded by the origin request policy) wins."""
    event = router.current_event
    viewer = event.headers.get("cloudfront-viewer-address")
    if viewer:
        return viewer.rsplit(":", 1)[0].strip("[]")
    return event.request_context.http.source_ip


def caller(router: APIGatewayHttpRouter) -> tuple[Ports, Account, Session]:
    context = ports()
    account, session = account_for(context, session_secret(router))
    return context, account, session


def json_response(status: int, body: dict[str, Any], *,
                  cookies: list[Cookie] | None = None) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    cookies=cookies)
