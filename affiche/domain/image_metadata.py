"""Removing what a photo says about the person who took it before it is published.

A phone's JPEG carries Exif (GPS position, time, device), XMP and IPTC blocks; PNG and WebP can
carry the same in text and EXIF/XMP chunks. Group images are public and federated, so those
blocks are dropped from the container without touching the pixels (no imaging library needed).
JPEG's Exif orientation is the one field kept: without it a portrait photo shows sideways, so the
Exif block is replaced by a minimal one holding only the orientation.
GIF is passed through: its only metadata are comment and application blocks, which cameras do
not write.
"""

from __future__ import annotations

import struct

from affiche.domain.errors import InvalidInput

JPEG_DROPPED = frozenset({0xE1, 0xED, 0xFE})  # APP1 (Exif, XMP), APP13 (IPTC), COM
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
WEBP_DROPPED = frozenset({b"EXIF", b"XMP "})
VP8X_EXIF_AND_XMP = 0x08 | 0x04
ORIENTATION_TAG = 0x0112


def strip(data: bytes, content_type: str) -> bytes:
    """`data` without personal metadata; the image itself is unchanged."""
    strippers = {"image/jpeg": _jpeg, "image/png": _png, "image/webp": _webp}
    stripper = strippers.get(content_type)
    try:
        return stripper(data) if stripper else data
    except (IndexError, struct.error) as error:
        raise InvalidInput("the image file is truncated or corrupt") from error


# --- JPEG ---------------------------------------------------------------------------------------

def _jpeg(data: bytes) -> bytes:
    kept = [data[:2]]
    offset = 2
    while offset < len(data):
        if data[offset] != 0xFF:
            raise IndexError("not a marker")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if marker in JPEG_STANDALONE:
            kept.append(data[offset:offset + 2])
            offset += 2
            continue
        if marker in (JPEG_SOS, JPEG_EOI):  # image data follows: nothing more to filter
            kept.append(data[offset:])
            break
        (length,) = struct.unpack(">H", data[offset + 2:offset + 4])
        segment = data[offset:offset + 2 + length]
        if len(segment) < 2 + length:
            raise IndexError("segment runs past the end")
        if marker not in JPEG_DROPPED:
            kept.append(segment)
        elif marker == 0xE1 and (orientation := _exif_orientation(segment[4:])) not in (None, 1):
            kept.append(_orientation_only_exif(orientation))
        offset += 2 + length
    return b"".join(kept)


def _exif_orientation(payload: bytes) -> int | None:
    """The Orientation tag of an Exif APP1 payload's first IFD, if there is one."""
    if not payload.startswith(b"Exif\x00\x00"):
        return None
    tiff = payload[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[ifd:ifd + 2])
    for n in range(count):
        entry = tiff[ifd + 2 + 12 * n:ifd + 14 + 12 * n]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag == ORIENTATION_TAG and kind == 3:  # SHORT
            (value,) = struct.unpack(order + "H", entry[8:10])
            return int(value)
    return None


def _orientation_only_exif(orientation: int) -> bytes:
    """An APP1 Exif segment whose single tag is the orientation (big-endian TIFF)."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", ORIENTATION_TAG, 3, 1, orientation, 0)
    payload = b"Exif\x00\x00" + b"MM\x00\x2a" + struct.pack(">I", 8) + ifd + b"\x00" * 4
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


# --- PNG ----------------------------------------------------------------------------------------

def _png(data: bytes) -> bytes:
    kept = [data[:8]]
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        end = offset + 12 + length  # length, type, data, CRC
        if end > len(data):
            raise IndexError("chunk runs past the end")
        if kind not in PNG_DROPPED:
            kept.append(data[offset:end])
        if kind == b"IEND":
            break  # bytes after the end are no part of the image (and a classic hiding place)
        offset = end
    return b"".join(kept)


# --- WebP ---------------------------------------------------------------------------------------

def _webp(data: bytes) -> bytes:
    chunks = []
    offset = 12  # "RIFF" size "WEBP"
    (riff_size,) = struct.unpack("<I", data[4:8])
    while offset < min(len(data), 8 + riff_size):
        kind = data[offset:offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4:offset + 8])
        end = offset + 8 + length + (length & 1)  # chunks are padded to an even size
        if offset + 8 + length > len(data):
            raise IndexError("chunk runs past the end")
        chunk = data[offset:end]
        if kind == b"VP8X":  # the header's flags must no longer announce EXIF or XMP
            chunk = chunk[:8] + bytes([chunk[8] & ~VP8X_EXIF_AND_XMP & 0xFF]) + chunk[9:]
        if kind not in WEBP_DROPPED:
            chunks.append(chunk)
        offset = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
