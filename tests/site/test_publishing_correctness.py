"""What people notice of the static output's correctness (issue 8): whatever the API accepts
publishes and parses in every format; calendars import at the right instant in zones north and
south of the equator, on both sides of a DST change, and follow edits and cancellations;
search engines and link previews find what they read (sitemaps, robots.txt, tags, meta tags).

Everything goes through the domain services and the one renderer, over moto's DynamoDB."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import feedparser
import html5lib
import icalendar
import pytest
import vobject
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from affiche.build import build
from affiche.config import get_settings, reset_settings
from affiche.domain import accounts, event_lifecycle, events, groups, posts
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput
from affiche.domain.events import EventInput
from affiche.domain.model import Account
from affiche.publish import artifacts, indexes, sitemap
from affiche.publish.renderer import Output, Renderer
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.keys import CannedKeys

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


class TickingClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@dataclass
class Instance:
    repo: DynamoRepository
    ports: Ports
    ada: Account

    def render(self, *planned: artifacts.Artifact) -> dict[str, bytes]:
        output: Output = artifacts.render(Renderer(get_settings(), self.repo, NOW), planned)
        return {f.key: f.body for f in output.files}


@pytest.fixture
def instance(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> Instance:
    monkeypatch.setenv("AFFICHE_INSTANCE_NAME", "Affiche test")
    reset_settings()
    repo = DynamoRepository()
    ports = Ports(repo=repo, hasher=Argon2Hasher(), keys=CannedKeys(),
                  clock=TickingClock(NOW - timedelta(days=1)))
    ada = accounts.signup(ports, email="ada@example.org", password="correct horse battery",
                          username="ada", display_name="Ada", confirmed=True)
    groups.create_group(ports, ada, name="cyclists", display_name="Cyclists", summary="",
                        openness="open")
    return Instance(repo, ports, ada)


def event_input(title: str = "Ride", when: str = "2027-07-15T19:00", zone: str = "Europe/Paris",
                **extra: Any) -> EventInput:
    ends = (datetime.fromisoformat(when) + timedelta(hours=2)).isoformat()
    return EventInput(title=title, begins_on=when, ends_on=ends, timezone=zone, **extra)


# --- 1. nothing accepted fails to publish -------------------------------------------------------
@pytest.mark.parametrize("field", ["title", "display_name", "post_title", "place"])
@pytest.mark.parametrize("bad", ["Line one\nline two", "bell \x01 here", "tab\tbed", "a\u2028b"])
def test_single_line_text_with_control_characters_is_refused(instance: Instance, field: str,
                                                             bad: str) -> None:
    # When someone sends a title, a display name or a place name holding a line break or a
    # control character, then it is refused at input, naming the field
    with pytest.raises(InvalidInput) as refused:
        if field == "title":
            events.create_event(instance.ports, instance.ada, "cyclists", event_input(bad))
        elif field == "display_name":
            groups.update_group(instance.ports, instance.ada, "cyclists", display_name=bad)
        elif field == "post_title":
            posts.create_post(instance.ports, instance.ada, "cyclists", title=bad, body="Hi")
        else:
            events.create_event(instance.ports, instance.ada, "cyclists",
                                event_input(address={"name": bad, "locality": "Lyon"}))
    assert refused.value.field in {"title", "display_name", "address.name"}
    assert "control characters" in str(refused.value)


def test_descriptions_keep_line_breaks_but_refuse_controls(instance: Instance) -> None:
    event = events.create_event(instance.ports, instance.ada, "cyclists",
                                event_input(description="Line one\n\nLine two"))
    assert "Line two" in event.description_html
    with pytest.raises(InvalidInput, match="description"):
        events.create_event(instance.ports, instance.ada, "cyclists",
                            event_input(description="nul \x00 byte"))


def check_html(body: bytes) -> Any:
    return html5lib.parse(body, treebuilder="etree", namespaceHTMLElements=False)


def check_calendar(body: bytes, expected: list[str]) -> None:
    """Both parsers read every `expected` title (examples share one group: others too)."""
    parsed = icalendar.Calendar.from_ical(body)
    assert {str(v["SUMMARY"]) for v in parsed.walk("VEVENT")} >= set(expected)
    second = vobject.readOne(body.decode())
    assert {v.summary.value for v in second.contents.get("vevent", [])} >= set(expected)


def check_artifacts(files: dict[str, bytes], titles: list[str]) -> None:
    for key, body in files.items():
        if key.endswith(".html"):
            check_html(body)
        elif key.endswith(".json"):
            json.loads(body)
        elif key.endswith(".atom"):
            feed = feedparser.parse(body)
            assert not feed.bozo, (key, feed.get("bozo_exception"))
        elif key.endswith(".ics"):
            parsed = icalendar.Calendar.from_ical(body)
            assert parsed.walk("VEVENT") is not None
            vobject.readOne(body.decode())
        elif key.endswith(".xml"):
            ET.fromstring(body)
    feed = feedparser.parse(files["feed.atom"])
    assert {e.title for e in feed.entries} >= set(titles)
    check_calendar(files["@cyclists/feed.ics"], titles)


TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=TEXT, description=st.text(max_size=200), name=TEXT, post_title=TEXT,
       tags=st.lists(st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True), max_size=3))
def test_whatever_is_accepted_publishes_and_parses(instance: Instance, title: str,
                                                   description: str, name: str,
                                                   post_title: str, tags: list[str]) -> None:
    # Given whatever a person may type into a group's name, an event and a post
    ports, ada = instance.ports, instance.ada
    try:
        groups.update_group(ports, ada, "cyclists", display_name=name)
        event = events.create_event(ports, ada, "cyclists", event_input(
            title, description=description, tags=tags, address={"name": title[:50] or "x"}))
        post = posts.create_post(ports, ada, "cyclists", title=post_title,
                                 body=description or "body")
    except InvalidInput:
        return  # refused at input with a 4xx: nothing half-written to publish
    # When every artifact they touch renders
    files = instance.render(("event", event.uuid), ("post", post.slug), ("actor", "cyclists"),
                            *artifacts.INSTANCE, *(("tag", t) for t in event.tags))
    # Then each parses in its own format, the title intact
    check_artifacts(files, [event.title])
    [ld] = JSON_LD.findall(files[f"events/{event.uuid}/index.html"].decode())
    assert json.loads(ld)["name"] == event.title
    page = check_html(files[f"events/{event.uuid}/index.html"])
    assert page.find("head/title").text.startswith(event.title)


def test_a_title_cannot_break_out_of_the_json_ld(instance: Instance) -> None:
    title = "</script><script>alert(1)</script>"
    event = events.create_event(instance.ports, instance.ada, "cyclists", event_input(title))
    page = instance.render(("event", event.uuid))[f"events/{event.uuid}/index.html"].decode()
    assert "<script>alert(1)" not in page
    [ld] = JSON_LD.findall(page)
    assert json.loads(ld)["name"] == title


# --- 2. calendars import right ------------------------------------------------------------------
@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Paris", "Australia/Sydney",
                                  "America/Santiago"])
def test_calendar_times_are_right_on_both_sides_of_dst(instance: Instance, zone: str) -> None:
    # Given a July and a January event at 19:00 local time
    july = events.create_event(instance.ports, instance.ada, "cyclists",
                               event_input("July", "2027-07-15T19:00", zone))
    january = events.create_event(instance.ports, instance.ada, "cyclists",
                                  event_input("January", "2028-01-15T19:00", zone))
    body = instance.render(("actor", "cyclists"))["@cyclists/feed.ics"]
    # Then the VTIMEZONE lists one onset a line (no comma-separated RDATE)
    assert not [line for line in body.decode().splitlines()
                if line.startswith("RDATE") and "," in line]
    expected = {"July": july.begins_on, "January": january.begins_on}
    # ... icalendar finds the UTC instants
    for vevent in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        assert vevent.decoded("DTSTART").astimezone(UTC) == expected[str(vevent["SUMMARY"])]
    # ... and so does vobject from the VTIMEZONE alone (the zone renamed: no IANA lookup; one
    # name per zone, as vobject caches zones by TZID across calls)
    renamed = body.replace(zone.encode(), f"Copy of {zone}".encode())
    for vevent in vobject.readOne(renamed.decode()).vevent_list:
        start = vevent.dtstart.value
        assert start.astimezone(UTC) == expected[vevent.summary.value], zone
        assert (start.hour, start.minute) == (19, 0)


def test_calendar_follows_edits_and_cancellation(instance: Instance) -> None:
    # Given a published event with tags, a place with coordinates and an HTML-ish description
    ports, ada = instance.ports, instance.ada
    event = events.create_event(ports, ada, "cyclists", event_input(
        "Ride", tags=["bike", "night"], description="Tom & Jerry **ride**",
        address={"name": "Fountain", "locality": "Lyon", "latitude": 45.76,
                 "longitude": 4.83}))

    def vevent() -> Any:
        body = instance.render(("event", event.uuid))[f"events/{event.uuid}/event.ics"]
        assert body.count(b"CATEGORIES") == 1
        [found] = icalendar.Calendar.from_ical(body).walk("VEVENT")
        return found

    first = vevent()
    assert first["SEQUENCE"] == 0
    assert str(first["DESCRIPTION"]) == "Tom & Jerry ride"
    assert [str(c) for c in first["CATEGORIES"].cats] == ["bike", "night"]
    assert str(first["URL"]) == f"https://affiche.test/events/{event.uuid}/"
    assert str(first["LOCATION"]).startswith("Fountain")
    assert (first["GEO"].latitude, first["GEO"].longitude) == (45.76, 4.83)
    # When it moves, then it is cancelled
    events.update_event(ports, ada, event.uuid, event_input(
        "Ride", "2027-07-16T19:00", tags=["bike", "night"]))
    assert vevent()["SEQUENCE"] == 1
    event_lifecycle.cancel_event(ports, ada, event.uuid)
    cancelled = vevent()
    assert cancelled["SEQUENCE"] == 2
    assert cancelled["STATUS"] == "CANCELLED"


# --- 3. sharing and search engines --------------------------------------------------------------
def test_pages_carry_sharing_tags_and_alternates(instance: Instance) -> None:
    event = events.create_event(instance.ports, instance.ada, "cyclists", event_input(
        "Ride & picnic", capacity=20, online_url="https://meet.example.org/x",
        address={"name": "Park", "locality": "Lyon"}))
    post = posts.create_post(instance.ports, instance.ada, "cyclists", title="News", body="Hi")
    files = instance.render(("event", event.uuid), ("post", post.slug), ("actor", "cyclists"))
    for key, url in [(f"events/{event.uuid}/index.html", f"/events/{event.uuid}/"),
                     (f"p/{post.slug}/index.html", f"/p/{post.slug}/"),
                     ("@cyclists/index.html", "/@cyclists/")]:
        head = check_html(files[key]).find("head")
        links = {(ln.get("rel"), ln.get("type")): ln.get("href") for ln in head.iter("link")}
        metas = {m.get("property") or m.get("name"): m.get("content") for m in head.iter("meta")}
        assert links[("canonical", None)] == "https://affiche.test" + url
        assert links[("alternate", "application/activity+json")] == "https://affiche.test" + url
        assert metas["og:url"] == "https://affiche.test" + url
        assert metas["twitter:card"] in {"summary", "summary_large_image"}
        assert metas["og:title"] and metas["twitter:title"]
    [ld_text] = JSON_LD.findall(files[f"events/{event.uuid}/index.html"].decode())
    ld = json.loads(ld_text)
    assert ld["startDate"] == "2027-07-15T19:00:00+02:00"
    assert ld["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert {where["@type"] for where in ld["location"]} == {"Place", "VirtualLocation"}
    assert ld["offers"]["availability"] == "https://schema.org/InStock"
    assert ld["organizer"]["name"] == "Cyclists"


def test_sitemaps_robots_and_tags(instance: Instance, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ports, ada = instance.ports, instance.ada
    monkeypatch.setattr(sitemap, "PER_FILE", 1)  # a small group's sitemap already spans two files
    public = [events.create_event(ports, ada, "cyclists", event_input(f"Ride {n}", tags=["bike"]))
              for n in range(3)]
    hidden = events.create_event(ports, ada, "cyclists", event_input(
        "Committee", visibility="private", tags=["secret"]))
    files = {p.relative_to(tmp_path).as_posix(): p.read_bytes()
             for p in build(tmp_path, now=NOW).rglob("*") if p.is_file()}
    robots = files["robots.txt"].decode()
    assert "Disallow: /app/" in robots and "Disallow: /api/" in robots
    assert "Sitemap: https://affiche.test/sitemap.xml" in robots
    ns = {"s": sitemap.SITEMAPS}
    index = [loc.text for loc in ET.fromstring(files["sitemap.xml"]).findall("s:sitemap/s:loc", ns)]
    # The group's own sitemap (its page, archive years, posts), then one per month of each
    # archive year with that month's events (written with the month's page: a publish never
    # reads every event; a month without one has a placeholder naming the year's page)
    assert index == ["https://affiche.test/sitemap-site.xml",
                     "https://affiche.test/@cyclists/sitemap.xml",
                     "https://affiche.test/@cyclists/sitemap-2.xml",
                     *(f"https://affiche.test/@cyclists/events/2027/{m:02d}/sitemap.xml"
                       for m in range(1, 13))]
    assert all(key.removeprefix("https://affiche.test/") in files for key in index)
    listed = [loc.text for key in ("@cyclists/sitemap.xml", "@cyclists/sitemap-2.xml",
                                   "@cyclists/events/2027/07/sitemap.xml", "sitemap-site.xml")
              for loc in ET.fromstring(files[key]).findall("s:url/s:loc", ns)]
    for event in public:
        assert f"https://affiche.test/events/{event.uuid}/" in listed
    assert f"https://affiche.test/events/{hidden.uuid}/" not in listed
    assert "https://affiche.test/tags/bike/" in listed
    tags = check_html(files["tags/index.html"])
    assert [a.get("href") for a in tags.iter("a") if a.get("href", "").startswith("/tags/")] == [
        "/tags/bike/"]


def test_the_incremental_path_keeps_sitemaps_and_tags_current(instance: Instance) -> None:
    event = events.create_event(instance.ports, instance.ada, "cyclists",
                                event_input("Ride", tags=["gravel"]))
    [activity] = [a for a in instance.repo.outbox("cyclists", limit=5)
                  if a.object_key == event.uuid]
    planned = artifacts.touched_by(activity)
    assert ("sitemaps",) in planned and ("tags_index",) in planned
    indexes.record(activity)  # as the outbox does before it renders (publish/service.py)
    files = instance.render(*planned)
    assert b"/tags/gravel/" in files["tags/index.html"]
    local = event.begins_on.astimezone(ZoneInfo(event.timezone))
    assert f"/events/{event.uuid}/".encode() in files[
        f"@cyclists/events/{local.year}/{local.month:02d}/sitemap.xml"]


def test_a_stored_control_character_cannot_break_the_atom_feed() -> None:
    # Given a title stored before input refused control characters (or copied from elsewhere)
    from affiche.publish import feeds

    entry = feeds.Entry(id="https://affiche.test/events/x/", title="Bell \x01 ride",
                        url="https://affiche.test/events/x/", updated=NOW,
                        summary="a\x0bb", content_html="<p>c\x1fd</p>")
    body = feeds.atom("https://affiche.test/", "Inst\x02", "https://affiche.test/feed.atom",
                      [entry], NOW)
    # Then the feed is still XML 1.0, the rest of the title kept
    ET.fromstring(body)
    feed = feedparser.parse(body)
    assert not feed.bozo
    assert feed.entries[0].title == "Bell  ride"
