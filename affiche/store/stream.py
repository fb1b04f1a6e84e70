"""Reading DynamoDB stream records back into domain entities."""

from __future__ import annotations

from typing import Any

from affiche.domain.model import Record
from affiche.store.keys import KINDS
from affiche.store.repository import entity_of
from affiche.store.table import COUNTS


def entity_from_image(image: dict[str, Any] | None) -> Record | None:
    """The entity in a deserialised stream image (plain values), or None for other items."""
    if not image or image.get("kind") not in KINDS:
        return None
    return entity_of(image["kind"], image["data"], image.get("version"),
                     {name: image.get(name) for name in COUNTS})
