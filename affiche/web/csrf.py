"""CSRF protection of HTML forms.

JSON API writes are safe without a token (sessions.py: a cross-site form cannot send
`application/json`), but the members' pages take ordinary forms, which any site can post.

- Logged in: the synchronizer token of the session (`Session.csrf_token`, made at login) is put in
  every form as the hidden field `csrf` and compared on every POST.
- Logged out (log in, sign up, password reset): there is no session yet, so a double-submit
  cookie is used: a random `affiche_csrf` cookie (HttpOnly, SameSite=Strict) whose value the form
  repeats. Another site can make the browser post, but can neither read nor set that cookie, and
  a Strict cookie is not sent with a cross-site POST at all. This stops "login CSRF" (logging a
  victim into the attacker's account) as well as forged sign-ups.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from affiche.config import Settings
from affiche.domain import rules
from affiche.domain.errors import PermissionDenied
from affiche.domain.model import Session
from affiche.web.forms import Form

FIELD = "csrf"
COOKIE = "affiche_csrf"


def cookie_name(settings: Settings) -> str:
    """__Host-affiche_csrf over https: a sibling subdomain cannot plant a token of its own and so
    cannot forge a double-submitted form (the prefix needs Secure and Path=/)."""
    return "__Host-" + COOKIE if settings.secure else COOKIE
REFUSED = ("this form has expired or did not come from this site; "
           "go back, reload the page and send it again")


class CsrfRefused(PermissionDenied):
    """A form without the right token: answered 403 like every PermissionDenied."""

    code = "csrf_refused"


def _same(expected: str | None, given: str) -> bool:
    # compare_digest: the time taken must not tell an attacker how much of the token matched.
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), given)


def session_token_ok(form: Form, session: Session) -> bool:
    return _same(session.csrf_token, form.get(FIELD))


def check_session_token(form: Form, session: Session) -> None:
    """Refuse a logged-in form whose `csrf` field is not the session's token."""
    if not session_token_ok(form, session):
        raise CsrfRefused(REFUSED)


def read_cookie(cookies: Iterable[str] | None, name: str) -> str | None:
    """The value of cookie `name` from API Gateway v2's `cookies` list."""
    for cookie in cookies or ():
        key, _, value = cookie.strip().partition("=")
        if key == name and value:
            return value
    return None


def anonymous_token(settings: Settings, cookies: Iterable[str] | None) -> tuple[str, Cookie | None]:
    """The double-submit token for a logged-out form, and the cookie to set when it is new.

    An existing cookie is reused so that two open tabs keep working."""
    existing = read_cookie(cookies, cookie_name(settings))
    if existing:
        return existing, None
    token = rules.new_secret()
    # Path=/ as the __Host- prefix requires. No Max-Age: it ends with the browser session.
    return token, Cookie(name=cookie_name(settings), value=token, path="/", http_only=True,
                         secure=settings.secure, same_site=SameSite.STRICT_MODE)


def check_anonymous_token(form: Form, cookies: Iterable[str] | None) -> None:
    """Refuse a logged-out form whose `csrf` field does not repeat the `affiche_csrf` cookie."""
    from affiche.config import get_settings

    if not _same(read_cookie(cookies, cookie_name(get_settings())), form.get(FIELD)):
        raise CsrfRefused(REFUSED)
