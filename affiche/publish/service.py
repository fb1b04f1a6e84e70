"""Publishing one activity: render what it touches, write it, and tell the CDN."""

from __future__ import annotations

from datetime import datetime

from affiche.config import Settings
from affiche.domain.model import Activity
from affiche.publish import artifacts, tombstones
from affiche.publish.renderer import Output, Renderer
from affiche.publish.writers import Writer


def publish(activity: Activity, *, settings: Settings, store: object, writer: Writer,
            now: datetime) -> Output:
    renderer = Renderer(settings, store, now)
    output = artifacts.render(renderer, artifacts.touched_by(activity))
    written = {file.key for file in output.files}  # still gone (e.g. its group is suspended)
    output.deletes += [marker for marker in tombstones.lifted(activity, store)
                       if marker not in written and marker not in output.deletes]
    writer.apply(output)
    return output
