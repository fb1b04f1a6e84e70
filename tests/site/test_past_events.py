"""Past, cancelled and finished events on the static site, and the per-year archive pages.

Given a group with events before and after the build's clock, one cancelled, one moved from a
year to another and one deleted, the full build and the incremental (outbox) path must agree to
the byte; the group page lists recent past events and links one archive page per year; an event
that is over or cancelled says so and offers neither "Participate" nor "Add to my calendar".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from affiche.build import build
from affiche.config import get_settings, reset_settings
from affiche.domain import accounts, event_lifecycle, events, groups
from affiche.domain.context import Ports
from affiche.domain.events import EventInput
from affiche.domain.model import Account, Event
from affiche.publish.service import publish
from affiche.publish.writers import FolderWriter
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.keys import CannedKeys
from tests.site.test_build import START, TickingClock, tree

NOW = datetime(2030, 2, 1, 12, 0, tzinfo=UTC)
PLACE = {"name": "Parc de la Tête d'Or", "locality": "Lyon", "latitude": 45.777,
         "longitude": 4.855}


@dataclass
class Calendar:
    repo: DynamoRepository
    old: Event  # 2029, over
    last_month: Event  # January 2030, over
    running: Event  # began before NOW, ends after
    cancelled: Event  # upcoming but cancelled
    upcoming: Event  # upcoming, with every field
    moved: Event  # created in 2027, moved to 2026
    deleted: Event  # 2025, deleted: its year page goes
    draft: Event


def ev(title: str, begins: str, ends: str, **extra: object) -> EventInput:
    return EventInput(title=title, begins_on=begins, ends_on=ends, timezone="Europe/Paris",
                      **extra)  # type: ignore[arg-type]


@pytest.fixture
def calendar(aws: Path, cheap_crypto: None) -> Calendar:
    reset_settings()
    repo = DynamoRepository()
    ports = Ports(repo=repo, hasher=Argon2Hasher(), keys=CannedKeys(), clock=TickingClock(START))
    ada: Account = accounts.signup(ports, email="ada@example.org", password="correct horse b",
                                   username="ada", display_name="Ada", confirmed=True)
    groups.create_group(ports, ada, name="walkers", display_name="Walkers", openness="open")

    def make(title: str, begins: str, ends: str, **extra: object) -> Event:
        return events.create_event(ports, ada, "walkers", ev(title, begins, ends, **extra))

    old = make("Autumn walk", "2029-10-12T10:00", "2029-10-12T12:00")
    last_month = make("January walk", "2030-01-12T10:00", "2030-01-12T12:00")
    running = make("Long weekend hike", "2030-01-31T09:00", "2030-02-03T18:00")
    cancelled = make("Storm walk", "2030-03-01T10:00", "2030-03-01T12:00")
    event_lifecycle.cancel_event(ports, ada, cancelled.uuid)
    upcoming = make("Spring walk", "2030-04-01T10:00", "2030-04-01T12:00", address=PLACE,
                    category="OUTDOORS_ADVENTURE", accessibility=["wheelchair"],
                    contacts=["ada"])
    moved = make("Walk that moved", "2027-05-01T10:00", "2027-05-01T12:00")
    events.patch_event(ports, ada, moved.uuid, {"begins_on": "2026-05-01T10:00",
                                               "ends_on": "2026-05-01T12:00"})
    deleted = make("Walk that never was", "2025-05-01T10:00", "2025-05-01T12:00")
    event_lifecycle.delete_event(ports, ada, deleted.uuid)
    draft = make("Secret draft walk", "2029-12-01T10:00", "2029-12-01T12:00", draft=True)
    return Calendar(repo, old, last_month, running, cancelled, upcoming, moved, deleted, draft)


def incremental(repo: DynamoRepository, folder: Path) -> dict[str, bytes]:
    settings = get_settings()
    for activity in sorted(repo.all_of_kind("activity"), key=lambda a: (a.published, a.id)):
        publish(activity, settings=settings, store=repo, writer=FolderWriter(folder), now=NOW)
    return tree(folder)


def page(files: dict[str, bytes], key: str) -> str:
    return files[key].decode()


def test_full_build_and_outbox_agree_on_past_events_and_archives(calendar: Calendar,
                                                                tmp_path: Path) -> None:
    written = incremental(calendar.repo, tmp_path / "incremental")
    full = tree(build(tmp_path / "full", now=NOW))
    archives = sorted(k for k in full if k.startswith("@walkers/events/"))
    # Then one archive page per year with a listed event, one page (and the sitemap of its
    # events) per month with one, a placeholder sitemap for the other months of those years;
    # the emptied years are gone
    months = {(2026, 5), (2029, 10), (2030, 1), (2030, 3), (2030, 4)}
    assert archives == sorted(
        [f"@walkers/events/{y}/index.html" for y in (2026, 2029, 2030)]
        + [f"@walkers/events/{y}/{m:02d}/sitemap.xml" for y in (2026, 2029, 2030)
           for m in range(1, 13)]
        + [f"@walkers/events/{y}/{m:02d}/index.html" for y, m in months])
    assert sorted(k for k in written if k.startswith("@walkers/events/")) == archives
    assert sorted(set(written) - set(full)) == []
    # (a deleted event leaves only its Tombstone, which makes its URL answer 410 Gone)
    assert [k for k in written if calendar.deleted.uuid in k] == [
        f"events/{calendar.deleted.uuid}/gone.json"]
    assert [key for key in written if written[key] != full[key]] == []


def test_group_page_lists_recent_past_events_and_links_the_archive(calendar: Calendar,
                                                                  tmp_path: Path) -> None:
    full = tree(build(tmp_path / "full", now=NOW))
    group = page(full, "@walkers/index.html")
    upcoming, past = group.split("<h2>Past events</h2>")
    assert "Spring walk" in upcoming and "Storm walk" in upcoming
    assert "January walk" not in upcoming
    # Latest first, the running hike included (it has begun)
    assert past.index("Long weekend hike") < past.index("January walk") < past.index(
        "Autumn walk")
    for year in (2030, 2029, 2026):
        assert f'href="/@walkers/events/{year}/"' in past
    # Drafts are nowhere; a deleted event has no page, and nothing shows it any more: the outbox
    # keeps the history of what was federated (its Create and its Delete) as Tombstones
    assert not [k for k, body in full.items() if b"Secret draft walk" in body]
    assert [k for k, body in full.items() if b"Walk that never was" in body] == []
    outbox = json.loads(full["@walkers/outbox.json"])
    assert [(a["type"], a["object"]["type"]) for a in outbox["orderedItems"]
            if calendar.deleted.uuid in a["object"]["id"]] == [("Delete", "Tombstone"),
                                                              ("Create", "Tombstone")]
    assert not [k for k in full if calendar.draft.uuid in k]
    assert [k for k in full if calendar.deleted.uuid in k] == [
        f"events/{calendar.deleted.uuid}/gone.json"]


def test_an_archive_page_lists_the_events_of_its_month(calendar: Calendar, tmp_path: Path) -> None:
    full = tree(build(tmp_path / "full", now=NOW))
    # A year page links the months that hold an event, each month page lists them
    year = page(full, "@walkers/events/2030/index.html")
    assert [f'href="/@walkers/events/2030/{m}/"' in year for m in ("01", "02", "03", "04")] == [
        True, False, True, True]
    january = page(full, "@walkers/events/2030/01/index.html")
    assert "January walk" in january and "Long weekend hike" in january
    assert "Storm walk" in page(full, "@walkers/events/2030/03/index.html")
    assert "Spring walk" in page(full, "@walkers/events/2030/04/index.html")
    assert "Autumn walk" not in january
    assert "Walk that moved" in page(full, "@walkers/events/2026/05/index.html")
    # A month's sitemap names its page and its events' pages; an empty month's names the year
    assert (f"/events/{calendar.upcoming.uuid}/</loc>".encode()
            in full["@walkers/events/2030/04/sitemap.xml"])
    assert b"/@walkers/events/2030/</loc>" in full["@walkers/events/2030/02/sitemap.xml"]


def test_over_and_cancelled_events_offer_no_participation(calendar: Calendar,
                                                         tmp_path: Path) -> None:
    full = tree(build(tmp_path / "full", now=NOW))

    def of(event: Event) -> str:
        return page(full, f"events/{event.uuid}/index.html")

    over = of(calendar.last_month)
    assert "This event is over." in over
    assert "Participate" not in over and "Add to my calendar" not in over
    cancelled = of(calendar.cancelled)
    assert "This event is cancelled." in cancelled
    assert "Participate" not in cancelled and "Add to my calendar" not in cancelled
    running = of(calendar.running)
    assert "is over" not in running and "Participate" in running
    assert "Add to my calendar" in running


def test_event_page_shows_place_map_link_category_accessibility(calendar: Calendar,
                                                               tmp_path: Path) -> None:
    full = tree(build(tmp_path / "full", now=NOW))
    shown = page(full, f"events/{calendar.upcoming.uuid}/index.html")
    assert ('href="https://www.openstreetmap.org/?mlat=45.777&amp;mlon=4.855#map=17/45.777/4.855"'
            in shown)
    assert "Outdoors Adventure" in shown and "Wheelchair accessible" in shown
    assert 'href="/@ada/">@ada</a>' in shown
    # Nothing on the page is loaded from another site (the map is a plain link)
    assert "openstreetmap" not in "".join(
        part for part in shown.split("<a ") if part.startswith(("<img", "<script", "<link")))
    assert "<iframe" not in shown and "tile.openstreetmap" not in shown


def test_editor_fields_reach_json_ld_and_activitypub(calendar: Calendar, tmp_path: Path) -> None:
    import json
    import re

    full = tree(build(tmp_path / "full", now=NOW))
    shown = page(full, f"events/{calendar.upcoming.uuid}/index.html")
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', shown,
                              re.S).group(1))  # type: ignore[union-attr]
    assert ld["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": 45.777,
                                     "longitude": 4.855}
    assert b"GEO:45.777;4.855" in full[f"events/{calendar.upcoming.uuid}/event.ics"]
    doc = json.loads(full[f"events/{calendar.upcoming.uuid}/index.json"])
    assert doc["category"] == "OUTDOORS_ADVENTURE"
    assert (doc["location"]["latitude"], doc["location"]["longitude"]) == (45.777, 4.855)


def test_the_clock_rerenders_events_that_began_or_ended(calendar: Calendar,
                                                        tmp_path: Path) -> None:
    from datetime import timedelta

    from affiche.publish import artifacts, sweep
    from affiche.publish.renderer import Renderer

    # Given the site as published before the spring walk (upcoming on every listing)
    before = datetime(2030, 4, 1, 7, 50, tzinfo=UTC)
    settings = get_settings()
    folder = tmp_path / "site"
    FolderWriter(folder).apply(artifacts.render(Renderer(settings, calendar.repo, before),
                                                artifacts.everything(calendar.repo)))
    uuid = calendar.upcoming.uuid
    assert "Participate" in (folder / f"events/{uuid}/index.html").read_text()
    # When the clock runs after it began (10:00 Paris = 08:00 UTC), then after it ended
    runs = []
    for now in (datetime(2030, 4, 1, 8, 5, tzinfo=UTC), datetime(2030, 4, 1, 10, 5, tzinfo=UTC)):
        planned = sweep.due(calendar.repo, now - sweep.WINDOW, now)
        runs.append(planned)
        FolderWriter(folder).apply(artifacts.render(Renderer(settings, calendar.repo, now),
                                                    planned))
    # Then the first run moved it from the upcoming listings to the past events
    assert ("actor", "walkers") in runs[0] and ("events_index",) in runs[0]
    assert ("event", uuid) not in runs[0]
    group = (folder / "@walkers/index.html").read_text()
    assert "Spring walk" in group.split("<h2>Past events</h2>")[1]
    # And the second one marked its page over, without participation
    assert runs[1] == [("event", uuid), ("actor", "walkers")]
    page = (folder / f"events/{uuid}/index.html").read_text()
    assert "This event is over." in page and "Participate" not in page
    # And a run with nothing due renders nothing
    quiet = datetime(2030, 4, 1, 12, 0, tzinfo=UTC)
    assert sweep.due(calendar.repo, quiet - timedelta(minutes=20), quiet) == []


def test_the_clock_function_runs_against_the_bucket(calendar: Calendar) -> None:
    from functions.outbox.clock import lambda_handler

    answer = lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)
    assert answer == {"artifacts": 0, "files": 0}  # nothing began or ended in the last minutes


def test_deleting_a_published_event_removes_its_pages(calendar: Calendar, tmp_path: Path) -> None:
    # Given the published site
    folder = tmp_path / "site"
    incremental(calendar.repo, folder)
    uuid = calendar.upcoming.uuid
    assert (folder / f"events/{uuid}/index.html").exists()
    # When the event is deleted and the outbox publishes the Delete
    ports = Ports(repo=calendar.repo, hasher=Argon2Hasher(), keys=CannedKeys(),
                  clock=TickingClock(NOW))
    ada = calendar.repo.account_by_email("ada@example.org")
    assert ada is not None
    event_lifecycle.delete_event(ports, ada, uuid)
    delete = [a for a in calendar.repo.all_of_kind("activity")
              if a.object_key == uuid and a.type == "Delete"]
    assert len(delete) == 1
    publish(delete[0], settings=get_settings(), store=calendar.repo, writer=FolderWriter(folder),
            now=NOW)
    # Then its page, document and calendar file are gone, leaving its Tombstone (410 Gone),
    # and no listing links it
    assert [p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if uuid in str(p) and p.is_file()] == [f"events/{uuid}/gone.json"]
    tombstone = json.loads((folder / f"events/{uuid}/gone.json").read_text())
    assert (tombstone["type"], tombstone["formerType"]) == ("Tombstone", "Event")
    assert not [p for p in folder.rglob("*.html") if uuid in p.read_text()]
