"""The audit log: who did which moderation or administration action, on what, when and why.

`record` builds the entry; the caller puts it in the ChangeSet of the action itself, so the
action and its entry are committed together (one write path) and the log cannot miss one. Entries
are never changed nor deleted: the repository refuses to delete them and no service offers it.
Administrators read the log newest first, a page at a time (`page`)."""

from __future__ import annotations

from dataclasses import dataclass

from affiche.domain import rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, PermissionDenied
from affiche.domain.model import Account, AuditEntry

REASON_MAX = 2000
PAGE_SIZE = 50
PAGE_MAX = 200


def record(ports: Ports, by: Account, action: str, target_kind: str, target_key: str,
           reason: str = "") -> AuditEntry:
    """The entry for `action` by `by` on (target_kind, target_key): put it in your ChangeSet."""
    return AuditEntry(id=rules.new_id(), at=ports.clock.now(), account_id=by.id,
                      by=by.default_profile or "", action=action, target_kind=target_kind,
                      target_key=target_key, reason=(reason or "").strip()[:REASON_MAX])


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    next_cursor: str | None  # pass back as `before` for the next (older) page; None: the last


def cursor_of(entry: AuditEntry) -> str:
    """Where an entry sits in the log (its listing sort key): the paging cursor."""
    return f"{entry.at.isoformat()}#{entry.id}"


def page(ports: Ports, reader: Account, *, before: str | None = None,
         limit: int = PAGE_SIZE) -> Page:
    """Entries older than `before` (newest first); administrators only."""
    if reader.role != "admin":
        raise PermissionDenied("only an administrator of this instance can read the audit log")
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"limit must be between 1 and {PAGE_MAX}", field="limit")
    if before is not None and (len(before) > 200 or "#" not in before):
        raise InvalidInput("before must be a cursor given by the previous page", field="before")
    # One more than asked tells whether an older page exists without a second request.
    found = ports.repo.audit_entries(limit=limit + 1, before=before)
    entries = found[:limit]
    more = len(found) > limit
    return Page(entries, cursor_of(entries[-1]) if more and entries else None)
