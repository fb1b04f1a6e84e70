"""Uploaded images are published as resized variants (WebP and JPEG) that pages link with
srcset/sizes, width/height and lazy loading; a replaced or removed image's variants leave the
bucket. Through the real path: API handler -> DynamoDB -> change stream -> outbox -> bucket."""

from __future__ import annotations

import io
import re
from pathlib import Path

import html5lib
import pytest
from PIL import Image

from affiche.domain import image_variants
from affiche.domain.image_pipeline import resized_variants
from functions.api.handler import lambda_handler as api
from tests.functions.api_client import signed_up
from tests.functions.test_group_public_output import Site, create_group, site
from tests.functions.test_pages import Browser

__all__ = ["site"]


def photo(width: int, height: int, fmt: str = "JPEG") -> bytes:
    """A real photo-like image (a gradient, so the encoder has something to compress)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def images_of(page: str) -> list[dict[str, str]]:
    """Every <img> and <source> of a page, as attribute dicts, tag name under "tag"."""
    document = html5lib.parse(page, namespaceHTMLElements=False)
    return [{"tag": element.tag, **element.attrib} for element in document.iter()
            if element.tag in ("img", "source")]


def candidates(srcset: str) -> list[tuple[str, int]]:
    return [(url, int(width.rstrip("w"))) for url, width in
            (item.strip().split() for item in srcset.split(","))]


def test_variant_widths_never_exceed_the_original() -> None:
    assert image_variants.widths(3000) == (96, 192, 400, 800, 1200)
    assert image_variants.widths(500) == (96, 192, 400, 500)
    assert image_variants.widths(64) == (64,)
    made = resized_variants(photo(900, 300), 900, 300)
    assert sorted({(v.width, v.height) for v in made}) == [
        (96, 32), (192, 64), (400, 133), (800, 267), (900, 300)]
    assert {v.content_type for v in made} == {"image/webp", "image/jpeg"}
    for variant in made:
        with Image.open(io.BytesIO(variant.data)) as opened:
            assert opened.size == (variant.width, variant.height)
            assert opened.format == ("WEBP" if variant.extension == "webp" else "JPEG")


def test_a_big_banner_is_published_as_variants_the_page_picks_from(site: Site) -> None:
    # Given a group whose administrator uploads a 2400x800 banner (a few hundred KB)
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    upload = photo(2400, 800)
    answer = ann.post("/api/groups/club/banner", upload, headers={"content-type": "image/jpeg"})
    assert answer.status == 200, answer.body
    key = answer.body["banner"]
    assert re.fullmatch(r"media/club/[0-9a-f]{16}-2400x800\.jpg", key)
    site.publish()
    # Then every variant is in the bucket, long-cached, none wider than 1200 px
    keys = set(site.keys())
    expected = image_variants.variant_keys(key)
    assert len(expected) == 10 and set(expected) <= keys and key in keys
    stored = site.object(expected[0])
    assert "immutable" in stored["CacheControl"] and stored["ContentType"] == "image/webp"
    # And the group page shows it through srcset and sizes, with its size and lazily
    page = site.html("@club/index.html")
    shown = [i for i in images_of(page) if "banner" in i.get("class", "") or i["tag"] == "source"]
    img = next(i for i in shown if i["tag"] == "img")
    webp = next(i for i in shown if i["tag"] == "source")
    assert img["loading"] == "lazy" and (img["width"], img["height"]) == ("800", "267")
    assert webp["type"] == "image/webp" and img["sizes"] == webp["sizes"]
    for srcset in (img["srcset"], webp["srcset"]):
        for url, width in candidates(srcset):
            assert width <= 1200 and url.lstrip("/") in keys
    # (the plain src is the 800 px variant: the width the page shows it at, not 2400)
    assert img["src"] == f"/{key.removesuffix('.jpg')}-800w.jpg"
    assert f'src="/{key}"' not in page and f'srcset="/{key}' not in page

    # When the banner is replaced
    second = photo(1000, 400)
    answer = ann.post("/api/groups/club/banner", second, headers={"content-type": "image/jpeg"})
    new_key = answer.body["banner"]
    site.publish()
    # Then the old variants are gone, the new ones are there, the original stays (federated)
    keys = set(site.keys())
    assert not set(expected) & keys and key in keys
    assert set(image_variants.variant_keys(new_key)) <= keys
    assert new_key.removesuffix(".jpg") in site.html("@club/index.html")

    # When it is removed
    assert ann.call("DELETE", "/api/groups/club/banner").status == 200
    site.publish()
    keys = set(site.keys())
    assert not set(image_variants.variant_keys(new_key)) & keys
    assert "banner" not in site.html("@club/index.html").split("<main", 1)[1]


def test_an_image_still_shown_elsewhere_keeps_its_variants(site: Site) -> None:
    # Given the same image as a group's avatar and as an event's picture
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    image = photo(300, 300)
    avatar = ann.post("/api/groups/club/avatar", image,
                      headers={"content-type": "image/jpeg"}).body["avatar"]
    event = ann.post("/api/groups/club/events", {
        "title": "Lantern walk", "begins_on": "2031-03-14T19:00", "ends_on": "2031-03-14T21:00",
        "timezone": "Europe/Paris"}).body
    picture = ann.post(f"/api/events/{event['uuid']}/picture", image,
                       headers={"content-type": "image/jpeg"}).body["picture"]
    assert picture == avatar  # one stored image: keys are per content
    # When the avatar is removed
    assert ann.call("DELETE", "/api/groups/club/avatar").status == 200
    site.publish()
    # Then the event page still finds every variant it links
    keys = set(site.keys())
    page = site.html(f"events/{event['uuid']}/index.html")
    img = next(i for i in images_of(page) if i["tag"] == "img")
    assert img["loading"] == "lazy" and img["width"] == "300"
    assert all(url.lstrip("/") in keys for url, _ in candidates(img["srcset"]))


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP"])
def test_every_upload_format_gets_webp_and_jpeg_variants(fmt: str, tmp_path: Path) -> None:
    image = Image.new("RGBA", (500, 250), (10, 120, 200, 128))
    out = io.BytesIO()
    image.save(out, fmt)
    made = resized_variants(out.getvalue(), 500, 250)
    assert {(v.width, v.extension) for v in made} == {
        (w, ext) for w in (96, 192, 400, 500) for ext in ("webp", "jpg")}


def test_deleting_an_event_or_a_post_deletes_its_pictures_variants(site: Site) -> None:
    # Given two events showing the same picture, and a post with a picture of its own,
    # written by Ann who uses the API and the members' pages
    ann = Browser(api)
    signed_up(ann, site.maildir, "ann@example.org", "ann")
    create_group(ann, "club")
    shared, own = photo(600, 300), photo(500, 500)
    uuids = []
    for title in ("Lantern walk", "Lantern walk again"):
        event = ann.post("/api/groups/club/events", {
            "title": title, "begins_on": "2031-03-14T19:00", "ends_on": "2031-03-14T21:00",
            "timezone": "Europe/Paris"}).body
        picture = ann.post(f"/api/events/{event['uuid']}/picture", shared,
                           headers={"content-type": "image/jpeg"}).body["picture"]
        uuids.append(event["uuid"])
    post = ann.post("/api/groups/club/posts", {"title": "Spring notes", "body": "Hello"}).body
    post_picture = ann.post(f"/api/posts/{post['slug']}/picture", own,
                            headers={"content-type": "image/jpeg"}).body["picture"]
    site.publish()
    assert set(image_variants.variant_keys(picture)) <= set(site.keys())

    # When the first event is deleted
    assert ann.call("DELETE", f"/api/events/{uuids[0]}").status == 200
    site.publish()
    # Then the other event still finds every variant it links
    assert set(image_variants.variant_keys(picture)) <= set(site.keys())

    # When the second is deleted from its editor page
    ann.get(f"/app/events/{uuids[1]}/edit")
    assert ann.submit(f"/app/events/{uuids[1]}/delete", {}).status == 303
    site.publish()
    # Then no page shows the image any more: its variants are gone, the original stays
    keys = set(site.keys())
    assert not set(image_variants.variant_keys(picture)) & keys and picture in keys

    # When the post is deleted from its page
    ann.get(f"/app/posts/{post['slug']}")
    assert ann.submit(f"/app/posts/{post['slug']}/delete", {}).status == 303
    site.publish()
    # Then its picture's variants are gone too
    keys = set(site.keys())
    assert not set(image_variants.variant_keys(post_picture)) & keys and post_picture in keys
