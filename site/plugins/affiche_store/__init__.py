"""Pelican plugin: everything from the store, rendered by affiche's own Renderer.

Two hooks:
- `generator_init` gives Pelican's Jinja environment what our theme expects from the renderer
  (the `instance` dict for the navigation, `noindex`, the `when`/`plain` filters), so the host's
  Markdown pages share the header and footer of every other page;
- `finalized` (after Pelican has written its pages and the theme's static files) lists every
  artifact of the store (`artifacts.everything`) and writes it into the output folder with the
  same Renderer and FolderWriter the incremental path uses: a full build and the outbox function
  cannot disagree about a single byte (DESIGN.md §5).

Pelican's signals are process-wide (blinker): both hooks check that the running Pelican listed
this plugin, so another Pelican run in the same process is left alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pelican import signals

from .store import build_now, instance_globals, write_store

PLUGIN = "affiche_store"
logger = logging.getLogger(__name__)


def _enabled(settings: Mapping[str, Any]) -> bool:
    return any(str(name).rsplit(".", 1)[-1] == PLUGIN for name in settings.get("PLUGINS") or [])


def theme_globals(generator: Any) -> None:
    """Make Pelican's environment render our theme as the Renderer's environment does."""
    if not _enabled(generator.settings):
        return
    variables, filters = instance_globals(build_now(generator.settings))
    generator.env.globals.update(variables)
    generator.env.filters.update(filters)


def store_pages(pelican: Any) -> None:
    """Write every artifact of the store into Pelican's output folder."""
    if not _enabled(pelican.settings):
        return
    started = time.perf_counter()
    written = write_store(Path(pelican.output_path), build_now(pelican.settings))
    logger.info("affiche_store: %d files from the store in %.2f s", written,
                time.perf_counter() - started)


def register() -> None:
    # blinker keeps one connection per function, so a second Pelican run does not double it.
    signals.generator_init.connect(theme_globals)
    signals.finalized.connect(store_pages)
