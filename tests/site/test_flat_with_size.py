"""Publishing reads what it shows, not the whole instance (issue 8, "flat with size").

The limits are lowered so a few events stand for thousands: tag pages list a tag's events even when
they are not among the instance's soonest, the group page lists its next events and points to its
yearly archives for the rest, one stream batch renders each page once, and the full build reads
the table in one Scan rather than one GetItem per item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings, reset_settings
from affiche.domain import accounts, event_lifecycle, events, groups
from affiche.domain.context import Ports
from affiche.domain.events import EventInput
from affiche.domain.model import Account
from affiche.publish import artifacts, indexes, month_index, renderer
from affiche.publish.renderer import Renderer
from affiche.publish.service import publish
from affiche.publish.snapshot import SnapshotStore
from affiche.publish.writers import FolderWriter
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.keys import CannedKeys

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class TickingClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    from botocore.client import BaseClient

    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            counts[operation] += 1
        return original(client, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def ride(title: str, day: str, **extra: Any) -> EventInput:
    return EventInput(title=title, begins_on=f"{day}T10:00", ends_on=f"{day}T12:00",
                      timezone="Europe/Paris", **extra)


@pytest.fixture
def world(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch
          ) -> tuple[DynamoRepository, Ports, Account]:
    monkeypatch.setenv("AFFICHE_INSTANCE_NAME", "Affiche test")
    reset_settings()
    repo = DynamoRepository()
    ports = Ports(repo=repo, hasher=Argon2Hasher(), keys=CannedKeys(),
                  clock=TickingClock(NOW - timedelta(days=1)))
    ada = accounts.signup(ports, email="ada@example.org", password="correct horse battery",
                          username="ada", display_name="Ada", confirmed=True)
    groups.create_group(ports, ada, name="cyclists", display_name="Cyclists", summary="",
                        openness="open")
    return repo, ports, ada


def publish_all(repo: DynamoRepository, folder: Path,
                done: set[Any] | None = None) -> Counter[str]:
    """Publish every activity as one stream batch would; returns how often each file was
    written or deleted."""
    rendered: Counter[str] = Counter()
    for activity in sorted(repo.all_of_kind("activity"), key=lambda a: (a.published, a.id)):
        output = publish(activity, settings=get_settings(), store=repo,
                         writer=FolderWriter(folder), now=NOW, done=done)
        rendered.update([f.key for f in output.files] + output.deletes)
    return rendered


def test_a_tag_page_lists_events_beyond_the_instances_soonest(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given listings of 2 events, and 3 soon events before one tagged "late" next year
    monkeypatch.setattr(renderer, "UPCOMING_LIMIT", 2)
    repo, ports, ada = world
    for n in range(3):
        events.create_event(ports, ada, "cyclists", ride(f"Soon {n}", f"2027-01-0{n + 1}",
                                                         tags=["bike"]))
    late = events.create_event(ports, ada, "cyclists", ride("Late", "2028-05-01",
                                                            tags=["late", "bike"]))
    # When they are published
    publish_all(repo, tmp_path)
    # Then the tag only the later event carries has its page, listing it
    page = (tmp_path / "tags/late/index.html").read_text()
    assert late.uuid in page
    # ... and the tags index and the sitemap name it
    assert 'href="/tags/late/"' in (tmp_path / "tags/index.html").read_text()
    assert "/tags/late/</loc>" in (tmp_path / "sitemap-site.xml").read_text()
    # ... and when it loses the tag, the page goes, and so does its name
    events.patch_event(ports, ada, late.uuid, {"tags": ["bike"]})
    publish_all(repo, tmp_path)
    assert not (tmp_path / "tags/late/index.html").exists()
    assert "/tags/late/" not in (tmp_path / "tags/index.html").read_text()
    assert "/tags/late/" not in (tmp_path / "sitemap-site.xml").read_text()
    assert 'href="/tags/bike/"' in (tmp_path / "tags/index.html").read_text()


def test_a_tag_page_links_its_years_and_months_holding_every_event_with_the_tag(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a tag page showing 2 upcoming events, and music events over three years, one of
    # them on New Year's Eve in Auckland (2028 there, still 2027 in UTC)
    monkeypatch.setattr(renderer, "UPCOMING_LIMIT", 2)
    repo, ports, ada = world
    made = [events.create_event(ports, ada, "cyclists", ride(f"Gig {day}", day, tags=["music"]))
            for day in ("2027-03-01", "2027-04-01", "2027-05-01", "2029-07-01")]
    auckland = events.create_event(ports, ada, "cyclists", EventInput(
        title="Midnight gig", begins_on="2028-01-01T00:30", ends_on="2028-01-01T02:00",
        timezone="Pacific/Auckland", tags=["music"]))
    # When they are published
    publish_all(repo, tmp_path)
    # Then the tag page lists the next two and links each year that has one
    page = (tmp_path / "tags/music/index.html").read_text()
    assert made[0].uuid in page and made[1].uuid in page and made[2].uuid not in page
    assert [year for year in ("2027", "2028", "2029") if f'href="/tags/music/{year}/"' in page] \
        == ["2027", "2028", "2029"]
    # ... each year page links the months holding one, in the event's own time, and each
    # month page holds the events of its month
    year_2027 = (tmp_path / "tags/music/2027/index.html").read_text()
    assert [m for m in ("01", "03", "04", "05", "12") if f'href="/tags/music/2027/{m}/"'
            in year_2027] == ["03", "04", "05"]
    for event, month in zip(made[:3], ("03", "04", "05"), strict=True):
        page = (tmp_path / f"tags/music/2027/{month}/index.html").read_text()
        assert event.uuid in page and all(e.uuid not in page for e in made if e is not event)
    assert auckland.uuid in (tmp_path / "tags/music/2028/01/index.html").read_text()
    assert not (tmp_path / "tags/music/2027/12/index.html").exists()
    assert made[3].uuid in (tmp_path / "tags/music/2029/07/index.html").read_text()

    # When the 2029 event moves to June 2027, a change publishing its pages
    events.patch_event(ports, ada, made[3].uuid, {"begins_on": "2027-06-01T10:00",
                                                  "ends_on": "2027-06-01T12:00"})
    activity = max(repo.all_of_kind("activity"), key=lambda a: (a.published, a.id))
    output = publish(activity, settings=get_settings(), store=repo,
                     writer=FolderWriter(tmp_path), now=NOW)
    # Then it touched the tag page and its year and month pages before and after, no other
    touched = {f.key for f in output.files} | set(output.deletes)
    assert {k for k in touched if k.startswith("tags/music/")} == {
        "tags/music/index.html", "tags/music/2027/index.html", "tags/music/2029/index.html",
        "tags/music/2027/06/index.html", "tags/music/2029/07/index.html"}
    assert not (tmp_path / "tags/music/2029/index.html").exists()
    assert not (tmp_path / "tags/music/2029/07/index.html").exists()
    assert made[3].uuid in (tmp_path / "tags/music/2027/06/index.html").read_text()
    assert 'href="/tags/music/2027/06/"' in (tmp_path / "tags/music/2027/index.html").read_text()
    assert 'href="/tags/music/2029/"' not in (tmp_path / "tags/music/index.html").read_text()


def test_the_group_page_lists_its_next_events_and_links_every_archive_year(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a group page showing 2 upcoming events, and events over three years
    monkeypatch.setattr(renderer, "GROUP_PAGE_EVENTS", 2)
    repo, ports, ada = world
    made = [events.create_event(ports, ada, "cyclists", ride(f"Ride {day}", day))
            for day in ("2027-03-01", "2027-04-01", "2028-06-01", "2029-07-01")]
    for activity in repo.all_of_kind("activity"):
        indexes.record(activity)  # as the outbox does before it renders (publish/service.py)
    # When the group page is rendered
    with dynamodb_calls() as calls:
        files = {f.key: f.body for f in artifacts.render(
            Renderer(get_settings(), repo, NOW), [("actor", "cyclists")]).files}
    page = files["@cyclists/index.html"].decode()
    # Then it lists the next two and links the archive of each year
    assert made[0].uuid in page and made[1].uuid in page and made[3].uuid not in page
    for year in ("2027", "2028", "2029"):
        assert f"/@cyclists/events/{year}/" in page
    # ... reading a page of the date index each way and the month index, not every event
    assert calls["Query"] <= 6, calls


def test_one_stream_batch_renders_each_page_once(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path) -> None:
    # Given five new events in one batch
    repo, ports, ada = world
    for n in range(5):
        events.create_event(ports, ada, "cyclists", ride(f"Ride {n}", f"2027-02-0{n + 1}",
                                                         tags=["bike"]))
    # When the batch is published with one set of rendered artifacts, and one by one
    once = publish_all(repo, tmp_path / "batch", done=set())
    each = publish_all(repo, tmp_path / "each")
    # Then the home page, feeds and tag page are rendered once for the batch (five times one by
    # one), with the same files
    shared = ("index.html", "feed.atom", "tags/bike/index.html")
    assert {key: once[key] for key in shared} == dict.fromkeys(shared, 1)
    assert min(each[key] for key in shared) >= 5
    batch = {p.relative_to(tmp_path / "batch") for p in (tmp_path / "batch").rglob("*")}
    single = {p.relative_to(tmp_path / "each") for p in (tmp_path / "each").rglob("*")}
    assert batch == single


def test_the_full_build_reads_the_table_in_bulk(
        world: tuple[DynamoRepository, Ports, Account]) -> None:
    # Given a few events
    repo, ports, ada = world
    for n in range(4):
        events.create_event(ports, ada, "cyclists", ride(f"Ride {n}", f"2027-02-0{n + 1}",
                                                         tags=["bike"]))
    # When every artifact is rendered from the snapshot
    with dynamodb_calls() as calls:
        store = SnapshotStore.load()
        output = artifacts.render(Renderer(get_settings(), store, NOW),
                                  artifacts.everything(store))
    # Then the table was read by Scan only (the one write: the instance actor's key, made on
    # the first build), with the same files as from the table itself
    assert calls["Scan"] >= 1 and not {"GetItem", "Query", "BatchGetItem"} & set(calls), calls
    direct = artifacts.render(Renderer(get_settings(), repo, NOW), artifacts.everything(repo))
    assert {f.key: f.body for f in output.files} == {f.key: f.body for f in direct.files}


def test_a_year_page_links_the_months_holding_events_as_they_move_and_go(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path) -> None:
    # Given events in March and May 2027, published
    repo, ports, ada = world
    march = events.create_event(ports, ada, "cyclists", ride("March ride", "2027-03-01"))
    events.create_event(ports, ada, "cyclists", ride("May ride", "2027-05-01"))
    publish_all(repo, tmp_path)
    year = tmp_path / "@cyclists/events/2027/index.html"

    def linked() -> list[str]:
        page = year.read_text()
        return [m for m in (f"{n:02d}" for n in range(1, 13)) if f"/events/2027/{m}/" in page]

    assert linked() == ["03", "05"]
    # When the March event moves to June
    events.patch_event(ports, ada, march.uuid, {"begins_on": "2027-06-01T10:00",
                                                "ends_on": "2027-06-01T12:00"})
    publish_all(repo, tmp_path)
    # Then the year page links May and June, and March's page is gone
    assert linked() == ["05", "06"]
    assert not (tmp_path / "@cyclists/events/2027/03/index.html").exists()
    # ... and once deleted, June goes too; the month index agrees with a full build's repairs
    event_lifecycle.delete_event(ports, ada, march.uuid)
    publish_all(repo, tmp_path)
    assert linked() == ["05"]
    assert month_index.months(repo, "cyclists") == [(2027, 5)]
    assert indexes.repairs(SnapshotStore.load()) == []


def publish_new(repo: DynamoRepository, folder: Path, seen: set[str]) -> list[str]:
    """Publish the activities not published yet, one by one; the keys written or deleted."""
    touched: list[str] = []
    for activity in sorted(repo.all_of_kind("activity"), key=lambda a: (a.published, a.id)):
        if activity.id not in seen:
            seen.add(activity.id)
            output = publish(activity, settings=get_settings(), store=repo,
                             writer=FolderWriter(folder), now=NOW)
            touched += [f.key for f in output.files] + output.deletes
    return touched


def test_an_event_beyond_every_first_page_touches_only_its_pages_and_month(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given listings of two events, full: the instance's, the group's and the tag's
    monkeypatch.setattr(renderer, "UPCOMING_LIMIT", 2)
    monkeypatch.setattr(renderer, "GROUP_PAGE_EVENTS", 2)
    repo, ports, ada = world
    seen: set[str] = set()
    for day in ("2027-01-05", "2027-01-06", "2027-06-01"):
        events.create_event(ports, ada, "cyclists", ride(f"Ride {day}", day, tags=["bike"]))
    publish_new(repo, tmp_path, seen)
    home = (tmp_path / "index.html").read_bytes()
    # When an event is added in June, a month that already lists one, beyond the first pages
    late = events.create_event(ports, ada, "cyclists", ride("Later ride", "2027-06-20",
                                                            tags=["bike"]))
    with dynamodb_calls() as calls:
        touched = publish_new(repo, tmp_path, seen)
    # Then only its own pages, its month pages, NodeInfo, its search entry and the group's
    # outbox change: no listing it cannot be on, no directory of months or tags, no sitemap index
    assert sorted(k for k in touched if not k.startswith(("events/", "search/"))) == [
        "@cyclists/events/2027/06/index.html", "@cyclists/events/2027/06/sitemap.xml",
        "@cyclists/outbox.json", "nodeinfo/2.1.json", "tags/bike/2027/06/index.html"], touched
    assert f"events/{late.uuid}/index.html" in touched
    assert (tmp_path / "index.html").read_bytes() == home
    # ... and reads no more than those pages show
    assert sum(calls.values()) <= 10, calls
    # When an event comes in a month of its own, within the first page
    events.create_event(ports, ada, "cyclists", ride("Early ride", "2026-12-20", tags=["bike"]))
    touched = publish_new(repo, tmp_path, seen)
    # Then the listings, the year pages and the directories follow
    for key in ("index.html", "feed.atom", "@cyclists/index.html", "tags/bike/index.html",
                "@cyclists/events/2026/index.html", "tags/bike/2026/index.html", "sitemap.xml"):
        assert key in touched, key
    # ... and the files are those a full build writes
    from affiche.build import build

    full = build(tmp_path / "full", now=NOW)
    for key in sorted(set(touched)):
        if (tmp_path / key).exists() and not key.startswith("search/"):
            assert (tmp_path / key).read_bytes() == (full / key).read_bytes(), key


def test_a_batch_indexes_every_change_before_its_pages(
        world: tuple[DynamoRepository, Ports, Account], tmp_path: Path) -> None:
    # Given two events of one stream batch, each in a month of its own
    from affiche.publish.service import index_batch

    repo, ports, ada = world
    for day in ("2027-03-01", "2027-05-01"):
        events.create_event(ports, ada, "cyclists", ride(f"Ride {day}", day, tags=["bike"]))
    batch = sorted(repo.all_of_kind("activity"), key=lambda a: (a.published, a.id))
    # When the batch is published with its pages rendered once, as the outbox function does
    indexed = index_batch(batch)
    done: set[Any] = set()
    for activity in batch:
        publish(activity, settings=get_settings(), store=repo, writer=FolderWriter(tmp_path),
                now=NOW, done=done, indexed=activity.id in indexed)
    # Then the year page rendered once links both months, and the tag page both events
    year = (tmp_path / "@cyclists/events/2027/index.html").read_text()
    assert "/@cyclists/events/2027/03/" in year and "/@cyclists/events/2027/05/" in year
    assert (tmp_path / "tags/bike/2027/05/index.html").exists()
