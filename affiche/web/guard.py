"""Checks on a raw API Gateway event before any routing or validation runs: body size, content
type and JSON syntax of API writes. Returning an answer here means no route code runs at all."""

from __future__ import annotations

import base64
import json
from typing import Any

MAX_BODY = 64 * 1024  # JSON bodies; images use the upload route with their own limit
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _answer(status: int, code: str, message: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": code, "message": message}), "isBase64Encoded": False}


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def refuse_unreadable_json(event: dict[str, Any], prefix: str = "/api/") -> dict[str, Any] | None:
    """An error answer for an API write that is oversized, not JSON, or broken JSON; else None."""
    http = event.get("requestContext", {}).get("http", {})
    if not str(event.get("rawPath", "")).startswith(prefix) or http.get("method") not in WRITE_METHODS:
        return None
    body = raw_body(event)
    if len(body) > MAX_BODY:
        return _answer(413, "body_too_large", f"the request body must be at most {MAX_BODY} bytes")
    if not body:
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _answer(415, "unsupported_media_type",
                       "send the request body as JSON with Content-Type: application/json")
    try:
        json.loads(body)
    except ValueError:
        return _answer(400, "invalid_json", "the request body is not valid JSON")
    return None
