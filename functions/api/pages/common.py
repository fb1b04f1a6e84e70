"""What every page route uses: the `Page` of one request, and the `html` decorator.

A page route stays thin: it builds its `Page` (`member(router)` or `visitor(router)`), which
loads the session and, on POST, parses the form and checks its CSRF token; then it calls one
domain service and renders or redirects. Errors travel as exceptions:

- `NotAuthenticated` becomes a 303 to the login page with `next` set to the page asked for;
- a domain error inside `page.errors_in(...)` shows the same form again with the message;
- any other domain error becomes an error page with the status the JSON API would give.

`html` does that conversion, so a page route can never answer with the API's JSON errors.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.shared.cookies import Cookie

from affiche.config import get_settings
from affiche.domain.context import Ports
from affiche.domain.errors import DomainError, NotAuthenticated
from affiche.domain.model import Account, Session
from affiche.web import csrf, pages
from affiche.web.errors import headers_for, status_for
from affiche.web.forms import Form, parse_form
from affiche.web.ports import ports
from affiche.web.sessions import account_for, read_cookie

Route = Callable[..., Response[str]]


class PageAnswer(Exception):
    """Carries a finished answer out of a route (a form shown again with its error)."""

    def __init__(self, response: Response[str]) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class Page:
    """One request to a page: who is asking, what they posted, and cookies to set."""

    router: APIGatewayHttpRouter
    ports: Ports
    account: Account | None = None
    session: Session | None = None
    cookies: list[Cookie] = field(default_factory=list)
    form: Form = field(default_factory=Form)
    flash: str | None = None
    anonymous_csrf: str = ""

    @property
    def me(self) -> Account:
        """The logged-in account (member pages only)."""
        if self.account is None:
            raise NotAuthenticated("log in first")
        return self.account

    @property
    def event_cookies(self) -> list[str]:
        return list(self.router.current_event.cookies or [])

    @property
    def csrf(self) -> str:
        return self.session.csrf_token if self.session else self.anonymous_csrf

    def query(self, name: str) -> str | None:
        return self.router.current_event.get_query_string_value(name) or None

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response[str]:
        return pages.render(template, status=status, cookies=self.cookies, me=self.account,
                            csrf=self.csrf, flash=self.flash, **context)

    def redirect(self, location: str, flash: str | None = None) -> Response[str]:
        return pages.redirect(location, flash=flash, cookies=self.cookies)

    @contextmanager
    def errors_in(self, template: str, form: str | None = None,
                  context: Callable[[], dict[str, Any]] | None = None,
                  **values: Any) -> Iterator[None]:
        """Show `template` again, with the error next to `form`, when a domain error is raised.

        `context` builds the rest of the page lazily (only when there is an error to show)."""
        try:
            yield
        except DomainError as error:
            extra = context() if context else {}
            values.setdefault("values", self.form.values())
            raise PageAnswer(self.render(template, status=status_for(error), error=error,
                                         error_form=form, headers=headers_for(error),
                                         **{**extra, **values})) from error


@contextmanager
def field_errors(name: str) -> Iterator[None]:
    """Domain errors raised inside are about form field `name` (an upload's size or type): the
    form then shows them at that field, where the person is looking, not only atop the form."""
    try:
        yield
    except DomainError as error:
        if error.field is None:
            error.field = name
        raise


def _method(router: APIGatewayHttpRouter) -> str:
    return router.current_event.request_context.http.method.upper()


def _start(router: APIGatewayHttpRouter) -> Page:
    event = router.current_event
    page = Page(router=router, ports=ports())
    page.flash = pages.read_flash(event.cookies)
    if page.flash:
        page.cookies.append(pages.clear_flash())  # shown once
    secret = read_cookie(event.cookies, event.headers.get("cookie"))
    # No session, an expired one, or its account gone: the visitor is simply logged out here;
    # member() then sends them to the login page.
    with contextlib.suppress(NotAuthenticated):
        page.account, page.session = account_for(page.ports, secret)
    return page


def member(router: APIGatewayHttpRouter) -> Page:
    """A page for logged-in accounts; on POST, the form with its session token checked."""
    page = _start(router)
    if page.session is None:
        raise NotAuthenticated("log in first")
    if _method(router) == "POST":
        page.form = parse_form(router.current_event.raw_event)
        csrf.check_session_token(page.form, page.session)
    return page


def visitor(router: APIGatewayHttpRouter) -> Page:
    """A page anyone may open (log in, sign up, reset): logged-out forms carry the
    double-submit token of the `affiche_csrf` cookie; a logged-in visitor's, the session's."""
    page = _start(router)
    token, cookie = csrf.anonymous_token(get_settings(), page.event_cookies)
    page.anonymous_csrf = token
    if cookie is not None:
        page.cookies.append(cookie)
    if _method(router) == "POST":
        page.form = parse_form(router.current_event.raw_event)
        # Either token will do: a form shown before logging in (in another tab) still works.
        if page.session is None or not csrf.session_token_ok(page.form, page.session):
            csrf.check_anonymous_token(page.form, page.event_cookies)
    return page


def _login_redirect(router: APIGatewayHttpRouter) -> Response[str]:
    event = router.current_event
    # After a refused POST, come back to the page that holds the form, not to the action URL.
    target = event.raw_path if _method(router) == "GET" else event.headers.get("referer", "")
    if _method(router) == "GET" and event.raw_query_string:
        target += "?" + event.raw_query_string
    target = _same_site_path(target)
    return pages.redirect(pages.login_location(target))


def _same_site_path(target: str) -> str:
    """The path of `target` when it is on this site (a Referer is a full URL)."""
    base = get_settings().public_url
    if target.startswith(base + "/"):
        target = target[len(base):]
    return pages.safe_next(target)


def _back(router: APIGatewayHttpRouter) -> str | None:
    """After a refused POST (a file too large, a form gone stale), the page that holds the form,
    from the Referer when it is a page of this site: the error page leads straight back to it."""
    referer = router.current_event.headers.get("referer", "")
    if _method(router) != "POST" or not referer:
        return None
    base = get_settings().public_url
    if not (referer.startswith(base + "/") or referer.startswith("/")):
        return None
    return _same_site_path(referer)


def html(router: APIGatewayHttpRouter) -> Callable[[Route], Route]:
    """Turn the exceptions of a page route into pages (see the module docstring)."""

    def decorate(route: Route) -> Route:
        @functools.wraps(route)
        def wrapper(*args: Any, **kwargs: Any) -> Response[str]:
            try:
                return route(*args, **kwargs)
            except PageAnswer as answer:
                return answer.response
            except NotAuthenticated:
                return _login_redirect(router)
            except DomainError as error:
                return pages.error_page(error, back=_back(router))

        return wrapper

    return decorate
