"""Uploaded images lose their personal metadata (GPS, camera, text) but not their pixels, and a
JPEG keeps its orientation."""

from __future__ import annotations

import struct

import pytest

from affiche.domain import image_metadata, images
from affiche.domain.errors import InvalidInput
from tests import imagebytes

GPS_SECRET = b"GPS 48.8566N 2.3522E"


def exif(orientation: int | None) -> bytes:
    """An Exif APP1 segment (little-endian TIFF) with a GPS-looking string and an orientation."""
    entries = []
    if orientation is not None:
        entries.append(struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0))
    entries.append(struct.pack("<HHII", 0x010E, 2, len(GPS_SECRET), 8 + 2 + 12 * 2 + 4))
    ifd = struct.pack("<H", len(entries)) + b"".join(entries) + b"\x00" * 4
    tiff = b"II\x2a\x00" + struct.pack("<I", 8) + ifd + GPS_SECRET
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with(*segments: bytes) -> bytes:
    plain = imagebytes.jpeg(640, 480)
    return plain[:2] + b"".join(segments) + plain[2:]


def xmp() -> bytes:
    payload = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + GPS_SECRET + b"</x:xmpmeta>"
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def test_jpeg_loses_exif_xmp_and_comments_but_keeps_its_frame() -> None:
    comment = b"\xff\xfe" + struct.pack(">H", len(GPS_SECRET) + 2) + GPS_SECRET
    photo = jpeg_with(exif(None), xmp(), comment)
    stripped = image_metadata.strip(photo, "image/jpeg")
    assert GPS_SECRET not in stripped
    assert stripped == imagebytes.jpeg(640, 480)
    assert images.check(stripped, "image/jpeg").width == 640


def test_jpeg_orientation_survives_in_a_minimal_exif() -> None:
    stripped = image_metadata.strip(jpeg_with(exif(6)), "image/jpeg")
    assert GPS_SECRET not in stripped
    app1 = stripped.index(b"\xff\xe1")
    assert image_metadata._exif_orientation(stripped[app1 + 4:]) == 6


def test_png_loses_text_and_exif_chunks() -> None:
    plain = imagebytes.png(4, 4)
    text = imagebytes._png_chunk(b"tEXt", b"Location\x00" + GPS_SECRET)
    exif_chunk = imagebytes._png_chunk(b"eXIf", GPS_SECRET)
    photo = plain[:33] + text + exif_chunk + plain[33:]  # after the 8-byte signature and IHDR
    stripped = image_metadata.strip(photo, "image/png")
    assert stripped == plain


def test_webp_loses_exif_and_xmp_chunks_and_their_flags() -> None:
    base = imagebytes.webp_extended(32, 16)
    flags = base[20] | image_metadata.VP8X_EXIF_AND_XMP
    chunk = b"EXIF" + struct.pack("<I", len(GPS_SECRET)) + GPS_SECRET
    body = base[8:20] + bytes([flags]) + base[21:] + chunk
    photo = b"RIFF" + struct.pack("<I", len(body)) + body
    stripped = image_metadata.strip(photo, "image/webp")
    assert GPS_SECRET not in stripped
    assert stripped[20] & image_metadata.VP8X_EXIF_AND_XMP == 0
    assert struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    assert images.check(stripped, "image/webp").width == 32


def test_a_truncated_file_is_refused() -> None:
    with pytest.raises(InvalidInput, match="truncated"):
        image_metadata.strip(jpeg_with(exif(6))[:30], "image/jpeg")


def test_bytes_after_the_png_end_are_dropped() -> None:
    plain = imagebytes.png(4, 4)
    assert image_metadata.strip(plain + GPS_SECRET, "image/png") == plain
