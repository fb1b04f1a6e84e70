"""The one mapping from domain errors to HTTP answers, used by every HTTP function."""

from __future__ import annotations

from typing import Any

from affiche.domain import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 400,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.NotAuthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


def status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def body_for(error: errors.DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error.code, "message": error.message}
    if error.field:
        body["field"] = error.field
    return body


def headers_for(error: errors.DomainError) -> dict[str, str]:
    if isinstance(error, errors.RateLimited | errors.Unavailable):
        return {"Retry-After": str(error.retry_after)}
    return {}
