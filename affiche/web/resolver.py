"""The JSON API resolver every HTTP function builds on: Powertools' HTTP API resolver with
request validation, and errors answered in one shape, `{"error", "message", ...}`.

Domain errors map to statuses once (errors.py); validation errors name every bad field."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from affiche.domain.errors import DomainError
from affiche.web import errors


def json_error(status: int, code: str, message: str, **extra: Any) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body={"error": code, "message": message, **extra})


def domain_error(error: DomainError) -> Response[dict[str, Any]]:
    return Response(status_code=errors.status_for(error),
                    content_type=content_types.APPLICATION_JSON,
                    body=errors.body_for(error), headers=errors.headers_for(error))


def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ()) if part != "body"]
        where = ".".join(location) or "body"
        problems.append({"field": where, "message": _explain(item)})
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return json_error(422, "invalid_input", message, problems=problems)


def _explain(item: dict[str, Any]) -> str:
    kind = item.get("type", "")
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    return str(item.get("msg") or kind)


def json_api() -> APIGatewayHttpResolver:
    """A resolver validating requests against the routes' pydantic models, with our errors."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.exception_handler(DomainError)(domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    return app
