"""One tree of domain errors. The web layer maps each class to an HTTP status once
(affiche/web/errors.py); domain code raises them with a message a person can act on."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation; `code` is a stable machine-readable name."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "invalid_input"


class UnsupportedMediaType(InvalidInput):
    """A body of a type the operation does not take (an upload that is not a PNG, JPEG...)."""

    code = "unsupported_media_type"


class PayloadTooLarge(InvalidInput):
    code = "body_too_large"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class PermissionDenied(DomainError):
    code = "permission_denied"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with existing state (duplicate handle, stale version...)."""

    code = "conflict"


class Gone(DomainError):
    code = "gone"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The store refused the work for now (throttled); nothing was changed, and the same request
    can be sent again after `retry_after` seconds."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
