"""Checks on a raw API Gateway event before any routing or validation runs: body size, content
type and JSON syntax of API writes. Returning an answer here means no route code runs at all."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlsplit

from affiche import bounded_json
from affiche.domain.errors import InvalidInput
from affiche.domain.images import MAX_BYTES, TYPES, media_type, size_limit_message

MAX_BODY = 64 * 1024  # JSON bodies; images use the upload route with their own limit
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The only API writes whose body is not JSON: raw image bytes POSTed to these paths, each with
# its own size limit (images.MAX_BYTES). Every other API write keeps the JSON rules.
UPLOADS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/api/groups/[^/]+/avatar"), "avatar"),
    (re.compile(r"/api/groups/[^/]+/banner"), "banner"),
    (re.compile(r"/api/events/[^/]+/picture"), "banner"),  # event_pictures.SLOT
    (re.compile(r"/api/posts/[^/]+/picture"), "banner"),  # post_pictures: same slot
)


def _answer(status: int, code: str, message: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": code, "message": message}), "isBase64Encoded": False}


def raw_body(event: dict[str, Any]) -> bytes:
    """The request's bytes; InvalidInput when the event's body cannot be decoded (broken base64,
    or text that is not Unicode): a 400, not a crash, whoever built the event."""
    body = event.get("body") or ""
    try:
        return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    except ValueError as error:  # binascii.Error and UnicodeEncodeError are ValueErrors
        raise InvalidInput("the request body could not be decoded") from error


def refuse_unreadable_json(event: dict[str, Any], prefix: str = "/api/") -> dict[str, Any] | None:
    """An error answer for an API write that is oversized, not JSON, or broken JSON; else None.

    Image uploads (UPLOADS) are the exception: raw bytes, checked for size and declared type."""
    http = event.get("requestContext", {}).get("http", {})
    path, method = str(event.get("rawPath", "")), str(http.get("method"))
    if not path.startswith(prefix) or method not in WRITE_METHODS:
        return None
    foreign = _foreign_origin(event)
    if foreign:
        return _answer(403, "cross_site_request", f"requests from {foreign} are refused: the API "
                       "only takes writes from this site's own pages and from API clients")
    try:
        body = raw_body(event)
    except InvalidInput as error:
        return _answer(400, "invalid_body", error.message)
    slot = upload_slot(path, method)
    if slot is not None:
        return _refuse_upload(event, body, slot)
    if len(body) > MAX_BODY:
        return _answer(413, "body_too_large", f"the request body must be at most {MAX_BODY} bytes")
    # Even an empty write must say it is JSON: a browser sends that type across sites only after
    # a CORS preflight we never grant, so a page elsewhere cannot make a logged-in person's
    # browser approve, join or delete anything (a form or a bare fetch has another type or none).
    if _content_type(event) != "application/json":
        return _answer(415, "unsupported_media_type",
                       "send Content-Type: application/json with every API write "
                       "(an empty body included)")
    if not body:
        return None
    try:
        bounded_json.loads(body)  # RecursionError is no ValueError: nesting is bounded first
    except ValueError:
        return _answer(400, "invalid_json", "the request body is not valid JSON")
    return None


def _foreign_origin(event: dict[str, Any]) -> str | None:
    """The request's Origin when a browser says it comes from another site, else None."""
    from affiche.config import get_settings

    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    origin = headers.get("origin", "").strip()
    if not origin:
        return None
    public = urlsplit(get_settings().public_url)
    return None if origin.lower() == f"{public.scheme}://{public.netloc}".lower() else origin[:100]


def _content_type(event: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return media_type(headers.get("content-type", ""))


def upload_slot(path: str, method: str) -> str | None:
    """"avatar" or "banner" for an image upload request, else None."""
    if method != "POST":
        return None
    return next((slot for pattern, slot in UPLOADS if pattern.fullmatch(path)), None)


def _refuse_upload(event: dict[str, Any], body: bytes, slot: str) -> dict[str, Any] | None:
    """Size and declared type of an upload; the route then checks the bytes themselves."""
    if len(body) > MAX_BYTES[slot]:
        return _answer(413, "body_too_large", size_limit_message(slot))
    if _content_type(event) not in TYPES:
        return _answer(415, "unsupported_media_type",
                       f"send the image as the raw request body with Content-Type one of: "
                       f"{', '.join(TYPES)}")
    return None
