"""Uploaded images are re-encoded from their pixels: no chunk, profile, metadata block or
trailing byte of the upload is published, the picture still looks the same (upright, same
colours), and animations keep their frames."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from affiche.domain import image_reencode
from affiche.domain.errors import InvalidInput
from affiche.domain.image_pipeline import prepare
from tests import imagebytes

SECRET = "GPS 48.8566N 2.3522E"
ORIENTATION, DESCRIPTION = 0x0112, 0x010E


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_private_png_chunk_and_trailing_bytes_do_not_survive() -> None:
    # Given a PNG carrying an `htMl` chunk, a text chunk and bytes after its end
    plain = imagebytes.png(4, 4)
    html = imagebytes._png_chunk(b"htMl", b"<script>alert(1)</script>")
    text = imagebytes._png_chunk(b"tEXt", b"Location\x00" + SECRET.encode())
    upload = plain[:33] + html + text + plain[33:] + b"<html>after the end"
    # When it is prepared
    image = prepare(upload, "image/png")
    # Then none of it is in the published bytes, and the pixels are the same
    assert b"htMl" not in image.data and b"script" not in image.data
    assert SECRET.encode() not in image.data and b"after the end" not in image.data
    assert opened(image.data).convert("RGB").getpixel((2, 2)) == (200, 30, 30)
    assert (image.info.width, image.info.height) == (4, 4)


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                                   ("WEBP", "image/webp")])
def test_exif_and_icc_profiles_do_not_survive(fmt: str, content_type: str) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = imagebytes.photo(fmt, exif={DESCRIPTION: SECRET}, icc=icc)
    assert SECRET.encode() in upload and opened(upload).info.get("icc_profile") == icc
    image = prepare(upload, content_type)
    assert SECRET.encode() not in image.data
    published = opened(image.data)
    assert "icc_profile" not in published.info and "exif" not in published.info
    assert published.format == fmt


def test_jpeg_orientation_is_applied_to_the_pixels() -> None:
    # Given an 8x6 photo taken with the phone turned (Exif orientation 6: rotate 90° clockwise)
    upload = imagebytes.photo("JPEG", 8, 6, exif={ORIENTATION: 6, DESCRIPTION: SECRET})
    # When it is prepared, Then it is 6x8 and upright, with no Exif left to turn it again
    image = prepare(upload, "image/jpeg")
    assert (image.info.width, image.info.height) == (6, 8)
    published = opened(image.data)
    assert published.size == (6, 8) and published.getexif().get(ORIENTATION) is None
    assert SECRET.encode() not in image.data
    red, _, _ = published.convert("RGB").getpixel((5, 0))  # the top-left marker, now top right
    assert red > 200


@pytest.mark.parametrize(("fmt", "content_type"), [("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_animations_are_re_encoded_frame_by_frame(fmt: str, content_type: str) -> None:
    upload = imagebytes.animation(fmt, frames=3, durations=[50, 60, 70])
    image = prepare(upload + b"trailing words", content_type)
    published = opened(image.data)
    assert published.n_frames == 3 and b"trailing words" not in image.data
    colours, durations = [], []
    for n in range(3):
        published.seek(n)
        colours.append(published.convert("RGB").getpixel((5, 5)))
        durations.append(published.info.get("duration"))
    assert len(set(colours)) == 3 and durations == [50, 60, 70]


def test_a_long_animation_is_refused_with_its_reason() -> None:
    frames = image_reencode.MAX_ANIMATION_PIXELS // (100 * 100) + 1
    upload = imagebytes.animation("GIF", frames=min(frames, image_reencode.MAX_FRAMES + 1),
                                  width=100, height=100)
    with pytest.raises(InvalidInput, match="animat"):
        prepare(upload, "image/gif")


def test_a_good_header_with_a_broken_body_is_refused() -> None:
    upload = imagebytes.photo("PNG", 40, 40)
    with pytest.raises(InvalidInput, match=r"cannot be decoded|cannot be read"):
        prepare(upload[:60], "image/png")
    with pytest.raises(InvalidInput):
        prepare(imagebytes.jpeg(640, 480), "image/jpeg")  # a frame header and no scan


def test_a_transparent_palette_png_keeps_its_transparency() -> None:
    image = Image.new("P", (5, 5), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=1)
    published = opened(prepare(out.getvalue(), "image/png").data)
    assert published.convert("RGBA").getpixel((0, 0))[3] == 0
