"""Why a change's effects failed: one note per changed item the outbox could not finish, so that
the failure queue can tell an administrator when, how many times and why (publish/stream_failures).

Neither AWS's on-failure record nor the local runner's knows the exception (a partial batch
response carries record ids only), so the outbox writes it here each time a record fails: the
exception's type and first line of its message, cut short and with URL query strings removed
(a confirmation link's token, a presigned URL), never a stack trace. The note's kind is not one the
stream filter passes to the outbox (infra/template.yaml), and it expires with the queue's
retention (14 days)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from affiche.aws import client
from affiche.config import get_settings

log = logging.getLogger("affiche.outbox")
KIND = "stream_fault"
KEEP = timedelta(days=14)  # the failure queue's MessageRetentionPeriod
MAX_REASON = 300
_QUERY = re.compile(r"(https?://[^\s?#]+)[?#]\S*")
Key = dict[str, Any]  # an item key in DynamoDB JSON: {"pk": {"S": ...}, "sk": {"S": ...}}


def reason(error: BaseException) -> str:
    """`Type: first line of the message`, short and without query strings."""
    lines = str(error).strip().splitlines()
    text = _QUERY.sub(r"\1?…", lines[0] if lines else "")
    if len(text) > MAX_REASON:
        text = text[:MAX_REASON - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def note_id(key: Key) -> str:
    """`pk#sk` of an item key: how `read` names the notes it found."""
    return "#".join(str(next(iter(key[name].values()))) for name in ("pk", "sk") if name in key)


def _note_key(key: Key) -> Key:
    return {"pk": {"S": f"FAILED#{note_id(key)}"}, "sk": {"S": "A"}}


def note(key: Key, error: BaseException, now: datetime | None = None) -> None:
    """One more failed attempt of the change at `key`. Best effort: when the table itself is
    what fails, the record still goes to the failure queue, only without its reason."""
    now = now or datetime.now(UTC)
    try:
        client("dynamodb").update_item(
            TableName=get_settings().table_name, Key=_note_key(key),
            UpdateExpression="SET kind = :k, failed_at = :t, reason = :r, expires = :e, "
                             "first_failed_at = if_not_exists(first_failed_at, :t) "
                             "ADD attempts :one",
            ExpressionAttributeValues={
                ":k": {"S": KIND}, ":t": {"S": now.isoformat(timespec="seconds")},
                ":r": {"S": reason(error)}, ":one": {"N": "1"},
                ":e": {"N": str(int((now + KEEP).timestamp()))}})
    except (BotoCoreError, ClientError) as failed:
        log.warning("could not note why a change failed: %s", reason(failed))


def read(keys: list[Key]) -> dict[str, dict[str, Any]]:
    """The notes of these item keys, by `pk#sk`: failed_at, first_failed_at, attempts, reason."""
    wanted = {_note_key(key)["pk"]["S"]: key for key in keys}
    found: dict[str, dict[str, Any]] = {}
    names = list(wanted)
    dynamodb = client("dynamodb")
    table = get_settings().table_name
    for start in range(0, len(names), 100):
        request = {table: {"Keys": [{"pk": {"S": n}, "sk": {"S": "A"}}
                                    for n in names[start:start + 100]]}}
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[item["pk"]["S"].removeprefix("FAILED#")] = {
                    "failed_at": item.get("failed_at", {}).get("S", ""),
                    "first_failed_at": item.get("first_failed_at", {}).get("S", ""),
                    "attempts": int(item.get("attempts", {}).get("N", "0")),
                    "reason": item.get("reason", {}).get("S", "")}
            request = answer.get("UnprocessedKeys") or {}
    return found


def forget(key: Key) -> None:
    """The change went through at last (a replay): its note is no longer news."""
    client("dynamodb").delete_item(TableName=get_settings().table_name, Key=_note_key(key))
