"""The inbox: check, verify, store the raw activity, acknowledge (microblog.pub's thin inbox).

POST /inbox (shared) and POST /@{name}/inbox (personal), in this order:
1. body at most 256 KiB (413), JSON (400), with a `type` and an `actor` (400);
2. a personal inbox must belong to a local actor (404);
3. unsigned -> 401. A self-`Delete` or self-`Update` from an actor whose key we never cached is
   acknowledged at once with 202 and nothing fetched: when an account is deleted its server sends
   the Delete to every server it ever knew, and fetching the (now gone) key for each is the
   "delete storm" (Mastodon does the same: https://github.com/mastodon/mastodon/pull/10326; for
   self-Updates see https://github.com/immers-space/activitypub-express/issues/93). "Never met"
   means no key of theirs was ever cached, expired or not (a TTL'd cache, so months-old contacts
   may count as never met);
4. verify the HTTP signature with the cached key; if that fails and the key came from the cache,
   fetch it once more and retry (the sender may have rotated it); failure -> 401;
5. the key's owner must be the activity's actor (401): otherwise any server could speak for
   anyone else;
6. store the activity (kind `inbound`, pk `INBOUND#{activity id}`) with a conditional put, so a
   second delivery of the same id is acknowledged (202) without being stored or processed twice;
7. hand it to `affiche.activitypub.handlers.dispatch`; answer 202. If a handler raises, the stored
   copy is deleted again, so the sender's retry is processed rather than taken for a duplicate.

The signature is checked against the *public* URL (Settings.public_url + the request path) and the
public host, never the Host header or path the origin saw (CloudFront and API Gateway change both).
The body is read raw by the handler, not through Powertools' validation, which answers 415 to
`application/activity+json` (DESIGN.md §7).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from affiche.activitypub import handlers
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.remote_keys import RemoteKey
from affiche.activitypub.signatures import (
    VerificationResult,
    signature_key_id,
    verify_request,
)
from affiche.config import Settings, get_settings

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
#: How long a delivered activity id is remembered (deduplication window; DynamoDB TTL).
INBOUND_TTL = timedelta(days=30)
KIND = "inbound"


# --- what comes in and goes out --------------------------------------------------------------

@dataclass(frozen=True)
class InboundRequest:
    method: str
    path: str  # the request path, which is also the public URL's path below public_url
    headers: dict[str, str]  # names lower-cased
    body: bytes
    query: str = ""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def accepted(cls, status: str, detail: str = "", **extra: Any) -> Answer:
        return cls(202, {"status": status, "detail": detail, **extra})

    @classmethod
    def error(cls, status: int, code: str, message: str, **extra: Any) -> Answer:
        return cls(status, {"error": code, "message": message, **extra})


# --- the ports the inbox needs ---------------------------------------------------------------

class KeySource(Protocol):
    def get(self, key_id: str, *, refresh: bool) -> RemoteKey:
        """The key from the cache (unless `refresh`) or fetched; raises FetchError."""
        ...

    def seen(self, key_id: str) -> bool:
        """Whether this key was ever cached (even if expired): we have met its actor."""
        ...


class InboundStore(Protocol):
    def local_actor_exists(self, name: str) -> bool: ...

    def record(self, activity_id: str, record: dict[str, Any], expires: datetime) -> bool:
        """Store once: False when this activity id is already stored."""
        ...

    def forget(self, activity_id: str) -> None: ...


class CachedKeys:
    """KeySource over affiche.activitypub.remote_keys (DynamoDB cache + guarded fetch)."""

    def get(self, key_id: str, *, refresh: bool) -> RemoteKey:
        from affiche.activitypub import remote_keys

        return remote_keys.get_key(key_id, refresh=refresh)

    def seen(self, key_id: str) -> bool:
        from affiche.activitypub import remote_keys

        return remote_keys.cached_key(key_id, allow_expired=True) is not None


def inbound_key(activity_id: str) -> tuple[str, str]:
    """pk/sk of a stored inbound activity (very long ids are hashed to fit a partition key)."""
    if len(activity_id.encode()) > 1024:
        activity_id = "sha256:" + hashlib.sha256(activity_id.encode()).hexdigest()
    return f"INBOUND#{activity_id}", "A"


class DynamoInbound:
    """InboundStore over the one table: items of kind `inbound`."""

    def local_actor_exists(self, name: str) -> bool:
        from affiche.domain.model import Actor
        from affiche.store.repository import DynamoRepository

        actor = DynamoRepository().get(Actor, name)
        return actor is not None and not actor.deleted

    def record(self, activity_id: str, record: dict[str, Any], expires: datetime) -> bool:
        from pynamodb.exceptions import PutError

        from affiche.store.table import bind

        model = bind()
        item = model(*inbound_key(activity_id), kind=KIND,
                     data=json.dumps(record, ensure_ascii=False), expires=expires)
        try:
            item.save(condition=model.pk.does_not_exist(), add_version_condition=False)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def forget(self, activity_id: str) -> None:
        from affiche.store.table import bind

        bind()(*inbound_key(activity_id)).delete(add_version_condition=False)


# --- reading the activity (pure) -------------------------------------------------------------

def route(path: str) -> str | None:
    """"" for the shared inbox, the actor's name for /@{name}/inbox, None for anything else."""
    path = unquote(path).rstrip("/")
    if path == "/inbox":
        return ""
    parts = path.split("/")
    if len(parts) == 3 and parts[1].startswith("@") and len(parts[1]) > 1 and parts[2] == "inbox":
        return parts[1][1:].lower()
    return None


