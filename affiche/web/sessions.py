"""Browser sessions: an opaque random cookie; the table stores only its SHA-256.

The cookie is HttpOnly and SameSite=Lax, and Secure when the public URL is https. JSON API writes
also require `Content-Type: application/json`, which a cross-site form cannot send without a CORS
preflight, so they need no CSRF token; HTML forms carry one (csrf.py)."""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from affiche.config import Settings, get_settings
from affiche.domain import rules
from affiche.domain.accounts import SUSPENDED
from affiche.domain.context import Ports
from affiche.domain.errors import NotAuthenticated, PermissionDenied
from affiche.domain.model import Account, Session
from affiche.domain.ports import ChangeSet

COOKIE = "affiche_session"
# Over https the name carries the __Host- prefix: browsers then accept the cookie only when Secure,
# from this very host, with Path=/ — a sibling subdomain cannot plant a session (fixation).
HOST_COOKIE = "__Host-" + COOKIE
LIFETIME = timedelta(days=30)


def open_session(ports: Ports, account: Account) -> tuple[str, Session]:
    secret = rules.new_secret()
    now = ports.clock.now()
    session = Session(token_hash=rules.digest(secret), account_id=account.id, created_at=now,
                      expires_at=now + LIFETIME, csrf_token=rules.new_secret())
    ports.repo.commit(ChangeSet().put(session))
    return secret, session


def find_session(ports: Ports, secret: str | None) -> Session | None:
    if not secret:
        return None
    session = ports.repo.get(Session, rules.digest(secret))
    # moto never runs TTL, and DynamoDB runs it lazily: expiry is checked here, always.
    if session is None or session.expires_at <= ports.clock.now():
        return None
    return session


def close_session(ports: Ports, session: Session) -> None:
    ports.repo.commit(ChangeSet(deletes=[session]))


def account_for(ports: Ports, secret: str | None) -> tuple[Account, Session]:
    session = find_session(ports, secret)
    if session is None:
        raise NotAuthenticated("log in first")
    account = ports.repo.get(Account, session.account_id)
    if account is None:
        raise NotAuthenticated("log in first")
    if account.suspended:
        raise PermissionDenied(SUSPENDED)
    return account, session


def cookie_name(settings: Settings | None = None) -> str:
    """The session cookie's name: __Host-affiche_session over https, affiche_session otherwise."""
    settings = settings or get_settings()
    return HOST_COOKIE if settings.secure else COOKIE


def session_cookie(settings: Settings, secret: str, *, max_age: int | None = None) -> Cookie:
    """The cookie carrying `secret`; an empty secret with max_age=0 clears it."""
    age = int(LIFETIME.total_seconds()) if max_age is None else max_age
    return Cookie(name=cookie_name(settings), value=secret, path="/", http_only=True,
                  secure=settings.secure, same_site=SameSite.LAX_MODE, max_age=age)


def read_cookie(cookies: list[str] | None, header: str | None) -> str | None:
    """The session secret from API Gateway v2's `cookies` list (or a raw Cookie header)."""
    candidates = list(cookies or [])
    if header:
        candidates += header.split(";")
    wanted = cookie_name()
    for cookie in candidates:
        name, _, value = cookie.strip().partition("=")
        if name == wanted and value:
            return value
    return None
