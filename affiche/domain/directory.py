"""Administrators' lists of accounts, profiles and groups: searched, paged.

A scan of one kind, filtered and sorted in memory: fine for the few thousand accounts of the
instances affiche is made for, and only administrators reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from affiche.domain.administration import search_text
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Account, Actor

PAGE_SIZE = 50


@dataclass(frozen=True)
class Found:
    items: list[Any]
    page: int
    pages: int
    total: int


def _paged(items: list[Any], page: int) -> Found:
    if page < 1:
        raise InvalidInput("page must be 1 or more", field="page")
    pages = max(1, -(-len(items) // PAGE_SIZE))
    start = (page - 1) * PAGE_SIZE
    return Found(items[start:start + PAGE_SIZE], page, pages, len(items))


def find_accounts(ports: Ports, query: str | None, page: int = 1) -> Found:
    """Accounts whose email or default profile contains `query`, by email."""
    q = search_text(query)
    accounts = [a for a in ports.repo.all_of_kind(Account.kind)
                if not q or q in a.email.lower() or q in (a.default_profile or "").lower()]
    return _paged(sorted(accounts, key=lambda a: a.email), page)


def find_actors(ports: Ports, type_: str, query: str | None, page: int = 1) -> Found:
    """Local profiles (type_ "Person") or groups whose handle or name contains `query`."""
    q = search_text(query)
    actors = [a for a in ports.repo.all_of_kind(Actor.kind)
              if a.type == type_ and not a.is_remote and not a.deleted
              and (not q or q in a.name.lower() or q in a.display_name.lower())]
    return _paged(sorted(actors, key=lambda a: a.name), page)


def actor_view(actor: Actor) -> dict[str, Any]:
    return {"name": actor.name, "type": actor.type, "display_name": actor.display_name,
            "suspended": actor.suspended, "visibility": actor.visibility,
            "created_at": actor.created_at.isoformat(), "member_count": actor.member_count,
            "account_id": actor.account_id}


def account_view(ports: Ports, account: Account, *, detailed: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": account.id, "email": account.email, "role": account.role,
        "confirmed": account.confirmed, "suspended": account.suspended,
        "default_profile": account.default_profile,
        "created_at": account.created_at.isoformat()}
    if detailed:
        profiles = [p for p in ports.repo.profiles_of(account.id) if not p.deleted]
        view["profiles"] = [actor_view(p) for p in profiles]
        view["groups"] = sorted({(m.group, m.role) for p in profiles
                                 for m in ports.repo.memberships_of(p.name)})
        view["groups"] = [{"group": g, "role": r} for g, r in view["groups"]]
    return view
