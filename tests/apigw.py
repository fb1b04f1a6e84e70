"""Call handlers with API Gateway HTTP API (payload v2) events built exactly as the local gateway
builds them (affiche.local.gateway.api_event), so tests and `affiche dev` feed the same shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from affiche.local.gateway import api_event


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
    elif method in {"POST", "PUT", "PATCH", "DELETE"}:
        # An API client says its writes are JSON, an empty one included (affiche/web/guard.py).
        headers.setdefault("content-type", "application/json")
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    headers.setdefault("user-agent", "tests")
    target = f"{path}?{urlencode(query)}" if query else path
    return api_event(method, target, headers, raw, "127.0.0.1")
