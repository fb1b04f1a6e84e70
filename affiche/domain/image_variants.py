"""Where the resized copies of an uploaded image live, and which widths exist: one rule shared
by the upload (image_pipeline.py writes them) and the pages (publish/pictures.py links them).

An uploaded image is stored once, re-encoded, under a content-addressed key that also carries
its size: `media/{group}/{sha256 prefix}-{width}x{height}.{ext}`. Pages never show that file;
they show variants beside it, each at most as wide as the original, in WebP and in JPEG:
`media/{group}/{sha256 prefix}-{width}x{height}-{w}w.webp` (and `.jpg`). Putting the size in
the key lets a page write `width`/`height` and its `srcset` from the key alone, without reading
the image or the bucket. Keys stored before variants existed (no size in them) are shown as
they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# From an avatar (shown at 96 px, twice that on dense screens) to a full-width banner or
# picture (at most 52rem of page, twice that on dense screens is capped at 1200).
LADDER = (96, 192, 400, 800, 1200)
FORMATS: tuple[tuple[str, str], ...] = (("image/webp", "webp"), ("image/jpeg", "jpg"))
SIZED_KEY = re.compile(r"(?P<stem>media/.+/[0-9a-f]+-(?P<width>\d+)x(?P<height>\d+))"
                       r"\.(?P<ext>[a-z]+)")


@dataclass(frozen=True)
class Sized:
    """An original's key read back: its stem (key without extension) and its size."""

    stem: str
    width: int
    height: int

    def widths(self) -> tuple[int, ...]:
        return widths(self.width)

    def height_at(self, width: int) -> int:
        return height_at(self.width, self.height, width)

    def key(self, width: int, extension: str) -> str:
        return f"{self.stem}-{width}w.{extension}"


def widths(original: int) -> tuple[int, ...]:
    """The variant widths of an image `original` pixels wide: the ladder's steps below it, then
    the original width itself (capped at the ladder's top). Never wider than the original."""
    top = min(original, LADDER[-1])
    return (*(w for w in LADDER if w < top), top)


def height_at(width: int, height: int, scaled: int) -> int:
    return max(1, round(height * scaled / width))


def sized_key(stem: str, width: int, height: int, extension: str) -> str:
    return f"{stem}-{width}x{height}.{extension}"


def parse(key: str | None) -> Sized | None:
    """The size an original's key carries; None for keys without one (stored before variants)."""
    match = SIZED_KEY.fullmatch(key or "")
    if match is None:
        return None
    return Sized(match["stem"], int(match["width"]), int(match["height"]))


def variant_keys(key: str | None) -> list[str]:
    """Every variant key of the original `key` (none for keys without a size)."""
    sized = parse(key)
    if sized is None:
        return []
    return [sized.key(w, ext) for w in sized.widths() for _, ext in FORMATS]
