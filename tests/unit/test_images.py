"""The image header parser: type and size of PNG, GIF, JPEG and WebP read from hand-built bytes,
and refusals of what is not an image, is cut short, lies about its type or is too big."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from affiche.domain import group_images, images
from affiche.domain.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from affiche.domain.image_pipeline import prepare
from tests import imagebytes

BUILDERS: list[tuple[str, Callable[..., bytes]]] = [
    ("image/png", imagebytes.png),
    ("image/gif", imagebytes.gif),
    ("image/jpeg", imagebytes.jpeg),
    ("image/webp", imagebytes.webp_lossy),
    ("image/webp", imagebytes.webp_lossless),
    ("image/webp", imagebytes.webp_extended),
]


@pytest.mark.parametrize(("content_type", "build"), BUILDERS)
def test_reads_type_and_dimensions_from_the_header(content_type: str,
                                                   build: Callable[..., bytes]) -> None:
    # Given a 7x3 image, When its header is read, Then type and size are found
    info = images.inspect(build(7, 3))
    assert (info.content_type, info.width, info.height) == (content_type, 7, 3)


@pytest.mark.parametrize(("content_type", "build"), BUILDERS)
def test_the_largest_accepted_image_is_24_megapixels(content_type: str,
                                                     build: Callable[..., bytes]) -> None:
    # a real 6000x4000 PNG body would be large: a header alone says the same
    data = _png_header(6000, 4000) if build is imagebytes.png else build(6000, 4000)
    info = images.inspect(data)
    assert (info.content_type, info.width, info.height) == (content_type, 6000, 4000)


@pytest.mark.parametrize(("width", "height"), [(8193, 1), (1, 8193), (40000, 40000)])
def test_oversized_sides_are_refused(width: int, height: int) -> None:
    for data in (_png_header(width, height), imagebytes.jpeg(width, height),
                 imagebytes.gif(width, height), imagebytes.webp_extended(width, height)):
        with pytest.raises(InvalidInput, match="at most 8192x8192"):
            images.inspect(data)
    with pytest.raises(InvalidInput, match="at most 8192x8192"):
        images.inspect(imagebytes.webp_lossless(min(width, 16384), min(height, 16384)))


@pytest.mark.parametrize("build", [_b for _, _b in BUILDERS])
def test_a_64_megapixel_image_is_refused_from_its_header(build: Callable[..., bytes]) -> None:
    # Given 8000x8000 declared in the header (sides within the limit), When it is inspected,
    # Then it is refused by its pixel count: nothing was decoded (there are no pixels here)
    data = _png_header(8000, 8000) if build is imagebytes.png else build(8000, 8000)
    with pytest.raises(InvalidInput, match=r"8000x8000 pixels \(64.0 megapixels\); images may "
                                           "have at most 24 megapixels"):
        images.inspect(data)


def test_jpeg_frame_header_is_found_after_other_segments_and_fill_bytes() -> None:
    # Progressive (SOF2) and fill bytes before the marker are both legal
    info = images.inspect(imagebytes.jpeg(640, 480, sof=0xC2, padding=True))
    assert (info.width, info.height) == (640, 480)


def test_jpeg_huffman_table_marker_is_not_mistaken_for_a_frame_header() -> None:
    # DHT (C4) sits in the SOF range but carries no size
    dht = b"\xff\xc4" + b"\x00\x08" + b"\x00" * 6
    data = imagebytes.jpeg(10, 20)
    data = data[:2] + dht + data[2:]
    assert images.inspect(data).height == 20


@pytest.mark.parametrize("data", [
    b"", b"hello", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7\n",
    b"RIFF\x10\x00\x00\x00WAVEfmt ", b"\x00" * 64,
])
def test_bytes_without_a_known_magic_number_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput, match="not a PNG, JPEG, WebP or GIF"):
        images.inspect(data)


@pytest.mark.parametrize("data", [
    imagebytes.png(2, 2)[:20],  # cut inside IHDR
    imagebytes.png(2, 2)[:30],  # IHDR data present, CRC missing
    imagebytes.gif(2, 2)[:8],
    imagebytes.jpeg(2, 2)[:4],  # inside APP0's length
    imagebytes.jpeg(2, 2)[:22],  # SOF marker present, its sizes not
    b"\xff\xd8",
    imagebytes.webp_lossy(2, 2)[:27],
    imagebytes.webp_lossless(2, 2)[:22],
    imagebytes.webp_extended(2, 2)[:26],
    b"RIFF\x00\x00\x00\x00WEBP",
])
def test_truncated_headers_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput, match="truncated"):
        images.inspect(data)


def test_corrupt_or_empty_headers_are_refused() -> None:
    png = bytearray(imagebytes.png(2, 2))
    png[17] ^= 0xFF  # width changed behind the CRC's back
    with pytest.raises(InvalidInput, match="bad checksum"):
        images.inspect(bytes(png))
    with pytest.raises(InvalidInput, match="no width or no height"):
        images.inspect(imagebytes.gif(0, 5))
    with pytest.raises(InvalidInput, match="no frame header"):
        images.inspect(b"\xff\xd8\xff\xda\x00\x02")
    with pytest.raises(InvalidInput, match="malformed"):
        images.inspect(b"\xff\xd8\x00\x00\x00\x00")
    with pytest.raises(InvalidInput, match="no VP8"):
        images.inspect(imagebytes.webp_lossy(2, 2).replace(b"VP8 ", b"ALPH"))


def test_declared_type_must_be_an_image_type_and_match_the_bytes() -> None:
    assert images.check(imagebytes.png(), "image/PNG; charset=binary").extension == "png"
    assert images.check(imagebytes.jpeg(), "image/jpeg").extension == "jpg"
    with pytest.raises(UnsupportedMediaType):
        images.check(b"<svg/>", "image/svg+xml")
    with pytest.raises(UnsupportedMediaType):
        images.check(imagebytes.png(), "application/octet-stream")
    with pytest.raises(InvalidInput, match="is a GIF image but was sent as image/png"):
        images.check(imagebytes.gif(), "image/png")


def test_slot_size_limits_and_content_addressed_keys() -> None:
    big = imagebytes.png() + b"\x00" * group_images.MAX_BYTES["avatar"]
    with pytest.raises(PayloadTooLarge, match="at most 1 MiB"):
        group_images.checked_image("avatar", big, "image/png")
    banner = group_images.checked_image("banner", big, "image/png")  # 4 MiB there
    assert banner.info.width == 1 and len(banner.data) < 100  # the padding did not survive
    with pytest.raises(InvalidInput, match="one of: avatar, banner"):
        group_images.checked_image("wallpaper", imagebytes.png(), "image/png")
    image = group_images.checked_image("avatar", imagebytes.png(), "image/png")
    key = group_images.media_key("club", image)
    assert key.startswith("media/club/") and key.endswith(".png")
    assert key == group_images.media_key("club", prepare(imagebytes.png(), "image/png"))
    other = prepare(imagebytes.png(rgb=(1, 2, 3)), "image/png")
    assert key != group_images.media_key("club", other)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims `width`x`height`, with a correct CRC and no pixel data."""
    import struct
    import zlib

    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr
            + struct.pack(">I", zlib.crc32(ihdr)))
