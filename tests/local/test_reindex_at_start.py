"""A data folder saved before the members' index (gsi3) existed: `affiche dev` gives its events
their key at start (store/backup.py reindex_events), and the next save keeps it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from affiche.domain.model import Event
from affiche.domain.ports import ChangeSet
from affiche.local.runner import TABLE_FILE
from affiche.store.repository import DynamoRepository
from tests.local.conftest import running


def test_a_restart_indexes_the_private_events_of_an_older_data_folder(
        tmp_path: Path, restore_env: None) -> None:
    data = tmp_path / "data"
    # Given a data folder holding a private event, saved without its gsi3 key
    first = running(data, empty=True)
    try:
        begins = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        DynamoRepository().commit(ChangeSet().put(Event(
            uuid="dinner", group="demo", organizer="admin", title="Members dinner",
            begins_on=begins, ends_on=begins + timedelta(hours=2), timezone="UTC",
            created_at=begins, updated_at=begins, visibility="private")))
    finally:
        first.stop()
    export = data / TABLE_FILE
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    dinner = next(r for r in rows if r["pk"] == {"S": "EVENT#dinner"})
    assert dinner["gsi3pk"] == {"S": "GROUP#demo#MEMBERS_EVENTS"}
    for row in rows:
        row.pop("gsi3pk", None)
        row.pop("gsi3sk", None)
    export.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    # When the instance starts again over it
    again = running(data)
    try:
        # Then the members' index lists the event, whose version did not change
        found = list(DynamoRepository().members_events_of_group("demo"))
        assert [(e.uuid, e.version) for e in found] == [("dinner", 1)]
    finally:
        again.stop()
    # And the folder now keeps the key
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    dinner = next(r for r in rows if r["pk"] == {"S": "EVENT#dinner"})
    assert dinner["gsi3pk"] == {"S": "GROUP#demo#MEMBERS_EVENTS"}
