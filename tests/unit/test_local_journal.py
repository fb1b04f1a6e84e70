"""The local runner's journal (affiche/local/journal.py) read back at start: the export, then the
rotated segments and the live journal in order, deletes included; a line cut short by a kill is
ignored (its write was never acknowledged); activities written since the last fold come back for
the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from affiche.aws import client
from affiche.config import get_settings
from affiche.local.journal import JOURNAL_FILE, load, stored_items


def _item(pk: str, kind: str = "group", data: str = "{}") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "MAIN"}, "kind": {"S": kind}, "data": {"S": data}}


def _entry(item: dict[str, Any] | None, pk: str) -> str:
    return json.dumps({"key": {"pk": {"S": pk}, "sk": {"S": "MAIN"}}, "item": item})


def test_load_replays_segments_then_the_journal_over_the_export(aws: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    snapshot = folder / "table.jsonl"
    # Given an export, a rotated segment and a live journal whose last line was cut short
    snapshot.write_text("".join(json.dumps(i) + "\n" for i in (_item("A"), _item("B"))))
    (folder / "journal.000001.jsonl").write_text(
        _entry(_item("A", data='{"v": 2}'), "A") + "\n" + _entry(None, "B") + "\n")
    (folder / JOURNAL_FILE).write_text(
        _entry(_item("ACT", kind="activity"), "ACT") + "\n" + _entry(_item("C"), "C") + "\n"
        + '{"key": {"pk": {"S": "D"')
    # When the runner loads the folder
    count, unfinished = load(folder, snapshot)
    # Then the table holds the latest state of each item, and the deleted one is gone
    items = client("dynamodb").scan(TableName=get_settings().table_name)["Items"]
    by_key = {i["pk"]["S"]: i for i in items if i["sk"]["S"] == "MAIN"}
    assert set(by_key) == {"A", "ACT", "C"} and count == 3
    assert by_key["A"]["data"]["S"] == '{"v": 2}'
    # And the activity written since the last fold is handed back for the outbox
    assert [i["pk"]["S"] for i in unfinished] == ["ACT"]
    # And the folder now holds one export of it all and no journal
    assert sorted(p.name for p in folder.iterdir()) == ["table.jsonl"]
    assert len(snapshot.read_text().splitlines()) == 3


def test_load_without_a_journal_imports_the_export(aws: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "table.jsonl").write_text(json.dumps(_item("A")) + "\n")
    assert load(folder, folder / "table.jsonl") == (1, [])


def test_an_account_mail_not_sent_before_a_crash_is_handed_back(aws: Path,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    snapshot = folder / "table.jsonl"
    snapshot.write_text("")
    # Given a journal holding a confirmation mail written but not yet sent by the outbox
    (folder / JOURNAL_FILE).write_text(_entry(_item("OUTGOING#1", kind="outgoing_mail"),
                                              "OUTGOING#1") + "\n")
    # Then loading the folder hands it to the outbox again (its ledger keeps it sent once)
    _, unfinished = load(folder, snapshot)
    assert [i["pk"]["S"] for i in unfinished] == ["OUTGOING#1"]


def test_a_data_folder_reads_as_the_export_with_the_journal_replayed(tmp_path: Path) -> None:
    # Given an export, and a journal of writes made since (an update, a delete, a new item)
    folder = tmp_path / "data"
    folder.mkdir()
    snapshot = folder / "table.jsonl"
    snapshot.write_text("".join(json.dumps(i) + "\n" for i in (_item("A"), _item("B"))))
    (folder / JOURNAL_FILE).write_text(
        _entry(_item("A", data='{"v": 2}'), "A") + "\n" + _entry(None, "B") + "\n"
        + _entry(_item("C"), "C") + "\n")
    # When it is read without a table (as a test of a running instance does)
    stored = {i["pk"]["S"]: i for i in stored_items(folder, snapshot, ["pk", "sk"])}
    # Then it holds what the running instance holds, and nothing was changed on disk
    assert set(stored) == {"A", "C"} and stored["A"]["data"]["S"] == '{"v": 2}'
    assert sorted(p.name for p in folder.iterdir()) == [JOURNAL_FILE, "table.jsonl"]
