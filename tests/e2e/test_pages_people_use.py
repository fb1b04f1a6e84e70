"""The public pages as people meet them, in headless Chromium over a full build served as
static files (what the CDN serves): no serious or critical axe-core violation on the home,
group, event, post, tag and search pages; an event page of at most 50 KB (HTML, CSS and
JavaScript) that asks nothing of a third party; readable at 320 px; times in the visitor's own
zone too; search by words, tag and date in the browser.

One site is built for the whole module (a moto table, the domain services, `affiche build`),
then served by a plain static file server on loopback."""

from __future__ import annotations

import functools
import io
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.browser_support import ARGS, CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
NOW = datetime(2030, 2, 1, 12, 0, tzinfo=UTC)
LONG_URL = "https://example.org/" + "a-very-long-path-segment-without-any-break" * 4
MAX_EVENT_PAGE = 50 * 1024


@dataclass
class Site:
    url: str
    event: str  # uuid of the event in Paris, with a picture and a long link
    post: str  # slug


class FolderMedia:
    """The domain's MediaStore over a folder: uploads land where the static server finds them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, key: str, body: bytes, content_type: str) -> None:
        (self.root / key).parent.mkdir(parents=True, exist_ok=True)
        (self.root / key).write_bytes(body)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


def photo(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from moto import mock_aws

    from affiche.local.emulator import free_port

    folder = tmp_path_factory.mktemp("site")
    media = tmp_path_factory.mktemp("media")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "eu-west-1", "AFFICHE_PUBLIC_URL": base,
                            "AFFICHE_INSTANCE_NAME": "Lyon together"}.items():
            patch.setenv(name, value)
        # What a local runner started earlier in this process left in the environment: its
        # emulator, and the instance key it keeps in the emulator's SSM.
        for name in ("AWS_ENDPOINT_URL", "AFFICHE_INSTANCE_KEY_PARAMETER",
                     "AFFICHE_DELIVERY_QUEUE_URL", "AFFICHE_DEV_PAGES"):
            patch.delenv(name, raising=False)
        built = _build(folder, media)
    shutil.copytree(media / "media", folder / "media")
    handler = functools.partial(Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site(base, *built)
    server.shutdown()
    server.server_close()


def _build(folder: Path, media: Path) -> tuple[str, str]:
    from argon2 import PasswordHasher

    import affiche.web.passwords as passwords
    from affiche.aws import reset_clients
    from affiche.build import build
    from affiche.config import reset_settings
    from affiche.domain import accounts, event_pictures, events, group_images, groups, posts
    from affiche.domain.context import Ports
    from affiche.domain.events import EventInput
    from affiche.local.resources import create_resources
    from affiche.store.repository import DynamoRepository
    from affiche.web.passwords import Argon2Hasher
    from tests.keys import CannedKeys

    reset_settings()
    reset_clients()
    create_resources()
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    saved, passwords._hasher = passwords._hasher, lambda: fast  # type: ignore[assignment]
    try:
        ports = Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=CannedKeys())
        ada = accounts.signup(ports, email="ada@example.org", password="correct horse battery",
                              username="ada", display_name="Ada", confirmed=True)
    finally:
        passwords._hasher = saved  # type: ignore[assignment]
    store = FolderMedia(media)
    groups.create_group(ports, ada, name="lanterns", display_name="Lantern walkers of Lyon",
                        summary="We walk with *lanterns*.", openness="open")
    group_images.set_group_image(ports, ada, "lanterns", "avatar", photo(400, 400),
                                 "image/jpeg", store)
    group_images.set_group_image(ports, ada, "lanterns", "banner", photo(2400, 800),
                                 "image/jpeg", store)
    walk = events.create_event(ports, ada, "lanterns", EventInput(
        title="Lantern walk along the Saône", begins_on="2030-06-21T21:30",
        ends_on="2030-06-21T23:00", timezone="Europe/Paris", tags=["night", "walk"],
        description=f"Bring a lantern. The route is at <{LONG_URL}>.",
        online_url=LONG_URL,
        address={"name": "Place des Terreaux", "street": "Place des Terreaux",
                 "locality": "Lyon", "postal_code": "69001", "country": "France"}))
    event_pictures.set_event_picture(ports, ada, walk.uuid, photo(1600, 900), "image/jpeg",
                                     store)
    events.create_event(ports, ada, "lanterns", EventInput(
        title="Harvest fair", begins_on="2030-09-14T10:00", ends_on="2030-09-14T18:00",
        timezone="Europe/Paris", tags=["market"], description="Apples and pears."))
    events.create_event(ports, ada, "lanterns", EventInput(
        title="Lantern repair evening", begins_on="2030-06-25T19:00",
        ends_on="2030-06-25T21:00", timezone="Europe/Paris", visibility="unlisted"))
    post = posts.create_post(ports, ada, "lanterns", title="Our lantern season",
                             body=f"It starts in *June*. Details: <{LONG_URL}>",
                             tags=["news"])
    build(folder, now=NOW)
    return walk.uuid, post.slug


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def pages(site: Site) -> dict[str, str]:
    return {"home": "/", "group": "/@lanterns/", "event": f"/events/{site.event}/",
            "post": f"/p/{site.post}/", "tag": "/tags/night/", "search": "/search/?q=lantern"}


def open_page(browser: Browser, site: Site, path: str, **options: object) -> Page:
    context = browser.new_context(base_url=site.url, **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` "
                    "(make test does)")
def test_no_serious_or_critical_accessibility_violation(browser: Browser, site: Site) -> None:
    found: dict[str, list[str]] = {}
    for name, path in pages(site).items():
        page = open_page(browser, site, path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found[name] = [f"{v['id']} ({v['impact']}): {v['help']} at "
                       f"{[n['target'] for n in v['nodes']][:3]}"
                       for v in result["violations"] if v["impact"] in ("serious", "critical")]
        page.context.close()
    assert found == {name: [] for name in found}


def test_every_page_is_readable_at_320_px(browser: Browser, site: Site) -> None:
    for name, path in pages(site).items():
        page = open_page(browser, site, path, viewport={"width": 320, "height": 640})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at 320 px"
        page.context.close()


def test_event_page_is_light_and_asks_no_third_party(browser: Browser, site: Site) -> None:
    # When a visitor opens the event page, everything it loads comes from this site
    context = browser.new_context(base_url=site.url)
    requested: list[tuple[str, str, int]] = []

    def seen(response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        body = response.body() if response.ok else b""  # type: ignore[attr-defined]
        requested.append((request.url, request.resource_type, len(body)))

    page = context.new_page()
    page.on("response", seen)
    page.goto(f"/events/{site.event}/")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
    page.wait_for_load_state("networkidle")
    context.close()
    hosts = {urlsplit(url).netloc for url, _, _ in requested}
    assert hosts == {urlsplit(site.url).netloc}
    # And HTML, CSS and JavaScript together weigh at most 50 KB (images aside)
    weight = sum(size for _, kind, size in requested
                 if kind in ("document", "stylesheet", "script"))
    assert 0 < weight <= MAX_EVENT_PAGE, requested
    # And the picture it shows is a variant no wider than the page shows it
    pictures = [(url, size) for url, kind, size in requested if kind == "image"]
    assert pictures and all("-800w." in url or "-400w." in url or "-1200w." in url
                            for url, _ in pictures), pictures


def test_times_are_also_shown_in_the_visitors_zone(browser: Browser, site: Site) -> None:
    path = f"/events/{site.event}/"
    # A visitor in Tokyo sees the organiser's time and their own
    tokyo = open_page(browser, site, path, timezone_id="Asia/Tokyo", locale="en-GB")
    when = tokyo.locator(".facts time + .local-time")
    assert "21:30" in tokyo.locator(".facts time").inner_text()
    assert "04:30" in when.inner_text() and "Asia/Tokyo" in when.inner_text()
    tokyo.context.close()
    # A visitor in Paris sees it once; without JavaScript the page is complete all the same
    paris = open_page(browser, site, path, timezone_id="Europe/Paris")
    assert paris.locator(".local-time").count() == 0
    paris.context.close()
    plain = open_page(browser, site, path, java_script_enabled=False, timezone_id="Asia/Tokyo")
    assert "21:30" in plain.locator(".facts time").inner_text()
    assert plain.locator(".local-time").count() == 0
    plain.context.close()


def test_search_by_words_tag_and_date(browser: Browser, site: Site) -> None:
    page = open_page(browser, site, "/search/")

    def results(**fields: str) -> list[str]:
        form = page.locator("#search-form")
        for name in ("q", "tag", "from", "to"):
            form.locator(f"[name={name}]").fill(fields.get(name, ""))
        form.get_by_role("button", name="Search").click()
        page.wait_for_function("!document.getElementById('search-status').textContent"
                               ".startsWith('Searching')")
        return page.locator("#search-results li a").all_inner_texts()

    # Words, without accents or case: the listed event, the post and the group
    assert sorted(results(q="LANTERN saone")) == ["Lantern walk along the Saône"]
    assert sorted(results(q="lantern")) == ["Lantern walk along the Saône",
                                            "Lantern walkers of Lyon", "Our lantern season"]
    # (the unlisted event is never in the index)
    assert "Lantern repair evening" not in results(q="repair")
    # A tag; a tag and dates
    assert results(tag="#market") == ["Harvest fair"]
    assert results(q="lantern", **{"from": "2030-06-01", "to": "2030-06-30"}) == [
        "Lantern walk along the Saône"]
    assert results(**{"from": "2030-09-01"}) == ["Harvest fair"]
    assert page.get_by_role("status").inner_text() == "1 result"
    # The search is in the address: the link can be shared
    assert "from=2030-09-01" in page.url
    page.context.close()
    # Without JavaScript the page says so and where to browse instead
    plain = open_page(browser, site, "/search/?q=lantern", java_script_enabled=False)
    assert "needs JavaScript" in plain.locator("main").inner_text()
    plain.context.close()


def test_the_theme_files_keep_within_the_weight_budget() -> None:
    """The event page budget (50 KB) is kept with room: the theme's own files stay small."""
    theme = ROOT / "site" / "theme" / "static"
    assert sum(p.stat().st_size for p in theme.rglob("*.css")) < 8 * 1024
    assert (theme / "js" / "local-time.js").stat().st_size < 2 * 1024
    assert os.path.getsize(theme / "js" / "search.js") < 8 * 1024
