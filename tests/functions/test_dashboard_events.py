"""The group dashboard's events (issue 8, item 10): the upcoming events a page at a time, soonest
first, with a link to the next page that works without JavaScript; drafts and events still
running among them; and what the page reads does not grow with the group's past events."""

from __future__ import annotations

import uuid as uuids
from datetime import UTC, datetime, timedelta

from affiche.domain.model import Event
from affiche.store.repository import to_item
from affiche.store.table import bind
from functions.api.pages.event_views import EVENTS_PER_PAGE
from tests.functions.test_event_editor_pages import create
from tests.functions.test_member_home import items_queried
from tests.functions.test_pages import Browser, text


def seed(count: int, *, from_now: timedelta, first: int = 0, every: timedelta = timedelta(
        hours=5), lasting: timedelta = timedelta(hours=1), title: str = "Event") -> None:
    """`count` public events of @club straight into the table (as bench/scale.py does), the
    first beginning `from_now` from now, titled "{title} 000", "{title} 001"..."""
    start = datetime.now(UTC).replace(microsecond=0) + from_now
    with bind().batch_write() as batch:
        for i in range(first, first + count):
            begins = start + every * (i - first)
            batch.save(to_item(Event(
                uuid=str(uuids.uuid4()), group="club", organizer="ann", title=f"{title} {i:03d}",
                begins_on=begins, ends_on=begins + lasting, timezone="UTC",
                created_at=start, updated_at=start)))


def test_more_events_than_a_page_come_a_page_at_a_time_soonest_first(ann: Browser) -> None:
    # Given a group with more upcoming events than a page shows, and past ones
    seed(EVENTS_PER_PAGE + 5, from_now=timedelta(days=1))
    seed(10, from_now=-timedelta(days=400), every=timedelta(days=30), title="Past")
    # When its administrator opens the dashboard
    first = ann.get("/app/groups/club/")
    shown = text(first)
    # Then she sees the first page, soonest first, and a plain link to the next one
    titles = [f"Event {i:03d}" for i in range(EVENTS_PER_PAGE + 5)]
    assert all(t in shown for t in titles[:EVENTS_PER_PAGE])
    assert not any(t in shown for t in titles[EVENTS_PER_PAGE:])
    assert [shown.index(t) for t in titles[:EVENTS_PER_PAGE]] == sorted(
        shown.index(t) for t in titles[:EVENTS_PER_PAGE])
    assert "Past" not in shown
    assert 'href="/app/groups/club/?events=2#events-heading"' in first.body
    # And the next page shows the rest, with a link back and none further
    second = ann.get("/app/groups/club/", query={"events": "2"})
    rest = text(second)
    assert all(t in rest for t in titles[EVENTS_PER_PAGE:])
    assert titles[0] not in rest
    assert 'href="/app/groups/club/?events=1#events-heading"' in second.body
    assert "?events=3" not in second.body
    # And the participants' links are those of the page shown
    assert "Participants of the events listed above" in shown
    assert f"{titles[EVENTS_PER_PAGE]}</a>: 0 taking part" in second.body
    assert f"{titles[0]}</a>: 0 taking part" not in second.body
    # And a page number that is not one is refused
    assert ann.get("/app/groups/club/", query={"events": "0"}).status == 400


def test_a_draft_and_an_event_still_running_are_listed_not_one_over(
        ann: Browser, bob: Browser) -> None:
    # Given an event begun two days ago that ends in two days, one over yesterday, and a draft
    seed(1, from_now=-timedelta(days=2), lasting=timedelta(days=4), title="Running")
    seed(1, from_now=-timedelta(days=3), lasting=timedelta(days=2), title="Over")
    create(ann, save="draft", title="Secret plan")
    mine, members = text(ann.get("/app/groups/club/")), text(bob.get("/app/groups/club/"))
    # Then the running event is listed, the one over is not, and the draft for its editors only
    assert "Running 000" in mine and "Running 000" in members
    assert "Over 000" not in mine and "Over 000" not in members
    assert "Secret plan" in mine and "Secret plan" not in members
    # And the running one, not the draft, has its participants' link for the organiser
    assert "Running 000</a>: 0 taking part" in ann.get("/app/groups/club/").body
    assert "Secret plan</a>: 0 taking part" not in ann.get("/app/groups/club/").body


def test_what_the_dashboard_reads_does_not_grow_with_the_past_events(
        ann: Browser, bob: Browser) -> None:
    # Given a group with past events, upcoming ones and a private one
    seed(100, from_now=-timedelta(days=200), every=timedelta(days=1), title="Past")
    seed(30, from_now=timedelta(days=1), title="Soon")
    create(ann, visibility="private", title="Members dinner")
    with items_queried() as before:
        assert "Soon 000" in text(bob.get("/app/groups/club/"))
    # When the group has many more past events
    seed(400, from_now=-timedelta(days=3000), first=100, every=timedelta(days=7), title="Past")
    with items_queried() as after:
        assert "Soon 000" in text(bob.get("/app/groups/club/"))
    # Then the dashboard read as many items of the group's date index as before: one page
    assert after == before
    assert sum(before.values()) < 100  # a page of events and the rest of the dashboard


def test_a_draft_dated_long_ago_is_still_listed_for_its_editors(
        ann: Browser, bob: Browser) -> None:
    # Given a draft dated two years ago (a draft's date may be anything)
    create(ann, save="draft", title="Old idea", begins_on="2024-03-01T10:00",
           ends_on="2024-03-01T12:00")
    mine, members = ann.get("/app/groups/club/"), text(bob.get("/app/groups/club/"))
    # Then its editors find it on the dashboard, with its editor's link; plain members do not
    assert "Drafts with an earlier date" in mine.body and "Old idea" in text(mine)
    assert "/edit\"><strong>Old idea</strong>" in mine.body
    assert "Old idea" not in members
