"""The instance's federation policy: blocked, silenced and allowed domains, and the mode.

Blocked domains: remote servers whose activities the inbox refuses (403) before any fetch, and to
which nothing is delivered. Silenced domains federate, but what their people write (comments) is
not shown on our public pages. In "allowlist" mode only the allowed domains federate at all.

One stored item, pk `BLOCKED_DOMAINS`, sk `A`, kind `blocked_domains`, `data` =
{"domains": [...], "silenced": [...], "allowed": [...], "mode": "open" | "allowlist"}.
Administration manages it (affiche/domain/federation_admin.py); the inbox and the delivery
queue only read it, through a per-process copy refreshed every CACHE_SECONDS, so a blocked server
costs no DynamoDB request per activity. A domain covers its subdomains too (blocking
`spam.example` blocks `a.spam.example`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

KIND = "blocked_domains"
PK, SK = "BLOCKED_DOMAINS", "A"
CACHE_SECONDS = 60.0

_lock = threading.Lock()
MODES = ("open", "allowlist")


@dataclass(frozen=True)
class Policy:
    blocked: frozenset[str] = frozenset()
    silenced: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    mode: str = "open"

    def refusal(self, host: str) -> str | None:
        """Why `host` may not federate with us, or None when it may."""
        if is_blocked(host, self.blocked):
            return f"{normalise(host)} is blocked on this instance"
        if self.mode == "allowlist" and not is_blocked(host, self.allowed):
            return f"{normalise(host)} is not on this instance's list of allowed servers"
        return None

    def is_silenced(self, host: str) -> bool:
        return is_blocked(host, self.silenced)

    def to_data(self) -> dict[str, object]:
        return {"domains": sorted(self.blocked), "silenced": sorted(self.silenced),
                "allowed": sorted(self.allowed), "mode": self.mode}


_cache: tuple[float, str, Policy] | None = None  # (read at, table, policy)


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


def stored_policy() -> Policy:
    """The stored policy, read now."""
    from affiche.store.table import bind

    model = bind()
    try:
        item = model.get(PK, SK, consistent_read=True)
    except model.DoesNotExist:
        return Policy()
    data = json.loads(item.data)
    return Policy(blocked=frozenset(data.get("domains", [])),
                  silenced=frozenset(data.get("silenced", [])),
                  allowed=frozenset(data.get("allowed", [])), mode=data.get("mode", "open"))


def stored_domains() -> frozenset[str]:
    """The stored set of blocked domains, read now."""
    return stored_policy().blocked


def policy() -> Policy:
    """The stored policy, as read at most CACHE_SECONDS ago by this process."""
    global _cache
    from affiche.config import get_settings

    table = get_settings().table_name
    now = time.monotonic()
    with _lock:
        if _cache is not None and _cache[1] == table and now - _cache[0] < CACHE_SECONDS:
            return _cache[2]
    current = stored_policy()
    with _lock:
        _cache = (now, table, current)
    return current


def blocked_domains() -> frozenset[str]:
    """The blocked set, as read at most CACHE_SECONDS ago by this process."""
    return policy().blocked


def refusal(host: str) -> str | None:
    """Why `host` may not federate with us (blocked, or not allowed), or None."""
    return policy().refusal(host)


def forget_cache() -> None:
    global _cache
    with _lock:
        _cache = None


def save_policy(new: Policy) -> Policy:
    from affiche.store.table import bind

    model = bind()
    model(PK, SK, kind=KIND, data=json.dumps(new.to_data())).save(add_version_condition=False)
    forget_cache()
    return new


def _save(domains: frozenset[str]) -> None:
    from dataclasses import replace

    save_policy(replace(stored_policy(), blocked=domains))


def block_domain(domain: str) -> frozenset[str]:
    """Add `domain` to the stored set; returns the new set."""
    domains = stored_domains() | {normalise(domain)}
    _save(domains)
    return domains


def unblock_domain(domain: str) -> frozenset[str]:
    domains = stored_domains() - {normalise(domain)}
    _save(domains)
    return domains
