"""The API application: one resolver, a router per resource, errors mapped in one place."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from affiche import __version__
from affiche.web.resolver import json_api
from functions.api.pages import ROUTERS as PAGE_ROUTERS
from functions.api.routes import account_settings, accounts, events, group_images, groups, profiles
from functions.api.routes import comments as comment_routes
from functions.api.routes import discussions as discussion_routes
from functions.api.routes import following as following_routes
from functions.api.routes import members as member_routes
from functions.api.routes import participation as participation_routes
from functions.api.routes import posts as post_routes
from functions.api.routes import reports as report_routes
from functions.api.routes import resources as resource_routes

app = json_api()

for router in (accounts.router, groups.router, events.router, group_images.router,
               account_settings.router, profiles.router, member_routes.router,
               following_routes.router, participation_routes.router):
    app.include_router(router)

app.include_router(comment_routes.router)
app.include_router(post_routes.router)
app.include_router(discussion_routes.router)
app.include_router(resource_routes.router)
app.include_router(report_routes.router)

for router in PAGE_ROUTERS:  # members' HTML pages, left out of the OpenAPI document
    app.include_router(router)


def openapi_document() -> dict[str, Any]:
    """This function's routes and the moderation function's (/api/mod/*, a separate Lambda
    behind the same /api/ prefix): one document for the whole API."""
    from functions.moderation.handler import app as moderation

    schema: dict[str, Any] = json.loads(app.get_openapi_json_schema(title="affiche API",
                                                                    version=__version__))
    extra = json.loads(moderation.get_openapi_json_schema(title="affiche API",
                                                          version=__version__))
    schema["paths"].update(extra.get("paths", {}))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(extra.get("components", {}).get("schemas", {}))
    return schema


@app.get("/api/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps(openapi_document()))
