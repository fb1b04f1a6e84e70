"""Lambda entry point of the API function (JSON API under /api, members' pages under /app)."""

from __future__ import annotations

from typing import Any

from affiche.observe import observed
from affiche.web.guard import refuse_unreadable_json
from affiche.web.origin import refuse_unless_through_cdn
from affiche.web.resolver import nosniff
from functions.api.app import app


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    refused = refuse_unless_through_cdn(event) or refuse_unreadable_json(event)
    return nosniff(refused or app.resolve(event, context))