def parse_activity(body: bytes) -> dict[str, Any] | Answer:
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Answer.error(400, "invalid_json", "the request body is not valid JSON")
    if not isinstance(activity, dict):
        return Answer.error(400, "invalid_activity", "the request body is not a JSON object")
    if not isinstance(activity.get("type"), str | list) or not activity["type"]:
        return Answer.error(400, "invalid_activity", "the activity has no type")
    if actor_of(activity) is None:
        return Answer.error(400, "invalid_activity", "the activity has no actor")
    return activity


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def actor_of(activity: dict[str, Any]) -> str | None:
    """The actor id: a string, or an embedded object's `id`."""
    return _id_of(activity.get("actor"))


def is_self_delete_or_update(activity: dict[str, Any]) -> bool:
    """A `Delete` or `Update` whose object is its own actor (account deletion, profile edit)."""
    types = activity["type"] if isinstance(activity["type"], list) else [activity["type"]]
    if not {"Delete", "Update"} & set(types):
        return False
    return _id_of(activity.get("object")) == actor_of(activity)


def activity_id(activity: dict[str, Any], body: bytes) -> str:
    """The activity's id, or for a transient activity without one, the hash of its body."""
    return _id_of(activity.get("id")) or "sha256:" + hashlib.sha256(body).hexdigest()


# --- the inbox -------------------------------------------------------------------------------

@dataclass
class _KeyLookup:
    """The key lookup handed to verify_request; remembers where the key came from."""

    keys: KeySource
    refresh: bool
    from_cache: bool = False
    error: str = ""

    def __call__(self, key_id: str) -> tuple[str, str] | None:
        try:
            key = self.keys.get(key_id, refresh=self.refresh)
        except FetchError as error:
            self.error = f"{error.reason}: {error}"
            return None
        self.from_cache = key.from_cache
        return key.as_lookup()


