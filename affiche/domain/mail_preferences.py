"""The notification mails a person can switch off, by name (stored in `Account.mail_off`).

Mails about the account itself (confirmation, password, email change, deletion) and about group
membership are not switchable: they answer what the person did, or are security notices.
Everything is on for a new account; affiche/notify honours the switches when it sends."""

from __future__ import annotations

from collections.abc import Mapping

from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Account
from affiche.domain.ports import ChangeSet

PREFERENCES: dict[str, str] = {
    "participation_answer": "My request to take part in an event is approved or rejected",
    "event_changed": "An event I take part in changes time or place, or is cancelled",
    "event_reminder": "A reminder the day before an event I take part in",
    "participation_request": "Someone asks to take part in an event I organise",
    "new_comment": "A new comment on an event I organise, or a reply to my comment",
    "discussion_reply": "A new reply in a group discussion I follow",
    "new_report": "A new report to this instance's moderators (moderators and administrators)",
}


def enabled(account: Account) -> dict[str, bool]:
    return {name: name not in account.mail_off for name in PREFERENCES}


def update(ports: Ports, account: Account, changes: Mapping[str, bool]) -> Account:
    """Switch the named notifications on (True) or off (False); the others keep their state."""
    unknown = set(changes) - set(PREFERENCES)
    if unknown:
        raise InvalidInput(f"unknown notifications: {', '.join(sorted(unknown))}; known: "
                           f"{', '.join(PREFERENCES)}", field="notifications")
    wanted = {**enabled(account), **changes}
    off = sorted(name for name, on in wanted.items() if not on)
    if off == sorted(account.mail_off):
        return account
    updated = account.evolve(mail_off=off)
    ports.repo.commit(ChangeSet().put(updated))
    return updated
