"""Building the Activity that accompanies every public change (DESIGN.md principle 1)."""

from __future__ import annotations

from affiche.domain import rules
from affiche.domain.context import Ports
from affiche.domain.model import Activity, Record


def new(ports: Ports, type_: str, actor: str, obj: Record, key: str, *, audience: str,
        target: str | None = None) -> Activity:
    snapshot = obj.to_dict()
    snapshot.pop("version", None)
    return Activity(id=rules.new_id(), type=type_, actor=actor, object_kind=obj.kind,
                    object_key=key, published=ports.clock.now(), audience=audience,
                    object=snapshot, target=target)
