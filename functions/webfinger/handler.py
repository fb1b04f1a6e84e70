"""Lambda entry point of the webfinger function: GET /.well-known/webfinger?resource=...

Plain event handling rather than a Powertools resolver: one route, and cold starts of this
function are on the path of every first follow from a new server (imports are kept light).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from affiche.activitypub import instance_actor, webfinger
from affiche.activitypub.vocabulary import Urls
from affiche.config import get_settings
from affiche.domain.errors import DomainError
from affiche.observe import observed
from affiche.store.repository import DynamoRepository
from affiche.web import errors
from affiche.web.origin import refuse_unless_through_cdn

CORS = {"Access-Control-Allow-Origin": "*"}  # browsers' remote-follow widgets read it


def _response(status: int, body: dict[str, Any], content_type: str,
              extra: dict[str, str] | None = None) -> dict[str, Any]:
    headers = {"Content-Type": content_type, **CORS, **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


def _resource(event: dict[str, Any]) -> str | None:
    raw = event.get("rawQueryString")
    if raw:
        values = parse_qs(raw).get("resource")
        return values[0] if values else None
    return (event.get("queryStringParameters") or {}).get("resource")


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    refused = refuse_unless_through_cdn(event)
    if refused:
        return refused
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    if method not in ("GET", "HEAD"):
        return _response(405, {"error": "method_not_allowed", "message": "use GET"},
                         "application/json", {"Allow": "GET, HEAD"})
    settings = get_settings()
    instance = instance_actor.webfinger(_resource(event), settings.public_url)
    if instance is not None:  # the instance actor (FEP-2677), named after the host
        return _response(200, instance, webfinger.JRD, {"Cache-Control": "max-age=300"})
    try:
        name = webfinger.parse_resource(_resource(event), settings.public_url)
        actor = webfinger.find_actor(DynamoRepository(), name)
    except DomainError as error:
        return _response(errors.status_for(error), errors.body_for(error), "application/json")
    document = webfinger.jrd(Urls(settings.public_url), actor, settings.host)
    return _response(200, document, webfinger.JRD, {"Cache-Control": "max-age=300"})
