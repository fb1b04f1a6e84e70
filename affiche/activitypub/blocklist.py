"""Blocked domains: remote servers whose activities the inbox refuses (403) before any fetch.

One stored set, pk `BLOCKED_DOMAINS`, sk `A`, kind `blocked_domains`, `data` = {"domains": [...]}.
Moderation manages it (block_domain / unblock_domain); the inbox only reads it, through a
per-process copy refreshed every CACHE_SECONDS, so a blocked server costs no DynamoDB request
per activity. A domain blocks its subdomains too (blocking `spam.example` blocks
`a.spam.example`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable

KIND = "blocked_domains"
PK, SK = "BLOCKED_DOMAINS", "A"
CACHE_SECONDS = 60.0

_lock = threading.Lock()
_cache: tuple[float, str, frozenset[str]] | None = None  # (read at, table, domains)


def normalise(domain: str) -> str:
    """A host name as compared: lower case, no trailing dot, no port, IDN in punycode."""
    host = domain.strip().lower().rstrip(".")
    if host.startswith("[") or host.count(":") > 1:
        return host  # an IPv6 literal
    host = host.split(":", 1)[0]
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def is_blocked(host: str, domains: Iterable[str]) -> bool:
    host = normalise(host)
    return any(host == d or host.endswith("." + d) for d in domains)


def stored_domains() -> frozenset[str]:
    """The stored set, read now."""
    from affiche.store.table import bind

    model = bind()
    try:
        item = model.get(PK, SK)
    except model.DoesNotExist:
        return frozenset()
    return frozenset(json.loads(item.data).get("domains", []))


def blocked_domains() -> frozenset[str]:
    """The stored set, as read at most CACHE_SECONDS ago by this process."""
    global _cache
    from affiche.config import get_settings

    table = get_settings().table_name
    now = time.monotonic()
    with _lock:
        if _cache is not None and _cache[1] == table and now - _cache[0] < CACHE_SECONDS:
            return _cache[2]
    domains = stored_domains()
    with _lock:
        _cache = (now, table, domains)
    return domains


def forget_cache() -> None:
    global _cache
    with _lock:
        _cache = None


def _save(domains: frozenset[str]) -> None:
    from affiche.store.table import bind

    model = bind()
    model(PK, SK, kind=KIND, data=json.dumps({"domains": sorted(domains)})).save(
        add_version_condition=False)
    forget_cache()


def block_domain(domain: str) -> frozenset[str]:
    """Add `domain` to the stored set; returns the new set."""
    domains = stored_domains() | {normalise(domain)}
    _save(domains)
    return domains


def unblock_domain(domain: str) -> frozenset[str]:
    domains = stored_domains() - {normalise(domain)}
    _save(domains)
    return domains
