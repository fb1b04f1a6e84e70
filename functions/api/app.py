"""The API application: one resolver, a router per resource (imported when a request needs it),
errors mapped in one place."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from affiche import __version__
from affiche.web.resolver import json_api
from functions.api.lazy_routes import LazyResolver

# A router per resource (functions/api/routes/) and the members' HTML pages (functions/api/
# pages/, left out of the OpenAPI document), each imported by the first request under its
# prefixes: lazy_routes.py has the table.
app = json_api(LazyResolver)


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, with the moderation function's /api/mod routes: one document
    for the one public API, whichever function serves a route."""
    from functions.moderation.handler import app as moderation

    app.load_all()  # the document lists every route, not only those requests have needed
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(title="affiche API", version=__version__))
    theirs = json.loads(moderation.get_openapi_json_schema())
    document.setdefault("paths", {}).update(theirs.get("paths", {}))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in theirs.get("components", {}).get("schemas", {}).items():
        schemas.setdefault(name, schema)
    return document_errors(document)


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable machine-readable code"},
        "message": {"type": "string", "description": "what is wrong, for a person"},
        "field": {"type": "string", "description": "the input field at fault, when one is"},
        "problems": {"type": "array", "description": "every invalid field (status 422)",
                     "items": {"type": "object", "required": ["field", "message"],
                               "properties": {"field": {"type": "string"},
                                              "message": {"type": "string"}}}},
    },
}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation's error answers, in the one shape the resolver gives them (resolver.py):
    the statuses domain errors map to (errors.STATUS), 422 for a body that fails its model
    (not Powertools' FastAPI-style `detail` shape, which we never send), and 405."""
    from affiche.web.errors import STATUS

    document["components"]["schemas"]["Error"] = ERROR_SCHEMA
    error = {"content": {content_types.APPLICATION_JSON: {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    statuses = sorted({*STATUS.values(), 405, 422})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses[str(status)] = {"description": HTTPStatus(status).phrase, **error}
    for unused in ("HTTPValidationError", "ValidationError"):
        document["components"]["schemas"].pop(unused, None)
    return document


@app.get("/api/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps(openapi_document()))
