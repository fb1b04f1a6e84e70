"""The static site's search index follows content as it changes, one item at a time, through
the real path (API -> DynamoDB -> change stream -> outbox -> bucket): what is public and listed
is found by its words, tags and date; what is edited is found by its new words; what is deleted,
made private, unpublished or hidden leaves the index."""

from __future__ import annotations

import json
from typing import Any

from affiche.aws import client
from affiche.config import get_settings
from affiche.publish import search_index
from affiche.publish.search_index import BucketShards, merge, shard_body, shard_key, words
from tests.functions.test_group_public_output import Site, create_group, site

__all__ = ["site"]


def index(site: Site) -> dict[str, dict[str, Any]]:
    """Every entry of every shard in the bucket, by id."""
    docs: dict[str, dict[str, Any]] = {}
    stored = site.keys()
    for key in stored:
        if key.startswith(search_index.PREFIX):
            for doc in json.loads(site.body(key))["docs"]:
                docs[doc["id"]] = doc
    return docs


def found(site: Site, word: str) -> list[str]:
    """Titles whose words start with `word`, as search.js matches them."""
    return sorted(d["title"] for d in index(site).values()
                  if any(w.startswith(word) for w in d["words"].split()))


def test_the_index_follows_events_posts_and_groups(site: Site) -> None:
    # Given a public group with a listed event, an unlisted one and a post
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club", summary="Lanterns and *walks* in Lyon")
    event = ann.post("/api/groups/club/events", {
        "title": "Lantern walk", "begins_on": "2031-03-14T19:00", "ends_on": "2031-03-14T21:00",
        "timezone": "Europe/Paris", "tags": ["night", "walk"],
        "description": "Bring a **lantern**; we cross the Saône.",
        "address": {"street": "Place des Terreaux", "locality": "Lyon"}}).body
    unlisted = ann.post("/api/groups/club/events", {
        "title": "Lantern repair", "begins_on": "2031-03-15T19:00",
        "ends_on": "2031-03-15T21:00", "timezone": "Europe/Paris",
        "visibility": "unlisted"}).body
    post = ann.post("/api/groups/club/posts", {"title": "Our lantern season",
                                               "body": "It starts in *March*.",
                                               "tags": ["news"]}).body
    site.publish()
    # Then the listed event, the post and the group are found; the unlisted event is not
    assert found(site, "lantern") == ["Club", "Lantern walk", "Our lantern season"]
    docs = index(site)
    entry = docs[f"event-{event['uuid']}"]
    assert entry["url"] == f"/events/{event['uuid']}/" and entry["date"] == "2031-03-14"
    assert entry["tags"] == ["night", "walk"] and entry["where"].endswith("Lyon")
    assert "saone" in entry["words"].split()  # accents folded, as the browser folds them
    assert f"event-{unlisted['uuid']}" not in docs
    assert docs[f"post-{post['slug']}"]["tags"] == ["news"]

    # When the event is renamed, then the post deleted and the event made private
    assert ann.call("PATCH", f"/api/events/{event['uuid']}",
                    {"title": "Torch walk"}).status == 200
    site.publish()
    assert "Torch walk" in found(site, "torch") and "Lantern walk" not in found(site, "lantern")
    assert ann.call("DELETE", f"/api/posts/{post['slug']}").status in (200, 204)
    assert ann.call("PATCH", f"/api/events/{event['uuid']}",
                    {"visibility": "private"}).status == 200
    site.publish()
    # Then both have left the index; the group is still there
    assert found(site, "torch") == [] and found(site, "lantern") == ["Club"]

    # When the group becomes unlisted
    assert ann.call("PUT", "/api/groups/club", {"visibility": "unlisted"}).status == 200
    site.publish()
    assert index(site) == {}


def test_a_deleted_event_leaves_the_index(site: Site) -> None:
    ann = site.person("ann@example.org", "ann")
    create_group(ann, "club")
    event = ann.post("/api/groups/club/events", {
        "title": "Harvest fair", "begins_on": "2031-09-14T10:00",
        "ends_on": "2031-09-14T18:00", "timezone": "Europe/Paris"}).body
    site.publish()
    assert found(site, "harvest") == ["Harvest fair"]
    assert ann.call("DELETE", f"/api/events/{event['uuid']}").status in (200, 204)
    site.publish()
    assert found(site, "harvest") == []


def test_a_concurrent_change_to_a_shard_is_not_lost(site: Site) -> None:
    # Given a shard another publish rewrites between our read and our write
    s3, bucket = client("s3"), get_settings().site_bucket
    shards = BucketShards(s3, bucket, "public, max-age=0")
    a = "event-a"
    b = next(f"event-b{n}" for n in range(999)
             if search_index.shard_of(f"event-b{n}") == search_index.shard_of(a))
    doc = {"kind": "event", "title": "A", "words": "a", "tags": []}

    class Racing:
        raced = False

        def read(self, key: str) -> tuple[bytes | None, str | None]:
            return shards.read(key)

        def write(self, key: str, body: bytes, version: str | None) -> bool:
            if not self.raced:  # the other publish lands first
                self.raced = True
                merge({b: {**doc, "title": "B"}}, shards)
            return shards.write(key, body, version)

    merge({a: doc}, Racing())
    # Then both changes are in the shard
    stored = json.loads(s3.get_object(Bucket=bucket, Key=shard_key(search_index.shard_of(a)))
                        ["Body"].read())
    assert [d["id"] for d in stored["docs"]] == [a, b]


def test_words_fold_case_and_accents() -> None:
    assert words("Fête de la Saône", "SAÔNE, l'été") == "fete de la saone l ete"
    assert shard_body({}) == b'{"docs":[]}'
