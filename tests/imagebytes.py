"""Tiny images built by hand, byte by byte, for tests of the image header parser and uploads.

PNG and GIF are complete, valid files a browser displays; the JPEG and WebP ones carry only
the headers affiche reads (a real decoder would need more), which is all the parser looks at.
"""

from __future__ import annotations

import struct
import zlib


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 1, height: int = 1, *, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid 8-bit RGB PNG of one colour."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    idat = zlib.compress(row * height)  # keep width x height small: this is all in memory
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def gif(width: int = 1, height: int = 1) -> bytes:
    """A valid GIF89a: a two-colour palette and one 1x1 frame."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # global palette of 2 colours
    palette = b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + palette + frame + b"\x3b"


def jpeg(width: int = 1, height: int = 1, *, sof: int = 0xC0, padding: bool = False) -> bytes:
    """SOI, a JFIF APP0 segment, an optional fill byte, then a baseline SOFn frame header."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    segments = b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    fill = b"\xff" if padding else b""
    return (b"\xff\xd8" + segments + fill + bytes([0xFF, sof]) + struct.pack(">H", len(frame) + 2)
            + frame + b"\xff\xd9")


def webp_lossy(width: int = 1, height: int = 1) -> bytes:
    payload = b"\x30\x01\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 8
    return _riff(b"VP8 ", payload)


def webp_lossless(width: int = 1, height: int = 1) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return _riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00" * 4)


def webp_extended(width: int = 1, height: int = 1) -> bytes:
    sizes = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return _riff(b"VP8X", b"\x10\x00\x00\x00" + sizes)


def _riff(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- whole images, encoded by Pillow (what a camera or an editor writes) -----------------------

def photo(fmt: str, width: int = 8, height: int = 6, *, exif: dict[int, object] | None = None,
          icc: bytes | None = None, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A complete image of one colour with a red marker pixel at its top left corner, in
    Pillow format `fmt` (PNG, JPEG, WEBP, GIF), carrying the Exif tags and ICC profile given."""
    import io

    from PIL import Image

    image = Image.new("RGB", (width, height), rgb)
    image.putpixel((0, 0), (255, 0, 0))
    options: dict[str, object] = {}
    if exif:
        tags = Image.Exif()
        for tag, value in exif.items():
            tags[tag] = value
        options["exif"] = tags.tobytes()
    if icc:
        options["icc_profile"] = icc
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def animation(fmt: str, frames: int = 3, width: int = 10, height: int = 10,
              durations: list[int] | None = None) -> bytes:
    """An animated GIF or WebP whose frames are each a different flat colour."""
    import io

    from PIL import Image

    colours = [(255 * (i % 2), 40 * i % 256, 255 - 60 * i % 256) for i in range(frames)]
    images = [Image.new("RGB", (width, height), c) for c in colours]
    out = io.BytesIO()
    images[0].save(out, fmt, save_all=True, append_images=images[1:],
                   duration=durations or [100] * frames, loop=0)
    return out.getvalue()
