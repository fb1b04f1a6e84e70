"""Error answers that no page route shaped itself: an unknown path, an unexpected failure, a
request the gateway refuses before any function runs (too large, malformed).

People get a page in the site's layout, with its navigation, that says what happened and where
to go next; JSON clients (the API, fediverse servers) keep getting `{"error", "message"}`. Who
is who is read from the request: members' pages (/app/) are always for people, and elsewhere a
browser says so with `Accept: text/html`."""

from __future__ import annotations

import json
from collections.abc import Mapping

HEADINGS: dict[int, str] = {
    400: "That request could not be read",
    401: "Please log in",
    403: "You may not do this",
    404: "Page not found",
    405: "That cannot be done here",
    409: "Someone else changed this first",
    410: "This was removed",
    413: "That is too large",
    415: "That kind of file is not accepted",
    429: "Too many tries",
    500: "Something went wrong on our side",
}
JSON = "application/json"


def heading(status: int) -> str:
    return HEADINGS.get(status, "That did not work")


def too_large_message(limit: int) -> str:
    """What to say of a request refused for its size (`limit` bytes): where it came from is a
    form with a file, most likely a photo straight from a camera."""
    from affiche.domain.images import MAX_BYTES, MIB  # not group_images: no image library

    return (f"what you sent is larger than {limit // MIB} MiB, more than this site accepts "
            f"(an image may be at most {max(MAX_BYTES.values()) // MIB} MiB): go back, choose a "
            "smaller file and send the form again")


def wants_html(path: str, headers: Mapping[str, str] | None) -> bool:
    """Whether the request comes from a person's browser (see the module docstring)."""
    if path.startswith("/app/"):
        return True
    accept = {k.lower(): v for k, v in (headers or {}).items()}.get("accept", "")
    return "text/html" in accept.lower()


def html(status: int, message: str) -> str:
    """The error page: the members' error template, in the site's layout."""
    from affiche.web.pages import render_html  # the theme is loaded only when a page is shown

    return render_html("app/error.html", heading=heading(status), error={"message": message})


def json_body(status: int, code: str, message: str) -> str:
    return json.dumps({"error": code, "message": message})


def answer(path: str, headers: Mapping[str, str] | None, status: int, code: str,
           message: str) -> tuple[str, str]:
    """(content type, body) of an error for this request: a page for people, else JSON."""
    if wants_html(path, headers):
        return "text/html; charset=utf-8", html(status, message)
    return JSON, json_body(status, code, message)
