"""My space (/app/) among many public events: the group's private events and drafts are read from
the group's members' index (gsi3, store/keys.py), so a member sees them and what the page reads
does not grow with the public events; a non-member sees none of them. Events saved before the
index existed get their key from `affiche reindex-events`."""

from __future__ import annotations

import uuid as uuids
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.cli import main
from affiche.config import get_settings
from affiche.domain.model import Event
from affiche.domain.ports import ChangeSet
from affiche.store.repository import DynamoRepository, to_item
from affiche.store.table import bind
from tests.functions.test_event_editor_pages import create
from tests.functions.test_pages import Browser, signed_up_in_browser, text


@pytest.fixture
def eve(aws: Path, ann: Browser) -> Browser:
    """eve, in no group."""
    return signed_up_in_browser(aws / "mail", "eve@example.org", "eve")


def seed_public_events(count: int, first: int = 0) -> None:
    """`count` public events of @club, straight into the table (as bench/scale.py does), a few
    hours apart from tomorrow on: all before the events the editor creates (2031)."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with bind().batch_write() as batch:
        for i in range(first, first + count):
            begins = start + timedelta(hours=5 * i)
            batch.save(to_item(Event(
                uuid=str(uuids.uuid4()), group="club", organizer="ann", title=f"Public {i}",
                begins_on=begins, ends_on=begins + timedelta(hours=1), timezone="UTC",
                created_at=start, updated_at=start)))


@contextmanager
def items_queried() -> Iterator[Counter[str]]:
    """The items each index's Queries went through (ScannedCount: before any filter), by index."""
    from botocore.client import BaseClient

    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        answer = original(self, operation, params)
        if operation == "Query":
            counts[params.get("IndexName", "table")] += int(answer.get("ScannedCount", 0))
        return answer

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def test_members_see_the_private_event_and_draft_among_many_public_ones(
        ann: Browser, bob: Browser, eve: Browser) -> None:
    # Given a group with many public events, a private event and a draft
    seed_public_events(150)
    create(ann, visibility="private", title="Members dinner")
    create(ann, save="draft", title="Secret plan")
    # Then its administrator sees both in her space, a plain member the private event only
    mine, members, outsiders = (text(b.get("/app/")) for b in (ann, bob, eve))
    assert "Members dinner" in mine and "Secret plan" in mine
    assert "Members dinner" in members and "Secret plan" not in members
    # And someone in no group sees neither
    assert "Members dinner" not in outsiders and "Secret plan" not in outsiders


def test_what_my_space_reads_does_not_grow_with_the_public_events(
        ann: Browser, bob: Browser) -> None:
    # Given a group with more public events than my agenda shows, and a private one
    seed_public_events(150)
    create(ann, visibility="private", title="Members dinner")
    with items_queried() as before:
        assert "Members dinner" in text(bob.get("/app/"))
    # When the group has twice as many public events
    seed_public_events(150, first=150)
    with items_queried() as after:
        assert "Members dinner" in text(bob.get("/app/"))
    # Then the page read as many items as before, and its private events cost one item each
    assert after == before
    assert before["gsi3"] == 1


def test_reindex_gives_events_saved_before_the_index_their_key(
        ann: Browser, bob: Browser, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a private event and a draft saved before the members' index existed (no gsi3 key),
    # among public events, and a deleted private event
    seed_public_events(30)
    private = create(ann, visibility="private", title="Members dinner")
    draft = create(ann, save="draft", title="Secret plan")
    gone = create(ann, visibility="private", title="Called off")
    repo = DynamoRepository()
    deleted = repo.get(Event, gone)
    assert deleted is not None
    repo.commit(ChangeSet().put(deleted.evolve(deleted=True)))
    ddb, table = client("dynamodb"), get_settings().table_name
    for uuid in (private, draft):
        ddb.update_item(TableName=table, Key={"pk": {"S": f"EVENT#{uuid}"}, "sk": {"S": "A"}},
                        UpdateExpression="REMOVE gsi3pk, gsi3sk")
    assert "Members dinner" not in text(bob.get("/app/"))
    versions = {uuid: _version(uuid) for uuid in (private, draft)}
    # When the operator runs the one-off command
    assert main(["reindex-events"]) == 0
    # Then both are indexed again, without a new version, and nothing else changed
    assert "2 event(s) indexed" in capsys.readouterr().out
    assert {uuid: _version(uuid) for uuid in (private, draft)} == versions
    assert {e.uuid for e in repo.members_events_of_group("club")} == {private, draft}
    assert "Members dinner" in text(bob.get("/app/")) and "Secret plan" in text(ann.get("/app/"))
    # And a second run finds nothing to do
    assert main(["reindex-events"]) == 0
    assert "0 event(s) indexed" in capsys.readouterr().out


def _version(uuid: str) -> int:
    event = DynamoRepository().get(Event, uuid)
    assert event is not None
    return event.version


def test_an_event_leaves_the_members_index_when_published_or_deleted(ann: Browser) -> None:
    repo = DynamoRepository()
    draft = create(ann, save="draft", title="Secret plan")
    private = create(ann, visibility="private", title="Members dinner")
    public = create(ann, title="Open day")
    assert {e.uuid for e in repo.members_events_of_group("club")} == {draft, private}
    assert public in {e.uuid for e in repo.group_events_in_order("club")}
    # When the draft is published and the private event deleted
    ann.get(f"/app/events/{draft}/")
    assert ann.submit(f"/app/events/{draft}/publish", {}).status == 303
    ann.get(f"/app/events/{private}/")
    assert ann.submit(f"/app/events/{private}/delete", {}).status == 303
    # Then the members' index holds neither (it never held the public event)
    assert list(repo.members_events_of_group("club")) == []
