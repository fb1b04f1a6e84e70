"""From uploaded bytes to the image that is published: one function, `prepare`.

Every uploaded image goes through the same steps, in an order that keeps the costly one last:
the declared type and the header (images.check: format, sides, pixel count, nothing decoded),
then re-encoding from the pixels (image_reencode.py: no chunk, profile or trailing byte of the
upload survives). Further steps (resized variants) belong here, after re-encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from affiche.domain import image_reencode, images


@dataclass(frozen=True)
class PreparedImage:
    """A validated image, re-encoded: the bytes to store and what they are."""

    data: bytes
    info: images.ImageInfo

    @property
    def content_type(self) -> str:
        return self.info.content_type


def prepare(body: bytes, declared: str) -> PreparedImage:
    """`body`, sent as `declared` (a Content-Type), checked and re-encoded from its pixels.

    UnsupportedMediaType or InvalidInput when it is not an image we take, is too large in
    pixels, or cannot be decoded."""
    info = images.check(body, declared)
    clean = image_reencode.reencode(body, info)
    return PreparedImage(clean.data, images.ImageInfo(info.content_type, clean.width,
                                                      clean.height))
