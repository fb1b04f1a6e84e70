"""Deleted objects answer 410 Gone on AWS as they do locally (affiche/local/gateway.py): the
CloudFront Function reads the distribution's KeyValueStore of deleted folders, which the
outbox keeps (affiche/publish/gone_index.py). Run under node with the store faked."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from affiche.publish import gone_index, tombstones
from affiche.publish.renderer import File, Output

RUNNER = Path(__file__).with_name("run_negotiate.js")
AP = "application/activity+json"
TOMBSTONE = json.dumps(tombstones.tombstone("https://events.example.org/events/x/", "Event",
                                            None))


def edge(vectors: list[dict[str, Any]], gone: dict[str, str]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run([node, str(RUNNER)], capture_output=True, text=True, check=True,
                          input=json.dumps({"vectors": vectors, "gone": gone}), timeout=60)
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_a_deleted_event_answers_410_to_people_and_servers() -> None:
    # Given the event x was deleted (its folder is in the store), y was not
    gone = {"events/x": TOMBSTONE}
    page, document, calendar, other = edge([
        {"path": "/events/x/", "accept": "text/html"},
        {"path": "/events/x/", "accept": AP},
        {"path": "/events/x/event.ics", "accept": None},
        {"path": "/events/y/", "accept": AP}], gone)
    # Then a browser gets the short "removed" page, a server the Tombstone, both 410
    assert page["status"] == 410 and "This page was removed" in page["body"]
    assert page["headers"]["content-type"]["value"].startswith("text/html")
    assert document["status"] == 410 and json.loads(document["body"])["type"] == "Tombstone"
    assert document["headers"]["content-type"]["value"] == AP
    assert calendar["status"] == 410
    # ... and anything else still reaches the bucket
    assert other == {"uri": "/events/y/index.json", "key": "events/y/index.json", "status": None}


def test_the_instance_root_is_never_gone() -> None:
    [home] = edge([{"path": "/", "accept": "text/html"}], {"": TOMBSTONE})
    assert home["status"] is None and home["key"] == "index.html"


def test_the_outbox_keeps_the_store_in_step_with_the_markers() -> None:
    # Given a publish that wrote one marker and removed another (an event made private again)
    output = Output([File("events/x/gone.json", TOMBSTONE.encode(), AP),
                     File("events/z/index.html", b"", "text/html")],
                    deletes=["events/y/gone.json", "events/z/event.ics"])
    recorder = gone_index.RecordingGoneIndex()
    # When the outbox applies it
    gone_index.apply(recorder, output)
    # Then the store holds x's Tombstone and no longer y
    assert recorder.puts == {"events/x": TOMBSTONE}
    assert recorder.removed == ["events/y"]
