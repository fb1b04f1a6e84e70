"""Re-encoding an upload from its pixels, so that nothing of the sender's file is published.

Group images and event pictures are public and federated. Copying an upload's container (even
less its known metadata blocks) would publish whatever else it holds: Exif GPS positions, XMP,
ICC profiles, private PNG chunks (an `htMl` chunk some browsers could be coaxed into sniffing),
bytes after the image's end. So the image is decoded, its pixels copied into a new image that
has no `info` at all, and that image encoded afresh in the same format:

- orientation: a photo's Exif orientation is applied to the pixels (a portrait photo stays
  upright), since no Exif block is written;
- colour: an embedded ICC profile is converted to sRGB before it is dropped (a wide-gamut photo
  would otherwise look washed out);
- animations (GIF, WebP) are re-encoded frame by frame, keeping each frame's duration and the
  loop count, within a pixel budget (frames x width x height) checked before any frame is
  decoded.

Callers check the header first (images.check: type, dimensions, pixel count), so nothing here
decodes an image that is too large; Pillow's own bomb limit is a second line.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from affiche.domain.errors import InvalidInput
from affiche.domain.images import MAX_PIXELS, ImageInfo

# Frames x width x height of an animation: every frame is held decoded before encoding.
MAX_ANIMATION_PIXELS = 25_000_000
MAX_FRAMES = 500
JPEG_QUALITY = 85
WEBP_QUALITY = 85
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP",
                  "image/gif": "GIF"}
# The modes each encoder is given; anything else is converted first.
OUTPUT_MODES = {"PNG": ("L", "LA", "RGB", "RGBA"), "JPEG": ("L", "RGB"),
                "WEBP": ("RGB", "RGBA"), "GIF": ("P", "L")}
ALPHA_MODES = frozenset({"LA", "RGBA", "PA", "La", "RGBa"})


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    width: int
    height: int


def reencode(data: bytes, info: ImageInfo) -> Reencoded:
    """The image in `data` (already checked as `info`), encoded afresh from its pixels."""
    fmt = PILLOW_FORMATS[info.content_type]
    with _opened(data, fmt) as image:
        if getattr(image, "is_animated", False):
            return _animation(image, fmt)
        return _still(image, fmt)


class _opened:
    """Image.open with Pillow's failures reported as a bad upload, and its bomb limit ours."""

    def __init__(self, data: bytes, fmt: str) -> None:
        self.data, self.fmt = data, fmt

    def __enter__(self) -> Image.Image:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this and refuses at twice it
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                self.image = Image.open(io.BytesIO(self.data), formats=[self.fmt])
        except (UnidentifiedImageError, Image.DecompressionBombWarning,
                Image.DecompressionBombError) as error:
            raise InvalidInput(f"the {self.fmt} image cannot be read: {error}") from error
        return self.image

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.image.close()
        if isinstance(error, (OSError, SyntaxError, ValueError, EOFError)) \
                and not isinstance(error, InvalidInput):
            raise InvalidInput("the image file is truncated or corrupt: it cannot be decoded "
                               f"({error})") from error


def _still(image: Image.Image, fmt: str) -> Reencoded:
    image.load()
    upright = ImageOps.exif_transpose(image) or image  # Exif orientation into the pixels
    clean = _pixels_only(_to_srgb(upright, image.info.get("icc_profile")), fmt,
                         image.info.get("transparency"))
    out = io.BytesIO()
    clean.save(out, fmt, **_options(fmt))
    return Reencoded(out.getvalue(), *clean.size)


def _animation(image: Image.Image, fmt: str) -> Reencoded:
    frames = _frame_count(image)
    width, height = image.size
    if frames * width * height > MAX_ANIMATION_PIXELS:
        raise InvalidInput(f"the animation has {frames} frames of {width}x{height} pixels; an "
                           f"animated image may hold at most {MAX_ANIMATION_PIXELS // 1_000_000} "
                           "million pixels in all (frames x width x height): shorten or shrink "
                           "it, or upload a still image")
    clean: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        frame.load()
        clean.append(_pixels_only(frame.convert("RGBA"), "WEBP" if fmt == "WEBP" else "PNG",
                                  None))
        durations.append(int(frame.info.get("duration") or 100))
    first, rest = clean[0], clean[1:]
    out = io.BytesIO()
    options = {"save_all": True, "append_images": rest, "duration": durations,
               "loop": int(image.info.get("loop", 0))}
    if fmt == "GIF":
        options["disposal"] = 2  # each frame is whole: clear before drawing the next
    else:
        options["quality"] = WEBP_QUALITY
    first.save(out, fmt, **options)
    return Reencoded(out.getvalue(), width, height)


def _frame_count(image: Image.Image) -> int:
    """Frames of an animation, counted without decoding them, stopping past the limit."""
    count = 0
    for _ in ImageSequence.Iterator(image):
        count += 1
        if count > MAX_FRAMES:
            raise InvalidInput(f"the animation has more than {MAX_FRAMES} frames; upload a "
                               "shorter one or a still image")
    image.seek(0)
    return count


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """`image` in sRGB when it carries another ICC profile; as it is when it cannot be read."""
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    from PIL import ImageCms  # only photos with a profile need LittleCMS

    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                              outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the pixels as they are, still without the profile
    return converted or image


def _pixels_only(image: Image.Image, fmt: str, transparency: object) -> Image.Image:
    """A new image holding `image`'s pixels (and palette) and nothing else: no info, no Exif."""
    image = _output_mode(image, fmt, transparency)
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        palette = image.getpalette()
        if palette:
            clean.putpalette(palette)
        if isinstance(image.info.get("transparency"), int):
            clean.info["transparency"] = image.info["transparency"]
    return clean


def _output_mode(image: Image.Image, fmt: str, transparency: object) -> Image.Image:
    if image.mode in OUTPUT_MODES[fmt]:
        return image
    if fmt == "GIF":
        return image.convert("P")
    alpha = image.mode in ALPHA_MODES or transparency is not None
    if alpha and "RGBA" in OUTPUT_MODES[fmt]:
        return image.convert("RGBA")
    if image.mode == "LA" or (alpha and image.mode in ("L", "1")):
        return image.convert("RGBA").convert("RGB") if fmt == "JPEG" else image.convert("RGBA")
    return image.convert("RGB")


def _options(fmt: str) -> dict[str, object]:
    if fmt == "JPEG":
        return {"quality": JPEG_QUALITY, "optimize": True}
    if fmt == "WEBP":
        return {"quality": WEBP_QUALITY}
    return {}
