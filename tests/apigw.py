"""Build API Gateway HTTP API (payload v2) events and call handlers with them, as AWS does."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode


def http_event(method: str, path: str, *, body: bytes | str | dict[str, Any] | None = None,
               headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
               cookies: list[str] | None = None) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    raw: bytes = b""
    if isinstance(body, dict):
        raw = json.dumps(body).encode()
        headers.setdefault("content-type", "application/json")
    elif isinstance(body, str):
        raw = body.encode()
    elif body is not None:
        raw = body
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": headers,
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": headers.get("user-agent", "tests")},
            "requestId": "test", "routeKey": "$default", "stage": "$default",
            "domainName": "affiche.test", "timeEpoch": 0,
        },
        "isBase64Encoded": bool(raw),
        "body": base64.b64encode(raw).decode() if raw else None,
    }
    if query:
        event["queryStringParameters"] = query
    if cookies:
        event["cookies"] = cookies
    return event
