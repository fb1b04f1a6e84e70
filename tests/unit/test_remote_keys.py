"""Remote key lookup and its DynamoDB cache (moto), remote servers faked with MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import httpx
import pytest

from affiche.activitypub import remote_keys
from affiche.activitypub.fetch import Fetcher, HttpStatusError
from affiche.activitypub.remote_keys import KeyNotFound, cached_key, get_key, key_from_document
from affiche.activitypub.signatures import load_public_key
from affiche.store.table import bind
from tests.conftest import load_fixture

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class RemoteServer:
    """Serves documents by URL and counts requests."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        self.hits: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.hits.append(str(request.url))
        doc = self.documents.get(str(request.url))
        if doc is None:
            return httpx.Response(410, json={"type": "Tombstone"})
        return httpx.Response(200, json=doc, headers={"Content-Type": "application/activity+json"})

    def fetcher(self) -> Fetcher:
        return Fetcher(transport=httpx.MockTransport(self), allow_private=False,
                       resolver=lambda host, port: ["93.184.215.14"])


def serve(*fixtures: str) -> tuple[RemoteServer, list[dict[str, Any]]]:
    actors = [load_fixture(name) for name in fixtures]
    return RemoteServer({a["id"]: a for a in actors}), actors


@pytest.mark.parametrize("fixture", ["mastodon/person.json",
                                     "mobilizon/mobilizon.fr-person-actor.json",
                                     "lemmy/group-actor.json", "gancio/gancio-actor.json"])
def test_finds_the_key_in_real_actor_documents(aws: Path, fixture: str) -> None:
    # Given a remote server serving a real actor document
    server, (actor,) = serve(fixture)
    key_id = actor["publicKey"]["id"]
    # When its key is looked up
    key = get_key(key_id, fetcher=server.fetcher(), now=NOW)
    # Then the key's URL without fragment was fetched, and owner and PEM come back
    assert server.hits == [urldefrag(key_id).url]
    assert (key.owner, key.pem) == (actor["id"], actor["publicKey"]["publicKeyPem"])
    assert not key.from_cache
    load_public_key(key.pem)  # SPKI and Mobilizon's PKCS#1 both load


def test_second_lookup_comes_from_the_cache(aws: Path) -> None:
    server, (actor,) = serve("mastodon/person.json")
    key_id = actor["publicKey"]["id"]
    get_key(key_id, fetcher=server.fetcher(), now=NOW)
    # When looked up again within the day
    key = get_key(key_id, fetcher=server.fetcher(), now=NOW + timedelta(hours=23))
    # Then nothing is fetched
    assert key.from_cache
    assert len(server.hits) == 1
    item = bind().get(f"REMOTEKEY#{key_id}", "A")
    assert item.kind == "remote_key"
    assert item.expires == NOW + timedelta(days=1)


def test_expired_cache_entry_is_fetched_again(aws: Path) -> None:
    # moto never deletes TTL items: expiry is checked in code
    server, (actor,) = serve("mastodon/person.json")
    key_id = actor["publicKey"]["id"]
    get_key(key_id, fetcher=server.fetcher(), now=NOW)
    later = NOW + timedelta(days=1, minutes=1)
    assert cached_key(key_id, now=later) is None
    assert cached_key(key_id, now=later, allow_expired=True) is not None
    key = get_key(key_id, fetcher=server.fetcher(), now=later)
    assert not key.from_cache
    assert len(server.hits) == 2
    assert cached_key(key_id, now=later) == key.__class__(**{**key.__dict__, "from_cache": True})


def test_refresh_fetches_a_rotated_key(aws: Path) -> None:
    # Given a cached key
    server, (actor,) = serve("mastodon/person.json")
    key_id = actor["publicKey"]["id"]
    get_key(key_id, fetcher=server.fetcher(), now=NOW)
    # When the remote rotates it and we ask for a refresh
    server.documents[actor["id"]] = {
        **actor, "publicKey": {**actor["publicKey"], "publicKeyPem": "NEW"}}
    key = get_key(key_id, refresh=True, fetcher=server.fetcher(), now=NOW)
    # Then the new key is returned and cached over the old one
    assert key.pem == "NEW"
    assert cached_key(key_id, now=NOW).pem == "NEW"  # type: ignore[union-attr]


def test_gone_actor_raises(aws: Path) -> None:
    server = RemoteServer({})
    with pytest.raises(HttpStatusError) as caught:
        get_key("https://gone.example/users/x#main-key", fetcher=server.fetcher())
    assert caught.value.status == 410
    assert cached_key("https://gone.example/users/x#main-key") is None


# --- finding the key (pure) ------------------------------------------------------------------

KEY_ID = "https://remote.example/users/ann#main-key"
OWNER = "https://remote.example/users/ann"


def test_key_list_picks_the_named_key() -> None:
    doc = {"id": OWNER, "publicKey": [
        {"id": f"{OWNER}#other", "owner": OWNER, "publicKeyPem": "OTHER"},
        {"id": KEY_ID, "owner": OWNER, "publicKeyPem": "PEM"},
    ]}
    assert key_from_document(KEY_ID, doc) == (OWNER, "PEM")


def test_bare_key_document() -> None:
    key_id = f"{OWNER}/main-key"
    doc = {"id": key_id, "owner": OWNER, "publicKeyPem": "PEM"}
    assert key_from_document(key_id, doc) == (OWNER, "PEM")


@pytest.mark.parametrize("doc", [
    {"id": OWNER, "publicKey": {"id": f"{OWNER}#other", "owner": OWNER, "publicKeyPem": "P"}},
    {"id": OWNER, "publicKey": {"id": KEY_ID, "owner": "https://evil.example/x",
                                "publicKeyPem": "P"}},
    {"id": KEY_ID, "owner": "https://evil.example/users/ann", "publicKeyPem": "P"},
    {"id": OWNER, "publicKey": {"id": KEY_ID, "owner": OWNER}},
    {"id": OWNER},
], ids=["other-key", "owner-not-document", "owner-on-other-host", "no-pem", "no-key"])
def test_unusable_documents(doc: dict[str, Any]) -> None:
    with pytest.raises(KeyNotFound) as caught:
        key_from_document(KEY_ID, doc)
    assert caught.value.reason == "no_key"


def test_remote_key_lookup_pair() -> None:
    key = remote_keys.RemoteKey(KEY_ID, OWNER, "PEM", NOW, NOW + remote_keys.KEY_TTL)
    assert key.as_lookup() == (OWNER, "PEM")
    assert not key.expired(NOW) and key.expired(NOW + timedelta(days=1))
