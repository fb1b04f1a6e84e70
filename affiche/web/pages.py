"""Members' pages: HTML rendered on demand with the public site's Jinja theme.

DESIGN.md principle 2: private views are rendered by the functions with the same templates as the
static site (site/theme/templates/app/ extends base.html), and forms work without JavaScript:
POST, then a 303 redirect to a page that GETs the result, with a one-time flash message carried in
a short-lived cookie. Nothing here is ever written to the bucket, and every answer says
`Cache-Control: private, no-store` so that no CDN or shared cache keeps a member's page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from affiche.config import get_settings
from affiche.domain.errors import DomainError
from affiche.publish.theme import environment, instance_info
from affiche.web import error_pages, errors

HTML = "text/html; charset=utf-8"
FLASH_COOKIE = "affiche_flash"
FLASH_MAX = 300  # characters: a sentence, not a document
HOME = "/app/"
LOGIN = "/app/login"
# Headers of every page: never cached by a CDN; never framed (clickjacking of the forms); and no
# Referer leaving the site, because confirmation and reset pages carry a secret in their URL.
PAGE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
# Defaults every app template may rely on (the theme's environment uses StrictUndefined).
DEFAULTS: dict[str, Any] = {"noindex": True, "me": None, "csrf": "", "flash": None,
                            "error": None, "error_form": None, "values": {}}
_UNSAFE_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def instance() -> dict[str, Any]:
    """The same `instance` dict the static pages are rendered with (name, url, host, pages)."""
    return instance_info(get_settings())


def upload_hints() -> dict[str, str]:
    """What every upload field states next to it: accepted formats, size and pixel limits."""
    from affiche.domain.group_images import MAX_BYTES, accepted_description

    return {slot: accepted_description(slot) for slot in MAX_BYTES}


def render_html(template: str, **context: Any) -> str:
    values = {**DEFAULTS, "upload_hints": upload_hints(), **context}
    return environment().get_template(template).render(instance=instance(), **values)


def render(template: str, *, status: int = 200, cookies: list[Cookie] | None = None,
           headers: dict[str, str] | None = None, **context: Any) -> Response[str]:
    """An HTML page from site/theme/templates/`template`, never cached outside the browser."""
    return Response(status_code=status, content_type=HTML, body=render_html(template, **context),
                    headers={**PAGE_HEADERS, **(headers or {})}, cookies=cookies or [])


def redirect(location: str, *, flash: str | None = None,
             cookies: list[Cookie] | None = None) -> Response[str]:
    """303 See Other: the browser GETs `location` after a POST (no resubmission on reload)."""
    jar = list(cookies or [])
    if flash:
        jar.append(flash_cookie(flash))
    return Response(status_code=303, content_type=HTML, body="",
                    headers={**PAGE_HEADERS, "Location": location}, cookies=jar)


def flash_cookie(message: str, *, max_age: int = 60) -> Cookie:
    """A one-time message for the next page. Path=/app/: only members' pages read it."""
    settings = get_settings()
    return Cookie(name=FLASH_COOKIE, value=quote(message[:FLASH_MAX], safe=""), path=HOME,
                  http_only=True, secure=settings.secure, same_site=SameSite.LAX_MODE,
                  max_age=max_age)


def read_flash(cookies: list[str] | None) -> str | None:
    for cookie in cookies or ():
        name, _, value = cookie.strip().partition("=")
        if name == FLASH_COOKIE and value:
            return unquote(value)
    return None


def clear_flash() -> Cookie:
    return flash_cookie("", max_age=0)


def safe_next(value: str | None, default: str = HOME) -> str:
    """`value` when it is a path on this site, else `default`: `next` must not be an open redirect.

    Refused: absolute URLs, protocol-relative `//host`, `/\\host` (browsers read a backslash as a
    slash) and any whitespace or control character (browsers drop tabs and newlines in URLs,
    which turns `/\\t/host` into `//host`)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if _UNSAFE_NEXT.search(value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    # A Location header carries ASCII: keep what is already escaped, escape the rest (UTF-8).
    return quote(value, safe="/?&=%#:@+,;~!$'()*[]")


def login_location(next_path: str) -> str:
    return f"{LOGIN}?{urlencode({'next': safe_next(next_path)})}"


def error_page(error: DomainError, **context: Any) -> Response[str]:
    """A whole page explaining a refusal, with the status the JSON API gives the same error."""
    status = errors.status_for(error)
    return render("app/error.html", status=status, error=error, heading=error_pages.heading(status),
                  headers=errors.headers_for(error), **context)


def not_found(message: str = "This page does not exist.") -> Response[str]:
    return render("app/error.html", status=404, error={"message": message},
                  heading=error_pages.heading(404))
