"""Reading DynamoDB stream records back into domain entities."""

from __future__ import annotations

import json
from typing import Any

from affiche.domain.model import Record
from affiche.store.keys import KINDS


def entity_from_image(image: dict[str, Any] | None) -> Record | None:
    """The entity in a deserialised stream image (plain values), or None for other items."""
    if not image or image.get("kind") not in KINDS:
        return None
    entity = KINDS[image["kind"]].from_dict(json.loads(image["data"]))
    entity.version = int(image.get("version") or 0)
    return entity
