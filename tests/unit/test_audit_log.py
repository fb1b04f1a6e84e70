"""The audit log: entries committed with their action, read newest first a page at a time, and
never deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from affiche.domain import audit
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, PermissionDenied
from affiche.domain.model import Account
from affiche.domain.ports import ChangeSet
from affiche.store.repository import DynamoRepository

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class SteppingClock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


class NoKeys:
    def generate(self) -> tuple[str, str]:
        return "", ""


class NoHasher:
    def hash(self, password: str) -> str:
        return password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == password


def account(role: str) -> Account:
    return Account(id=f"acc-{role}", email=f"{role}@example.org", password_hash="",
                   created_at=START, role=role, default_profile=f"{role}_one")


@pytest.fixture
def ports(aws: Path) -> Ports:
    return Ports(repo=DynamoRepository(), hasher=NoHasher(), keys=NoKeys(),
                 clock=SteppingClock())


def test_entries_are_listed_newest_first_in_pages(ports: Ports) -> None:
    # Given an administrator who did seven things, each committed with its entry
    admin = account("admin")
    for n in range(7):
        entry = audit.record(ports, admin, "event.hide", "event", f"ev-{n}", reason=f"spam {n}")
        ports.repo.commit(ChangeSet().put(entry))
    # When they read the log three entries at a time
    first = audit.page(ports, admin, limit=3)
    second = audit.page(ports, admin, before=first.next_cursor, limit=3)
    last = audit.page(ports, admin, before=second.next_cursor, limit=3)
    # Then every entry comes once, newest first, with who, what, on what, when and why
    keys = [e.target_key for p in (first, second, last) for e in p.entries]
    assert keys == [f"ev-{n}" for n in range(6, -1, -1)]
    assert last.next_cursor is None
    newest = first.entries[0]
    assert (newest.by, newest.account_id, newest.action, newest.target_kind, newest.reason) == (
        "admin_one", "acc-admin", "event.hide", "event", "spam 6")
    assert newest.at > first.entries[1].at


def test_only_administrators_read_the_log_and_nobody_deletes_it(ports: Ports) -> None:
    admin = account("admin")
    entry = audit.record(ports, admin, "instance.registration_mode", "instance", "settings")
    ports.repo.commit(ChangeSet().put(entry))
    with pytest.raises(PermissionDenied):
        audit.page(ports, account("user"))
    with pytest.raises(InvalidInput):
        audit.page(ports, admin, before="not a cursor")
    with pytest.raises(Conflict):
        ports.repo.commit(ChangeSet(deletes=[entry]))
    assert [e.id for e in audit.page(ports, admin).entries] == [entry.id]
