"""HTML form bodies from API Gateway HTTP API (payload v2) events.

Members' pages post ordinary forms (DESIGN.md principle 2: they work without JavaScript), so the
body is `application/x-www-form-urlencoded`, or `multipart/form-data` when the form uploads an
image. Multipart is parsed with the stdlib `email` package: the `cgi` module is gone from Python
3.13, and a multipart body is a MIME message once its Content-Type header is put in front of it.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs

from affiche.domain.errors import InvalidInput, PayloadTooLarge
from affiche.web.error_pages import too_large_message
from affiche.web.guard import raw_body

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_FORM = 64 * 1024  # a text form; the same limit as JSON API bodies
MAX_MULTIPART = 6 * 1024 * 1024  # Lambda's synchronous payload limit is about 6 MB
MAX_FIELDS = 200


@dataclass(frozen=True)
class Upload:
    """A file field of a multipart form."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Form:
    """Posted fields (every value of each name, in order) and uploaded files by field name."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """The first value of `name`; text is never stripped here (passwords keep spaces)."""
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def optional(self, name: str) -> str | None:
        """The stripped value, or None when the field is missing or blank."""
        value = self.get(name).strip()
        return value or None

    def file(self, name: str) -> Upload | None:
        return self.files.get(name)

    def values(self, *hidden: str) -> dict[str, str]:
        """First values to fill a form in again after an error, without the `hidden` ones."""
        secret = {"csrf", "password", "current_password", "new_password", *hidden}
        return {k: v[0] for k, v in self.fields.items() if v and k not in secret}


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def media_type(event: Mapping[str, Any]) -> str:
    return _headers(event).get("content-type", "").split(";")[0].strip().lower()


def parse_form(event: Mapping[str, Any]) -> Form:
    """The form posted in `event`; InvalidInput for another content type or an oversized body."""
    body = raw_body(dict(event))
    kind = media_type(event)
    if not body:
        return Form()
    if kind == URLENCODED:
        return _urlencoded(body)
    if kind == MULTIPART:
        return _multipart(_headers(event)["content-type"], body)
    raise InvalidInput("this page expects a form (application/x-www-form-urlencoded)")


def _urlencoded(body: bytes) -> Form:
    if len(body) > MAX_FORM:
        raise PayloadTooLarge(f"the form must be at most {MAX_FORM // 1024} KB")
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("the form could not be read") from error
    return Form(fields=fields)


def _multipart(content_type: str, body: bytes) -> Form:
    if len(body) > MAX_MULTIPART:
        # Larger than any upload a page accepts: a 413 page that says what to do.
        raise PayloadTooLarge(too_large_message(MAX_MULTIPART))
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    boundary = _HEADERS.parsebytes(head).get_boundary()
    if not boundary:
        raise InvalidInput("the form could not be read: its Content-Type names no boundary")
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    # Count the parts before parsing any: the email parser takes seconds over a few megabytes of
    # tiny parts, and the field limit would only refuse them afterwards.
    if body.count(delimiter) > MAX_FIELDS + 1:
        raise InvalidInput("the form has too many fields")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise InvalidInput("the form could not be read")
    form = Form()
    for chunk in chunks[1:]:  # before the first delimiter: a preamble, ignored
        if chunk.startswith(b"--"):
            break  # the closing delimiter; what follows is an epilogue
        _add_part(form, _part(chunk))
    return form


_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.HTTP)
_PART = email.parser.BytesParser(policy=email.policy.HTTP)


def _part(chunk: bytes) -> EmailMessage:
    """One part between two delimiters, parsed on its own. Each part is parsed flat: a part that
    says it is multipart itself is refused (browsers never nest them), so a body of thousands of
    nested parts cannot make the parser recurse until it fails."""
    _, _, chunk = chunk.partition(b"\n")  # the rest of the delimiter's line
    chunk = chunk.removesuffix(b"\n").removesuffix(b"\r")  # the line end before the next one
    if _HEADERS.parsebytes(chunk).get_content_maintype() == "multipart":
        raise InvalidInput("the form could not be read: a field holds nested parts")
    message = _PART.parsebytes(chunk)
    assert isinstance(message, EmailMessage)  # policy HTTP builds EmailMessage
    return message


def _add_part(form: Form, part: Any) -> None:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        return  # a part without a field name is not a form field: browsers never send one
    data = part.get_payload(decode=True) or b""
    filename = part.get_filename()
    if filename is not None:
        if data:  # an empty file input still sends a part with filename=""
            form.files[name] = Upload(filename, part.get_content_type(), data)
        return
    charset = part.get_content_charset() or "utf-8"
    try:
        value = data.decode(charset)
    except (LookupError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the field {name} could not be read") from error
    form.fields.setdefault(name, []).append(value)
