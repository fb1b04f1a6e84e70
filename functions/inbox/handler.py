"""Lambda entry point of the inbox function: POST /inbox and POST /@{name}/inbox.

The raw body is read here, not through Powertools' resolver: its validation answers 415 to
`application/activity+json`, and the signature needs the exact bytes (DESIGN.md §7). Everything
else is in affiche.activitypub.inbox.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from affiche.activitypub.inbox import Answer, InboundRequest, Inbox
from affiche.observe import count, observed
from affiche.web.origin import refuse_unless_through_cdn


def request_from_event(event: dict[str, Any]) -> InboundRequest | Answer:
    """The request in an API Gateway HTTP API (payload v2) event."""
    http = event.get("requestContext", {}).get("http", {})
    body = event.get("body") or ""
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else (
            body.encode())
    except (binascii.Error, ValueError):
        return Answer.error(400, "invalid_body", "the request body could not be decoded")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return InboundRequest(method=http.get("method", "GET"),
                          path=event.get("rawPath") or http.get("path", "/"),
                          headers=headers, body=raw, query=event.get("rawQueryString") or "")


def to_response(answer: Answer) -> dict[str, Any]:
    return {"statusCode": answer.status,
            "headers": {"Content-Type": "application/json", **answer.headers},
            "body": json.dumps(answer.body)}


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    refused = refuse_unless_through_cdn(event)
    if refused:
        return refused
    request = request_from_event(event)
    if isinstance(request, Answer):
        return to_response(request)
    answer = Inbox().receive(request)
    count("InboxAccepted" if answer.status < 400 else "InboxRefused")
    return to_response(answer)
