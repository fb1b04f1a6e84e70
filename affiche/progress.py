"""A progress bar for the long runs of the command line (`affiche build` on a large instance).

Drawn only when the stream is a terminal: in CI, in a log file or behind a pipe, the run stays
as quiet as before (one line per step comes from the callers). Redrawn at most ten times a
second, so a build of thousands of pages spends nothing on it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30  # characters of bar, so that label, bar and counts fit in 80 columns
REDRAW_EVERY = 0.1  # seconds


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.shown = _is_terminal(self.stream)
        self._drawn_at = 0.0

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.shown:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total) if self.total else self.done + steps
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.shown:
            return
        moment = time.monotonic()
        if not force and self.done < self.total and moment - self._drawn_at < REDRAW_EVERY:
            return
        self._drawn_at = moment
        share = self.done / self.total if self.total else 1.0
        filled = round(share * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        # "\r" rewrites the same line; the counts say what is left when the bar moves slowly.
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {share:4.0%}")
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or exotic stream: no bar
        return False
