"""The JSON API resolver every HTTP function builds on: Powertools' HTTP API resolver with
request validation, and errors answered in one shape, `{"error", "message", ...}`.

Domain errors map to statuses once (errors.py); validation errors name every bad field."""

from __future__ import annotations

import logging
from typing import Any, TypeVar, overload

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from affiche.domain.errors import DomainError
from affiche.store import faults
from affiche.web import error_pages, errors

log = logging.getLogger("affiche.api")


def nosniff(response: dict[str, Any]) -> dict[str, Any]:
    """`response` (a Lambda HTTP answer) with `X-Content-Type-Options: nosniff`: no browser may
    read a JSON error or an uploaded image as HTML. CloudFront adds it to the bucket's files;
    the functions' paths have no response-headers policy, so every function answer carries it."""
    headers = dict(response.get("headers") or {})
    headers["X-Content-Type-Options"] = "nosniff"
    return {**response, "headers": headers}


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


Resolver = TypeVar("Resolver", bound=APIGatewayHttpResolver)


@overload
def json_api() -> APIGatewayHttpResolver: ...
@overload
def json_api(kind: type[Resolver]) -> Resolver: ...
def json_api(kind: type[APIGatewayHttpResolver] = APIGatewayHttpResolver
             ) -> APIGatewayHttpResolver:
    """A resolver validating requests against the routes' pydantic models, with our errors.
    `kind` is the resolver class: the API function's loads its routers lazily (lazy_routes.py)."""
    app = kind(enable_validation=True)
    app.exception_handler(DomainError)(domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)

    def answer(status: int, code: str, message: str, **headers: str) -> Response[str]:
        """A page for a person's browser, JSON for everyone else (error_pages.py)."""
        event = app.current_event
        kind, body = error_pages.answer(event.path, event.headers, status, code, message)
        return Response(status_code=status, content_type=kind, body=body,
                        headers={"Cache-Control": "no-store", **headers})

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return answer(404, "not_found", "there is nothing at this address: check it for a typo")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[str]:
        if isinstance(error, ServiceError):  # Powertools' own HTTP errors (405, ...)
            return answer(error.status_code, "error", str(error.msg))
        if faults.is_transient(error):  # AWS busy after botocore's retries: not our bug
            log.warning("store busy in %s %s: %s", app.current_event.http_method,
                        app.current_event.path, faults.error_codes(error))
            busy = faults.unavailable()
            return answer(503, busy.code, busy.message, **{"Retry-After": str(busy.retry_after)})
        # Logged with its traceback (the failure is not swallowed); the visitor gets a page.
        log.exception("unhandled error in %s %s", app.current_event.http_method,
                      app.current_event.path)
        return answer(500, "internal_error", "something went wrong on our side; please try "
                      "again in a moment")

    return app
