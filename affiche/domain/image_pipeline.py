"""From uploaded bytes to the image that is published: one function, `prepare`.

Every uploaded image goes through the same steps, in an order that keeps the costly one last:
the declared type and the header (images.check: format, sides, pixel count, nothing decoded),
then re-encoding from the pixels (image_reencode.py: no chunk, profile or trailing byte of the
upload survives), then the resized variants pages show (image_variants.py: every step of
the width ladder below the original, in WebP and JPEG), made from the clean pixels while the
upload is processed: a page never carries an image wider than it shows, and nothing is ever
fetched from elsewhere to make them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from affiche.domain import image_variants, images

if TYPE_CHECKING:
    from PIL import Image

# Variants are small and looked at, not archived: a little more compression than the original.
VARIANT_QUALITY = 82


@dataclass(frozen=True)
class Variant:
    """One resized copy of an image, as a page links it."""

    width: int
    height: int
    content_type: str
    extension: str
    data: bytes


@dataclass(frozen=True)
class PreparedImage:
    """A validated image, re-encoded: the bytes to store, what they are, and its variants."""

    data: bytes
    info: images.ImageInfo
    variants: tuple[Variant, ...] = ()

    @property
    def content_type(self) -> str:
        return self.info.content_type


def prepare(body: bytes, declared: str) -> PreparedImage:
    """`body`, sent as `declared` (a Content-Type), checked and re-encoded from its pixels.

    UnsupportedMediaType or InvalidInput when it is not an image we take, is too large in
    pixels, or cannot be decoded."""
    # Pillow (and the re-encoder built on it) is imported here, by an upload, not with this
    # module: routes that only name PreparedImage keep it out of the API's cold start.
    from affiche.domain import image_reencode

    info = images.check(body, declared)
    clean = image_reencode.reencode(body, info)
    return PreparedImage(clean.data, images.ImageInfo(info.content_type, clean.width,
                                                      clean.height),
                         resized_variants(clean.data, clean.width, clean.height))


def resized_variants(clean: bytes, width: int, height: int) -> tuple[Variant, ...]:
    """The variants of a re-encoded image, widest first. An animation's variants show its first
    frame (as Mastodon shows still avatars); the original keeps the animation."""
    from PIL import Image  # see prepare: only an upload loads Pillow

    steps = sorted(image_variants.widths(width), reverse=True)
    with Image.open(io.BytesIO(clean)) as opened:
        opened.seek(0)
        # A JPEG decodes straight at 1/2, 1/4 or 1/8 of its size when that still covers the
        # widest variant: a 24-megapixel photo is never decoded whole a second time.
        opened.draft("RGB", (steps[0], image_variants.height_at(width, height, steps[0])))
        source = _flattened(opened)
    made: list[Variant] = []
    for target in steps:
        size = (target, image_variants.height_at(width, height, target))
        # Each smaller step is made from the previous one: fewer pixels to filter each time.
        source = source if source.size == size else source.resize(
            size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        for content_type, extension in image_variants.FORMATS:
            out = io.BytesIO()
            source.save(out, "WEBP" if extension == "webp" else "JPEG",
                        quality=VARIANT_QUALITY, **({"optimize": True} if extension == "jpg"
                                                    else {}))
            made.append(Variant(*size, content_type, extension, out.getvalue()))
    return tuple(made)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels for the variants: transparency over the page's background colour (JPEG
    has no alpha, and a WebP with the same flattening looks the same in every browser)."""
    from PIL import Image

    if image.mode not in ALPHA_MODES and "transparency" not in image.info:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, PAGE_BACKGROUND)
    return Image.alpha_composite(background, rgba).convert("RGB")


PAGE_BACKGROUND = (255, 253, 248, 255)  # --bg in site/theme/static/css/site.css
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
