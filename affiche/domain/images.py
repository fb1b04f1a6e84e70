"""The type and size of an uploaded image, read from its header without decoding it.

Uploads are re-encoded from their pixels before they are published (image_reencode.py), and
decoding is what costs memory: a PNG of a few kilobytes can declare 40000x40000 pixels and
inflate to gigabytes. So the header is read first, and the sides and the pixel count are
checked before any decoder runs. This module is also the check that a body sent as `image/png`
really is a PNG. Only container headers are read: PNG's IHDR chunk, GIF's logical screen
descriptor, JPEG's SOFn frame header and WebP's VP8 / VP8L / VP8X chunk; the decoder then
refuses a broken body.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from affiche.domain.errors import InvalidInput, UnsupportedMediaType

MAX_SIDE = 8192  # a wide panorama banner fits
# Decoded, a pixel is 3 or 4 bytes: 24 million of them (a 6000x4000 camera photo) is ~100 MB,
# which the function's memory holds along with the re-encoded copy. A 64-megapixel phone photo
# is refused from its header, before it is decoded.
MAX_PIXELS = 24_000_000
# Declared Content-Type -> file extension of the stored copy. SVG is left out on purpose:
# it is a document that can carry scripts, not a picture.
TYPES: dict[str, str] = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp",
                         "image/gif": "gif"}
NAMES: dict[str, str] = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP",
                         "image/gif": "GIF"}
MIB = 1024 * 1024
# Bytes per image slot. An avatar is shown at 96 px; a banner (a group's, an event's or a post's
# picture) spans the page. Both keep a base64-encoded body under Lambda's 6 MB synchronous payload
# limit (4 MiB * 4/3 is about 5.6 MB). Here, not in group_images.py, because the API's body guard
# checks them before any route runs, and must not load the image library to do so.
MAX_BYTES: dict[str, int] = {"avatar": 1 * MIB, "banner": 4 * MIB}


def size_limit_message(slot: str) -> str:
    limit = MAX_BYTES[slot]
    return f"the {slot} image must be at most {limit // MIB} MiB ({limit} bytes)"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GIF_SIGNATURES = (b"GIF87a", b"GIF89a")
JPEG_SOI = b"\xff\xd8"
# SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but not.
JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: no length field
JPEG_END = frozenset({0xD9, 0xDA})  # EOI, or SOS: entropy-coded data follows, no SOF came
VP8_START_CODE = b"\x9d\x01\x2a"
VP8L_SIGNATURE = 0x2F


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return TYPES[self.content_type]


def _truncated() -> InvalidInput:
    return InvalidInput("the image is truncated: its header is incomplete")


def _unpack(fmt: str, data: bytes, offset: int) -> tuple[Any, ...]:
    """struct.unpack_from, with a short buffer reported as a truncated image."""
    try:
        return struct.unpack_from(fmt, data, offset)
    except struct.error as error:
        raise _truncated() from error


def sniff(data: bytes) -> str | None:
    """The image type the magic number announces, or None."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(JPEG_SOI):
        return "image/jpeg"
    if data.startswith(GIF_SIGNATURES):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    # The first chunk must be IHDR (13 bytes of data); its CRC tells a corrupt header apart.
    length, chunk, width, height = _unpack(">I4sII", data, 8)
    (crc,) = _unpack(">I", data, 29)
    if chunk != b"IHDR" or length != 13:
        raise InvalidInput("the PNG image does not start with its IHDR header")
    if zlib.crc32(data[12:29]) != crc:
        raise InvalidInput("the PNG image header is corrupt (bad checksum)")
    return width, height


def _gif_size(data: bytes) -> tuple[int, int]:
    width, height = _unpack("<HH", data, 6)  # the logical screen every frame is drawn in
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    offset = 2
    while True:
        marker, offset = _jpeg_marker(data, offset)
        if marker in JPEG_SOF:
            height, width = _unpack(">HH", data, offset + 3)  # after length and precision
            return width, height
        if marker in JPEG_END:
            raise InvalidInput("the JPEG image has no frame header")
        if marker in JPEG_STANDALONE:
            continue
        (length,) = _unpack(">H", data, offset)
        if length < 2:
            raise InvalidInput("the JPEG image has a malformed segment")
        offset += length


def _jpeg_marker(data: bytes, offset: int) -> tuple[int, int]:
    """The marker at `offset` and the offset just after it (0xFF fill bytes are skipped)."""
    if offset >= len(data):
        raise _truncated()
    if data[offset] != 0xFF:
        raise InvalidInput("the JPEG image has a malformed segment")
    while offset < len(data) and data[offset] == 0xFF:
        offset += 1
    if offset >= len(data):
        raise _truncated()
    return data[offset], offset + 1


def _webp_size(data: bytes) -> tuple[int, int]:
    (chunk,) = _unpack("4s", data, 12)
    if chunk == b"VP8 ":  # lossy: a key frame's start code, then 14-bit sizes
        (start, width, height) = _unpack("<3sHH", data, 23)
        if start != VP8_START_CODE:
            raise InvalidInput("the WebP image has a malformed VP8 header")
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature byte, then width-1 and height-1 on 14 bits each
        signature, bits = _unpack("<BI", data, 20)
        if signature != VP8L_SIGNATURE:
            raise InvalidInput("the WebP image has a malformed VP8L header")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended (animation, alpha, metadata): canvas-1 on 24 bits each
        (size,) = _unpack("6s", data, 24)
        return int.from_bytes(size[:3], "little") + 1, int.from_bytes(size[3:], "little") + 1
    raise InvalidInput("the WebP image has no VP8, VP8L or VP8X chunk")


SIZE_READERS = {"image/png": _png_size, "image/jpeg": _jpeg_size, "image/gif": _gif_size,
                "image/webp": _webp_size}


def inspect(data: bytes) -> ImageInfo:
    """Type and dimensions of an image; InvalidInput if it is none of ours, broken or too big."""
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput("the file is not a PNG, JPEG, WebP or GIF image")
    width, height = SIZE_READERS[content_type](data)
    if width < 1 or height < 1:
        raise InvalidInput("the image header gives it no width or no height")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InvalidInput(f"the image is {width}x{height} pixels; "
                           f"images may be at most {MAX_SIDE}x{MAX_SIDE}")
    if width * height > MAX_PIXELS:
        raise InvalidInput(f"the image is {width}x{height} pixels "
                           f"({width * height / 1_000_000:.1f} megapixels); images may have at "
                           f"most {MAX_PIXELS // 1_000_000} megapixels: shrink it and upload it "
                           "again")
    return ImageInfo(content_type, width, height)


def media_type(content_type: str) -> str:
    """The bare, lower-case media type of a Content-Type header value."""
    return content_type.split(";", 1)[0].strip().lower()


def check(data: bytes, declared: str) -> ImageInfo:
    """The image's info, if `declared` (a Content-Type) is one we take and the bytes match it.

    UnsupportedMediaType for any other declared type; InvalidInput for a mismatch or a bad image."""
    declared = media_type(declared)
    if declared not in TYPES:
        accepted = ", ".join(TYPES)
        raise UnsupportedMediaType(f"images must be sent as one of: {accepted}")
    info = inspect(data)
    if info.content_type != declared:
        raise InvalidInput(f"the body is a {NAMES[info.content_type]} image but was sent as "
                           f"{declared}")
    return info
