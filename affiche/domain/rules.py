"""Small validators shared by the domain services; each raises InvalidInput naming the field."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime
from hashlib import sha256
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from affiche.domain.errors import InvalidInput
from affiche.domain.text import is_line, is_text

HANDLE = re.compile(r"^[a-z0-9_]{1,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256


def handle(value: str, field: str = "name") -> str:
    value = value.strip().lower()
    if not HANDLE.match(value):
        raise InvalidInput(f"{field} must be 1 to 64 lowercase letters, digits or underscores",
                           field=field)
    return value


def email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise InvalidInput("email is not a valid email address", field="email")
    return value


def password(value: str) -> str:
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise InvalidInput(f"password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long",
                           field="password")
    return value


def text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    """Multi-line text: anything every output can carry (text.is_text), within a length."""
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    if not is_text(value):
        raise InvalidInput(f"{field} must not contain control characters", field=field)
    return value


def line(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    """Single-line text (titles, names, display names, places): no line break nor control
    character, which would break a page's title, an ICS property or a feed (DESIGN.md §9)."""
    value = text(value, field, max_length=max_length, required=required)
    if not is_line(value):
        raise InvalidInput(f"{field} must be one line without control characters", field=field)
    return value


def choice(value: str, field: str, allowed: set[str] | tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of: {', '.join(sorted(allowed))}", field=field)
    return value


def http_url(value: str, field: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(value) > 2000:
        raise InvalidInput(f"{field} must be an http or https URL", field=field)
    return value.strip()


def timezone(value: str) -> ZoneInfo:
    if value not in _zones():
        raise InvalidInput("timezone must be an IANA time zone such as Europe/Paris",
                           field="timezone")
    try:
        return ZoneInfo(value)
    except ZoneInfoNotFoundError as error:  # pragma: no cover - listed zones load
        raise InvalidInput("timezone is unknown", field="timezone") from error


def _zones() -> set[str]:
    global _ZONES
    if not _ZONES:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] = set()


def local_datetime(value: str, field: str, zone: ZoneInfo) -> datetime:
    """Parse ISO 8601; a time without offset is wall-clock time in `zone`. Returns UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{field} must be an ISO 8601 date and time", field=field) from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return sha256(secret.encode()).hexdigest()
