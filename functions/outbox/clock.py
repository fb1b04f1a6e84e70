"""The outbox's clock: an EventBridge schedule runs this every few minutes to re-render the
pages time alone makes stale (events that began or ended, affiche/publish/sweep.py)."""

from __future__ import annotations

from typing import Any

from affiche.config import get_settings
from affiche.domain.ports import SystemClock
from affiche.observe import observed
from affiche.publish import artifacts, cdn, sweep
from affiche.publish.renderer import Renderer
from affiche.publish.writers import BucketWriter
from affiche.store.repository import DynamoRepository


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = get_settings()
    store = DynamoRepository()
    now = SystemClock().now()
    planned = sweep.due(store, now - sweep.WINDOW, now)
    output = artifacts.render(Renderer(settings, store, now), planned)
    BucketWriter(settings.site_bucket).apply(output)
    cdn.invalidator().invalidate(cdn.paths_of([output]))
    return {"artifacts": len(planned), "files": len(output.files)}
