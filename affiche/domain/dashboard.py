"""The numbers of the administrators' dashboard (/app/admin/, GET /api/mod/dashboard)."""

from __future__ import annotations

from collections.abc import Callable

from affiche.domain.context import Ports
from affiche.domain.model import Actor, Event


def no_reports(ports: Ports) -> int:
    return 0


# The moderation side sets how many reports are open (`dashboard.open_reports = ...`); 0 until
# reports exist.
open_reports: Callable[[Ports], int] = no_reports


def counts(ports: Ports) -> dict[str, int]:
    """Counts read from the store (a scan of actors and events: administrators only)."""
    actors = ports.repo.all_of_kind(Actor.kind)
    local_groups = [a for a in actors if a.is_group and not a.is_remote and not a.deleted]
    domains = {a.domain or "" for a in actors if a.is_remote} - {""}
    followers = sum(ports.repo.counter(f"followers:{g.name}") for g in local_groups)
    events = [e for e in ports.repo.all_of_kind(Event.kind) if not e.is_remote and not e.deleted]
    return {"accounts": len(ports.repo.all_of_kind("account")), "groups": len(local_groups),
            "events": len(events), "open_reports": open_reports(ports),
            "known_instances": len(domains), "followers": followers}
