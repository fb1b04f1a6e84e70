"""What a deleted object's URLs answer: 410 Gone, with an ActivityStreams Tombstone.

Fediverse servers apply a remote `Delete` only once the object itself answers 410 (Mobilizon
re-fetches it and keeps its copy on a 404, which could be a transient error); people get a short
page saying the thing was removed. The renderer writes one marker per deleted object,
`{folder}/gone.json`, holding the Tombstone, and removes the object's other files; whoever
serves the bucket answers 410 for any key in a folder that holds the marker (the local gateway:
affiche/local/gateway.py).

Only objects that were public get a marker: a private event's or a draft's id was never shown to
anyone outside, and must not start answering now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

MARKER = "gone.json"
AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"


def tombstone(object_id: str, former_type: str, deleted: datetime | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS2_CONTEXT, "id": object_id, "type": "Tombstone",
                           "formerType": former_type}
    if deleted is not None:
        doc["deleted"] = deleted.isoformat()
    return doc


def marker_for(key: str) -> str:
    """The marker's key for any object key of the same folder (`events/x/event.ics` ->
    `events/x/gone.json`); a key at the bucket's root has no folder and no marker."""
    folder, _, _ = key.rpartition("/")
    return f"{folder}/{MARKER}" if folder else ""


HTML_PAGE = (b"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
             b"<meta name=\"viewport\" content=\"width=device-width\">"
             b"<meta name=\"robots\" content=\"noindex\"><title>Removed</title>"
             b"<main><h1>This page was removed</h1><p>What was published here has been deleted."
             b"</p><p><a href=\"/\">Back to the home page</a></p></main></html>")


def lifted(activity: Any, store: Any) -> list[str]:
    """The markers to remove because `activity` brings their objects back (a moderator restored
    hidden content, an administrator ended a suspension): without this the folders would keep
    answering 410 over the pages written again. Only such activities lift markers, so ordinary
    renders never ask the CDN's gone index to remove keys it does not hold."""
    from affiche.domain.activities import is_restoring
    from affiche.domain.model import Actor

    if not is_restoring(activity):
        return []
    key = activity.object_key
    if activity.object_kind == "event":
        return [f"events/{key}/{MARKER}"]
    if activity.object_kind == "post":
        return [f"p/{key}/{MARKER}"]
    if activity.object_kind != "actor":
        return []
    markers = [f"@{key}/{MARKER}"]
    actor = store.get(Actor, key)
    if actor is not None and actor.is_group:  # its events and posts answered 410 with it
        markers += [f"events/{e.uuid}/{MARKER}" for e in store.events_of_group(key)
                    if not e.deleted and not e.is_remote]
        markers += [f"p/{p.slug}/{MARKER}" for p in store.posts_of_group(key) if not p.deleted]
    return markers
