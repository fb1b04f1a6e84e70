"""Which store failures mean "busy, try again" rather than a bug.

DynamoDB throttles (ProvisionedThroughputExceeded, ThrottlingException, RequestLimitExceeded, or a
transaction cancelled with a ThrottlingError reason) once botocore's own retries are spent; S3 and
other services answer SlowDown or 503. Those are the service's state, not the request's fault:
the caller answers 503 with Retry-After (affiche/web/resolver.py), never a 500. A transaction
cancelled with a TransactionConflict reason lost a race with another transaction touching one of its
items at the same moment: nothing was written or refused, so the repository sends it again a few
times; after that it is a Conflict, which `optimistically` retries from a fresh read."""

from __future__ import annotations

from affiche.domain.errors import Unavailable

TRANSIENT = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "ThrottlingError", "ProvisionedThroughputExceeded", "SlowDown", "ServiceUnavailable",
    "TooManyRequestsException", "InternalServerError", "InternalError",
})
BUSY = "the service is busy right now and could not finish this request; try again in a moment"


def error_codes(error: BaseException) -> set[str]:
    """The AWS error codes an exception (pynamodb's or botocore's) and its causes carry."""
    codes: set[str] = set()
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)  # botocore ClientError
        if isinstance(response, dict):
            codes.add(str(response.get("Error", {}).get("Code", "")))
        for reason in getattr(seen, "cancellation_reasons", None) or []:  # pynamodb transactions
            if reason is not None:
                codes.add(str(getattr(reason, "code", "")))
        seen = seen.__cause__ or getattr(seen, "cause", None)
    return codes - {"", "None"}


def is_transient(error: BaseException) -> bool:
    return bool(error_codes(error) & TRANSIENT)


def unavailable() -> Unavailable:
    return Unavailable(BUSY, retry_after=1)


def lost_to_another_transaction(error: BaseException) -> bool:
    """A transaction cancelled only because another one held one of its items: sending the
    same request again can succeed. A failed condition among the reasons would fail again."""
    codes = error_codes(error)
    return "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes
