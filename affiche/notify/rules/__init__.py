"""The rule modules, one per kind of activity; importing one registers its rules."""

from __future__ import annotations

import importlib

MODULES = ("comments", "participation", "events", "membership", "discussions", "reports")
_loaded = False


def load() -> None:
    global _loaded
    if not _loaded:
        for name in MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _loaded = True
