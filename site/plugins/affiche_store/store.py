"""The plugin's work, kept apart from Pelican's signal plumbing so it reads (and tests) alone."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from affiche.config import get_settings
from affiche.progress import Progress
from affiche.publish import artifacts, indexes, search_index
from affiche.publish.renderer import INSTANCE_PAGES, Output, Renderer
from affiche.publish.snapshot import SnapshotStore
from affiche.publish.theme import environment
from affiche.publish.writers import FolderWriter

# The clock of a build. Listings show *upcoming* events and feeds carry an `updated` time, so the
# output depends on "now": a deploy uses the current time, while tests (and anyone comparing two
# builds) pin it, through `build(now=...)` (the AFFICHE_BUILD_NOW Pelican setting) or the
# AFFICHE_BUILD_NOW environment variable (ISO 8601, with an offset; naive means UTC).
NOW_SETTING = "AFFICHE_BUILD_NOW"


class StoreCollision(RuntimeError):
    """A page from content/ and a page from the store want the same file."""


def build_now(settings: Mapping[str, Any]) -> datetime:
    value = settings.get(NOW_SETTING) or os.environ.get(NOW_SETTING)
    if not value:
        return datetime.now(UTC)
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def instance_globals(now: datetime) -> tuple[dict[str, Any], dict[str, Callable[..., Any]]]:
    """Template globals and filters that the Renderer gives every template."""
    renderer = Renderer(get_settings(), store=None, now=now)  # `instance` needs no store
    filters = {name: environment().filters[name] for name in ("when", "plain")}
    # The host's pages are meant to be found: only unlisted store pages say noindex.
    return {"instance": renderer.instance, "noindex": False}, filters


def write_store(output: Path, now: datetime) -> int:
    """Render every artifact of the store into `output`; returns the number of files written."""
    # The whole table in one paged Scan, every read answered from memory (no GetItem per item).
    store = SnapshotStore.load()
    repairs = indexes.repairs(store)  # data from before the indexes, or a failed publish
    if repairs:
        indexes.write(repairs)
        store = SnapshotStore.load()
    planned = artifacts.everything(store)
    with Progress("Rendering pages", len(planned)) as progress:
        rendered = artifacts.render(Renderer(get_settings(), store, now), planned,
                                    progress.advance)
    # Pelican wrote the content/ pages first, into a folder it had emptied: a store file landing
    # on one of them (a page with `Slug: events`, say) would silently replace it. Fail instead.
    # The instance's pages edited online replace content/'s defaults on purpose.
    rendered.extend(Renderer(get_settings(), store, now).instance_pages(only_edited=True))
    taken = sorted(f.key for f in rendered.files if (output / f.key).exists()
                   and f.key.split("/", 1)[0] not in INSTANCE_PAGES)
    if taken:
        raise StoreCollision(
            "pages in content/ use paths the store publishes to (change their Slug): "
            + ", ".join(taken))
    FolderWriter(output).apply(rendered)
    # Every search shard exists after a build, the empty ones too (search_index.py).
    empty = Output(search_index.missing_shards(f.key for f in rendered.files))
    FolderWriter(output).apply(empty)
    return len(rendered.files) + len(empty.files)
