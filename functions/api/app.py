"""The API application: one resolver, a router per resource, errors mapped in one place."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from affiche import __version__
from affiche.domain.errors import DomainError
from affiche.web import errors
from functions.api.pages import ROUTERS as PAGE_ROUTERS
from functions.api.routes import account_settings, accounts, events, group_images, groups, profiles
from functions.api.routes import members as member_routes

app = APIGatewayHttpResolver(enable_validation=True)


def json_error(status: int, code: str, message: str, **extra: Any) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body={"error": code, "message": message, **extra})


@app.exception_handler(DomainError)
def domain_error(error: DomainError) -> Response[dict[str, Any]]:
    return Response(status_code=errors.status_for(error),
                    content_type=content_types.APPLICATION_JSON,
                    body=errors.body_for(error), headers=errors.headers_for(error))


@app.exception_handler(RequestValidationError)
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


for router in (accounts.router, groups.router, events.router, group_images.router,
               account_settings.router, profiles.router, member_routes.router):
    app.include_router(router)

for router in PAGE_ROUTERS:  # members' HTML pages, left out of the OpenAPI document
    app.include_router(router)


@app.get("/api/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    schema = app.get_openapi_json_schema(title="affiche API", version=__version__)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=schema)
