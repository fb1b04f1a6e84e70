"""Public keys of remote actors: fetched through the guarded client, cached in DynamoDB for a day.

A signed request names its key (`keyId`, e.g. `https://masto.example/users/ann#main-key`). We
fetch the URL without its fragment, with a GET signed by the instance actor (servers in
authorized-fetch mode answer 401 to unsigned ones), and find the key in what comes back:
- an actor document whose `publicKey` is a dict or a list of dicts (Mastodon, Mobilizon, Lemmy,
  GoToSocial, which serves the actor stub at its `/main-key` URL);
- a bare key document `{id, owner, publicKeyPem}` (some older servers).
The key must name an owner on the same host as the key: a document on host A cannot vouch for an
actor on host B.

Cache: one item per key, pk `REMOTEKEY#{key_id}`, sk `A`, kind `remote_key`, its JSON in `data`
and the TTL attribute `expires` one day ahead. moto never runs TTL and DynamoDB deletes expired
items only eventually, so expiry is checked here on every read (DESIGN.md §7). `refresh=True`
re-fetches whatever the cache holds: the inbox does that once when a signature fails with the
cached key, because the sender may have rotated it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

from affiche.activitypub.fetch import Fetcher, FetchError
from affiche.store.table import Item, bind

KIND = "remote_key"
KEY_TTL = timedelta(days=1)
MAIN = "A"


class KeyNotFound(FetchError):
    """The document at the key's URL holds no usable key for that key id."""

    reason = "no_key"


@dataclass(frozen=True)
class RemoteKey:
    key_id: str
    owner: str  # the actor id the key belongs to
    pem: str
    fetched_at: datetime
    expires_at: datetime
    from_cache: bool = False

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def as_lookup(self) -> tuple[str, str]:
        """(owner, pem): what signatures.verify_request's key lookup returns."""
        return self.owner, self.pem


# --- finding the key in a document (pure) ----------------------------------------------------

def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower()


def key_from_document(key_id: str, document: dict[str, Any]) -> tuple[str, str]:
    """(owner, pem) for `key_id` in a fetched actor or key document; raises KeyNotFound."""
    url = urldefrag(key_id).url
    candidates: list[Any]
    if "publicKeyPem" in document:  # a bare key document
        candidates = [document]
        default_owner = None
    else:
        found = document.get("publicKey")
        candidates = found if isinstance(found, list) else [found]
        default_owner = document.get("id")
    for key in candidates:
        if not isinstance(key, dict) or key.get("id") != key_id:
            continue
        owner, pem = key.get("owner", default_owner), key.get("publicKeyPem")
        if not isinstance(owner, str) or not isinstance(pem, str):
            raise KeyNotFound("the key has no owner or no PEM", url=url)
        if default_owner is not None and owner != default_owner:
            raise KeyNotFound(f"the key belongs to {owner}, not to {default_owner}", url=url)
        if _origin(owner) != _origin(key_id):
            raise KeyNotFound(f"a key on {_origin(key_id)[1]} cannot belong to {owner}", url=url)
        return owner, pem
    raise KeyNotFound(f"no key {key_id} in the document", url=url)


def fetch_key(key_id: str, fetcher: Fetcher | None = None) -> tuple[str, str]:
    """Fetch the key's document and find the key; raises a FetchError subclass."""
    url = urldefrag(key_id).url
    if fetcher is None:  # signed by the instance actor: authorized-fetch servers require it
        from affiche.activitypub.instance_actor import signed_fetcher

        fetcher = signed_fetcher()
    document = fetcher.get_json(url)
    return key_from_document(key_id, document)


# --- the cache (the small adapter over the one table) ----------------------------------------

def _primary_key(key_id: str) -> tuple[str, str]:
    return f"REMOTEKEY#{key_id}", MAIN


def _to_item(model: type[Item], key: RemoteKey) -> Item:
    data = {"key_id": key.key_id, "owner": key.owner, "pem": key.pem,
            "fetched_at": key.fetched_at.isoformat()}
    pk, sk = _primary_key(key.key_id)
    return model(pk, sk, kind=KIND, data=json.dumps(data, sort_keys=True),
                 expires=key.expires_at)


def _from_item(item: Item) -> RemoteKey:
    data = json.loads(item.data)
    fetched_at = datetime.fromisoformat(data["fetched_at"])
    expires_at = item.expires or fetched_at + KEY_TTL
    return RemoteKey(key_id=data["key_id"], owner=data["owner"], pem=data["pem"],
                     fetched_at=fetched_at, expires_at=expires_at, from_cache=True)


def cached_key(key_id: str, *, now: datetime | None = None,
               allow_expired: bool = False) -> RemoteKey | None:
    """The cached key, if any and (unless `allow_expired`) not yet expired."""
    model = bind()
    try:
        item = model.get(*_primary_key(key_id))
    except model.DoesNotExist:
        return None
    key = _from_item(item)
    if not allow_expired and key.expired(now or datetime.now(UTC)):
        return None
    return key


def store_key(key: RemoteKey) -> None:
    # A refresh overwrites the previous copy: no version condition, last writer wins.
    _to_item(bind(), key).save(add_version_condition=False)


def get_key(key_id: str, *, refresh: bool = False, fetcher: Fetcher | None = None,
            now: datetime | None = None) -> RemoteKey:
    """The public key `key_id`: from the cache, else (or with `refresh`) fetched and cached.

    Raises a FetchError subclass (KeyNotFound when the document holds no such key)."""
    now = now or datetime.now(UTC)
    if not refresh:
        cached = cached_key(key_id, now=now)
        if cached is not None:
            return cached
    owner, pem = fetch_key(key_id, fetcher)
    key = RemoteKey(key_id=key_id, owner=owner, pem=pem, fetched_at=now,
                    expires_at=now + KEY_TTL)
    store_key(key)
    return key