@dataclass
class Inbox:
    keys: KeySource = field(default_factory=CachedKeys)
    store: InboundStore = field(default_factory=DynamoInbound)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    settings: Settings = field(default_factory=get_settings)

    def receive(self, request: InboundRequest) -> Answer:
        local = route(request.path)
        if local is None:
            return Answer.error(404, "not_found", "no inbox here")
        if request.method.upper() != "POST":
            return Answer(405, {"error": "method_not_allowed", "message": "inboxes take POST"},
                          {"Allow": "POST"})
        if len(request.body) > MAX_BODY:
            return Answer.error(413, "body_too_large",
                                f"the activity must be at most {MAX_BODY} bytes")
        parsed = parse_activity(request.body)
        if isinstance(parsed, Answer):
            return parsed
        if local and not self.store.local_actor_exists(local):
            return Answer.error(404, "not_found", f"no local actor @{local}")
        return self._authenticate_and_store(request, parsed, local)

    def _authenticate_and_store(self, request: InboundRequest, activity: dict[str, Any],
                                local: str) -> Answer:
        actor = actor_of(activity)
        key_id = signature_key_id(request.headers)
        if key_id is None:
            return Answer.error(401, "unsigned", "sign the request (HTTP Signatures)")
        if is_self_delete_or_update(activity) and not self.keys.seen(key_id):
            return Answer.accepted("ignored", "an actor we never met deleted or updated itself")
        result = self._verify(request)
        if not result.ok:
            log.info("inbox: rejected signature from %s: %s (%s)", key_id, result.reason,
                     result.detail)
            return Answer.error(401, "invalid_signature", result.detail or str(result.reason),
                                reason=str(result.reason))
        if result.signer != actor:
            return Answer.error(401, "invalid_signature",
                                f"the key {key_id} belongs to {result.signer}, not to {actor}",
                                reason="key_owner_mismatch")
        return self._store_and_dispatch(request, activity, local, result)

    def _public_target(self, request: InboundRequest) -> tuple[str, str, str]:
        """(scheme, host, path with query) of the public URL the sender addressed."""
        public = urlsplit(self.settings.public_url)
        target = public.path.rstrip("/") + request.path
        if request.query:
            target += f"?{request.query}"
        return public.scheme, self.settings.host, target

    def _verify(self, request: InboundRequest) -> VerificationResult:
        lookup = _KeyLookup(self.keys, refresh=False)
        result = self._verify_with(request, lookup)
        # Retry once with a freshly fetched key, only when the failing key came from the cache:
        # the sender may have rotated it since we cached it.
        if result.key_may_be_stale and lookup.from_cache:
            result = self._verify_with(request, _KeyLookup(self.keys, refresh=True))
        return result

    def _verify_with(self, request: InboundRequest, lookup: _KeyLookup) -> VerificationResult:
        scheme, host, target = self._public_target(request)
        result = verify_request(request.method, target, request.headers, request.body, lookup,
                                self.clock(), host=host, scheme=scheme)
        if lookup.error and not result.ok:  # say why the key could not be had
            return VerificationResult(False, result.reason, lookup.error, key_id=result.key_id,
                                      scheme=result.scheme)
        return result

    def _store_and_dispatch(self, request: InboundRequest, activity: dict[str, Any],
                            local: str, result: VerificationResult) -> Answer:
        now = self.clock()
        the_id = activity_id(activity, request.body)
        record = {"activity": activity, "received_at": now.isoformat(), "inbox": local or None,
                  "signer": result.signer, "key_id": result.key_id, "scheme": result.scheme}
        if not self.store.record(the_id, record, now + INBOUND_TTL):
            return Answer.accepted("duplicate", "this activity was already received", id=the_id)
        context = handlers.InboundContext(activity_id=the_id, signer=result.signer or "",
                                          inbox=local or None, received_at=now.isoformat())
        dispatched = False
        try:
            outcome = handlers.dispatch(activity, context)
            dispatched = True
        finally:
            if not dispatched:
                # Processing failed: forget the delivery so the sender's retry is processed
                # again instead of being taken for a duplicate (nothing lost).
                self.store.forget(the_id)
        return Answer.accepted("accepted" if not outcome.ignored else "ignored", outcome.detail,
                               id=the_id)
