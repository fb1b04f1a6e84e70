"""Counts are tallied atomically by the DynamoDB repository (moto): a tally adds to the stored
count whatever was read, never bumps the parent's version, honours a limit on the stored count,
and fails when the parent changed since it was read. Puts of an existing group or event never
write back the count they read. Items written before counts had attributes still read right."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from affiche.domain.errors import Conflict
from affiche.domain.model import Actor, Event
from affiche.domain.ports import ChangeSet
from affiche.publish.snapshot import SnapshotStore, scan_table
from affiche.store.repository import DynamoRepository
from affiche.store.stream import entity_from_image
from affiche.store.table import COUNTS, Item, bind
from tests.faults import cancelled, inject

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def repo(aws: Path) -> DynamoRepository:
    return DynamoRepository()


def _group(repo: DynamoRepository, members: int = 1) -> Actor:
    group = Actor(name="club", type="Group", created_at=NOW, display_name="Club",
                  member_count=members)
    repo.commit(ChangeSet().put(group))
    found = repo.get(Actor, "club")
    assert found is not None
    return found


def _event(repo: DynamoRepository, capacity: int | None) -> Event:
    event = Event(uuid="e1", group="club", organizer="ann", title="Picnic", begins_on=NOW,
                  ends_on=NOW,
                  timezone="UTC", created_at=NOW, updated_at=NOW, capacity=capacity)
    repo.commit(ChangeSet().put(event))
    found = repo.get(Event, "e1")
    assert found is not None
    return found


def test_tallies_from_the_same_read_add_up_without_bumping_the_version(
        repo: DynamoRepository) -> None:
    # Given a group read once by three joins
    group = _group(repo)
    # When each tallies one member from that same read
    for _ in range(3):
        repo.commit(ChangeSet().tally(group, "member_count", 1))
    # Then every one counted, and the group's version is the one they read
    stored = repo.get(Actor, "club")
    assert stored is not None
    assert (stored.member_count, stored.version) == (4, group.version)


def test_the_count_lives_in_its_own_attribute_not_in_the_json(repo: DynamoRepository) -> None:
    _group(repo, members=3)
    item = bind().get("ACTOR#club", "A")
    assert item.member_count == 3 and "member_count" not in json.loads(item.data)


def test_a_tally_fails_when_the_parent_changed_since_it_was_read(repo: DynamoRepository) -> None:
    # Given a join that read the group, then an administrator made it invite-only
    group = _group(repo)
    repo.commit(ChangeSet().put(group.evolve(openness="invite_only")))
    # When the join tallies from its stale read, it conflicts and writes nothing
    with pytest.raises(Conflict, match="changed by someone else"):
        repo.commit(ChangeSet().tally(group, "member_count", 1))
    stored = repo.get(Actor, "club")
    assert stored is not None and stored.member_count == 1


def test_a_tally_never_creates_a_deleted_parent(repo: DynamoRepository) -> None:
    group = _group(repo)
    repo.commit(ChangeSet(deletes=[group]))
    with pytest.raises(Conflict):
        repo.commit(ChangeSet().tally(group, "member_count", 1))
    assert repo.get(Actor, "club") is None


def test_a_put_of_an_existing_group_keeps_the_tallies_made_since_its_read(
        repo: DynamoRepository) -> None:
    # Given an administrator's read of the group, then two joins
    group = _group(repo)
    for _ in range(2):
        repo.commit(ChangeSet().tally(group, "member_count", 1))
    # When the administrator saves a new name from that read
    renamed = group.evolve(display_name="Renamed club")
    repo.commit(ChangeSet().put(renamed))
    # Then the name changed and the joins still count
    stored = repo.get(Actor, "club")
    assert stored is not None
    assert (stored.display_name, stored.member_count) == ("Renamed club", 3)
    assert stored.version == group.version + 1 == renamed.version


def test_a_put_removes_the_attributes_the_entity_no_longer_has(repo: DynamoRepository) -> None:
    # Given a listed group (gsi2 GROUPS), updated to unlisted
    group = _group(repo)
    assert [g.name for g in repo.listed_groups()] == ["club"]
    repo.commit(ChangeSet().put(group.evolve(visibility="unlisted")))
    # Then it left the listing, as a Put replacing the item would have made it
    assert repo.listed_groups() == []


def test_the_limit_is_checked_on_the_stored_count(repo: DynamoRepository) -> None:
    # Given an event with 2 places, read by three joins before any of them commits
    event = _event(repo, capacity=2)
    for _ in range(2):
        repo.commit(ChangeSet().tally(event, "participant_count", 1, limit=2))
    # When the third tallies from the same read (which saw 0 participants)
    with pytest.raises(Conflict):
        repo.commit(ChangeSet().tally(event, "participant_count", 1, limit=2))
    # Then the event is full, not overbooked; leaving frees a place that can be taken again
    stored = repo.get(Event, "e1")
    assert stored is not None and stored.participant_count == 2
    repo.commit(ChangeSet().tally(event, "participant_count", -1))
    repo.commit(ChangeSet().tally(event, "participant_count", 1, limit=2))
    stored = repo.get(Event, "e1")
    assert stored is not None and stored.participant_count == 2


def test_a_lower_capacity_is_refused_when_the_joins_since_the_read_do_not_fit(
        repo: DynamoRepository) -> None:
    # Given an organiser's read of an event (no one yet), then three joins
    event = _event(repo, capacity=10)
    for _ in range(3):
        repo.commit(ChangeSet().tally(event, "participant_count", 1, limit=10))
    # When the organiser lowers the capacity to 2 from that read
    lower = event.evolve(capacity=2)
    with pytest.raises(Conflict):
        repo.commit(ChangeSet().put(lower).tally(lower, "participant_count", 0, limit=2))
    # Then nothing changed; a capacity the participants fit in is saved
    stored = repo.get(Event, "e1")
    assert stored is not None and (stored.capacity, stored.participant_count) == (10, 3)
    three = event.evolve(capacity=3)
    repo.commit(ChangeSet().put(three).tally(three, "participant_count", 0, limit=3))
    stored = repo.get(Event, "e1")
    assert stored is not None and (stored.capacity, stored.participant_count) == (3, 3)


def test_items_written_before_counts_had_attributes_read_and_tally_right(
        repo: DynamoRepository) -> None:
    # Given a group stored the old way: the count inside `data`, no count attribute
    data = {"name": "club", "type": "Group", "created_at": NOW.isoformat(),
            "display_name": "Club", "member_count": 7}
    Item(pk="ACTOR#club", sk="A", kind="actor", data=json.dumps(data)).save()
    group = repo.get(Actor, "club")
    assert group is not None and group.member_count == 7
    # When a join tallies, and an administrator renames it from the same read
    repo.commit(ChangeSet().tally(group, "member_count", 1))
    repo.commit(ChangeSet().put(group.evolve(display_name="Renamed")))
    # Then the count started from the old one
    stored = repo.get(Actor, "club")
    assert stored is not None and stored.member_count == 8
    assert bind().get("ACTOR#club", "A").member_count == 8


def test_the_full_build_and_the_stream_read_the_count_attribute(repo: DynamoRepository) -> None:
    group = _group(repo)
    repo.commit(ChangeSet().tally(group, "member_count", 4))
    snapshot = SnapshotStore(scan_table())
    found = snapshot.get(Actor, "club")
    assert found is not None and found.member_count == 5
    image = {"kind": "actor", "data": bind().get("ACTOR#club", "A").data, "version": 1,
             "member_count": 5}
    streamed = entity_from_image(image)
    assert isinstance(streamed, Actor) and streamed.member_count == 5


def test_every_counted_field_has_its_attribute_everywhere() -> None:
    from affiche.publish.snapshot import _Item
    from affiche.store.table import Tallied

    for name in COUNTS:
        assert name in Item.get_attributes() and name in Tallied.get_attributes()
        assert name in _Item.__slots__
        assert any(name in cls.__dataclass_fields__ for cls in (Actor, Event))


def test_a_transaction_conflict_is_sent_again(repo: DynamoRepository) -> None:
    # Given another transaction holding the group for the first three sends
    group = _group(repo)
    with inject(cancelled("TransactionConflict", times=3)) as log:
        repo.commit(ChangeSet().tally(group, "member_count", 1))
    # Then the fourth send went through, once
    assert log.injected == 3
    stored = repo.get(Actor, "club")
    assert stored is not None and stored.member_count == 2


def test_a_lasting_transaction_conflict_is_a_conflict(repo: DynamoRepository) -> None:
    group = _group(repo)
    with inject(cancelled("TransactionConflict")) as log, pytest.raises(Conflict):
        repo.commit(ChangeSet().tally(group, "member_count", 1))
    assert log.injected == 4
    stored = repo.get(Actor, "club")
    assert stored is not None and stored.member_count == 1


def test_a_refusal_names_what_clashed_whatever_the_order_of_operations(
        repo: DynamoRepository) -> None:
    # Given a group, and a transaction that deletes, tallies another group and creates a
    # group of the same name
    _group(repo)
    other = Actor(name="other", type="Group", created_at=NOW, display_name="Other")
    repo.commit(ChangeSet().put(other))
    twin = Actor(name="club", type="Group", created_at=NOW, display_name="Twin")
    changes = ChangeSet(deletes=[Actor(name="nobody", type="Person", created_at=NOW,
                                       display_name="")]).put(twin)
    changes.tally(other, "member_count", 1)
    # Then the refusal names the clashing name (pynamodb sends deletes, puts, then updates)
    with pytest.raises(Conflict, match="the name @club is already taken"):
        repo.commit(changes)
