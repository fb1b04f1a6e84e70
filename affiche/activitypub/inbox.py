"""The inbox: check, verify, store the raw activity, acknowledge (microblog.pub's thin inbox).

POST /inbox (shared) and POST /@{name}/inbox (personal), in this order:
1. body at most 256 KiB (413), JSON nested at most MAX_DEPTH deep (400: a 1,000-level body
   would otherwise blow the parser's recursion), an object with a `type` (a string or a list of
   strings) and an `actor` (400);
2. a personal inbox must belong to a local actor (404);
3. an actor or key on a blocked domain (the stored `blocked_domains` set, blocklist.py) -> 403,
   before anything is fetched;
4. unsigned -> 401. A self-`Delete` or self-`Update` from an actor whose key we never cached is
   acknowledged at once with 202 and nothing fetched: when an account is deleted its server sends
   the Delete to every server it ever knew, and fetching the (now gone) key for each is the
   "delete storm" (Mastodon does the same: https://github.com/mastodon/mastodon/pull/10326; for
   self-Updates see https://github.com/immers-space/activitypub-express/issues/93). "Never met"
   means no key of theirs was ever cached, expired or not (a TTL'd cache, so months-old contacts
   may count as never met);
5. verify the HTTP signature with the cached key; if that fails and the key came from the cache,
   fetch it once more and retry (the sender may have rotated it); failure -> 401. The message
   says why in general terms and never what a host resolved to (no oracle for internal names);
6. the key's owner must be the activity's actor (401): otherwise any server could speak for
   anyone else;
7. the activity's `id`, when it has one, must be on the signer's host (400): the id is our
   deduplication key, and a server must not squat (pre-empt) ids of another server's activities;
8. store the activity (kind `inbound`, pk `INBOUND#{activity id}`, state `received`) with a
   conditional put, so a second delivery of the same id is acknowledged (202) without being
   stored or processed twice; answer 202 at once.

Processing is asynchronous (DESIGN.md §9 "Inbound is asynchronous"): the stored item's INSERT
reaches the outbox function through the table's stream, which runs `handlers.dispatch` with
retries (affiche/activitypub/inbound.py) and records the state processed | ignored | failed.

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

from affiche.activitypub import blocklist
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.remote_keys import RemoteKey
from affiche.activitypub.signatures import (
    VerificationResult,
    signature_key_id,
    verify_request,
)
from affiche.bounded_json import MAX_DEPTH, nesting_depth
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
        index = state_index(record.get("state", RECEIVED), record.get("received_at", ""))
        item = model(*inbound_key(activity_id), kind=KIND,
                     data=_compact(record), expires=expires,
                     gsi1pk=index["gsi1pk"], gsi1sk=index["gsi1sk"])
        try:
            item.save(condition=model.pk.does_not_exist(), add_version_condition=False)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def load(self, activity_id: str) -> dict[str, Any] | None:
        """The stored record (read consistently: a retry must see the state its try wrote)."""
        from affiche.store.table import bind

        model = bind()
        try:
            item = model.get(*inbound_key(activity_id), consistent_read=True)
        except model.DoesNotExist:
            return None
        record: dict[str, Any] = json.loads(item.data)
        return record

    def update(self, activity_id: str, record: dict[str, Any]) -> None:
        """Write the record's new state (and its listing by state) over the stored one."""
        from affiche.store.table import bind

        model = bind()
        model(*inbound_key(activity_id)).update(actions=[
            model.data.set(_compact(record)),
            *(getattr(model, name).set(value) for name, value in state_index(
                record["state"], record.get("received_at", "")).items())],
            condition=model.pk.exists(), add_version_condition=False)

    def in_state(self, state: str, limit: int = 100) -> list[dict[str, Any]]:
        """Stored records in `state`, newest first (what an administrator reviews)."""
        from affiche.store.table import bind

        model = bind()
        items = model.gsi1.query(f"INBOUND#{state}", scan_index_forward=False, limit=limit)
        return [json.loads(item.data) for item in items]


RECEIVED = "received"


def _compact(record: dict[str, Any]) -> str:
    # Compact separators: re-serialised with spaces, a 256 KiB body of tiny values ([1,1,...])
    # grows by half, next to DynamoDB's 400 KB item limit.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def state_index(state: str, received_at: str) -> dict[str, str]:
    """gsi1 attributes listing inbound items by state (`INBOUND#failed` / time)."""
    return {"gsi1pk": f"INBOUND#{state}", "gsi1sk": received_at}


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


def _valid_type(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value) and len(value) <= 200
    return (isinstance(value, list) and 0 < len(value) <= 10
            and all(isinstance(v, str) and v and len(v) <= 200 for v in value))


def parse_activity(body: bytes) -> dict[str, Any] | Answer:
    if nesting_depth(body) > MAX_DEPTH:
        return Answer.error(400, "invalid_json", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Answer.error(400, "invalid_json", "the request body is not valid JSON")
    if not isinstance(activity, dict):
        return Answer.error(400, "invalid_activity", "the request body is not a JSON object")
    if not _valid_type(activity.get("type")):
        return Answer.error(400, "invalid_activity",
                            "the activity's type must be a string or a list of strings")
    if actor_of(activity) is None:
        return Answer.error(400, "invalid_activity", "the activity has no actor")
    if "id" in activity and _id_of(activity["id"]) is None:
        return Answer.error(400, "invalid_activity", "the activity's id must be a string")
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

_KEY_FAILURES = {
    "blocked": "the key's host is not reachable from here",
    "dns": "the key's host could not be resolved",
    "connection": "the key's host could not be reached",
    "timeout": "the key's host did not answer in time",
    "too_large": "the key's document is too large",
    "too_many_redirects": "the key's URL redirects too often",
    "invalid_document": "the key's document is not a JSON object",
    "no_key": "the key's document holds no such key",
}


def key_failure_message(error: FetchError) -> str:
    """A message about a failed key fetch that is safe to send back to the requester."""
    from affiche.activitypub.fetch import HttpStatusError

    if isinstance(error, HttpStatusError):
        return f"the key's host answered {error.status}"
    return _KEY_FAILURES.get(error.reason, "the key could not be fetched")


def _host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _origin_of(url: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", None


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
            # Say why in general terms only: the error's own text may name what a host resolved
            # to, and answering that to a stranger would map our private network for them.
            log.info("inbox: key %s unavailable: %s", key_id, error)
            self.error = key_failure_message(error)
            return None
        self.from_cache = key.from_cache
        return key.as_lookup()


@dataclass
class Inbox:
    keys: KeySource = field(default_factory=CachedKeys)
    store: InboundStore = field(default_factory=DynamoInbound)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    settings: Settings = field(default_factory=get_settings)
    blocked: Callable[[], frozenset[str]] = field(default=blocklist.blocked_domains)
    # The whole policy, for the allow-list mode (only listed servers federate).
    policy: Callable[[], blocklist.Policy] = field(default=blocklist.policy)

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
        blocked = self._blocked(actor, key_id)
        if blocked:
            return Answer.error(403, "domain_blocked", f"{blocked} is blocked on this instance")
        not_allowed = self._not_allowed(actor, key_id)
        if not_allowed:
            return Answer.error(403, "domain_not_allowed", not_allowed)
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
        the_id = _id_of(activity.get("id"))
        if the_id is not None and _origin_of(the_id) != _origin_of(actor or ""):
            return Answer.error(400, "invalid_activity",
                                f"the activity id {the_id} is not on the host of its signer "
                                f"{actor}", reason="id_host_mismatch")
        return self._store(request, activity, local, result)

    def _blocked(self, actor: str | None, key_id: str | None) -> str | None:
        """The blocked domain the actor or the key lives on, if any."""
        domains = self.blocked()
        if not domains:
            return None
        for url in (actor, key_id):
            host = _host_of(url or "")
            if host and blocklist.is_blocked(host, domains):
                return host
        return None

    def _not_allowed(self, actor: str | None, key_id: str | None) -> str | None:
        """In allow-list mode, why the actor's or key's server may not federate."""
        current = self.policy()
        if current.mode != "allowlist":
            return None
        for url in (actor, key_id):
            host = _host_of(url or "")
            reason = current.refusal(host) if host else None
            if reason:
                return reason
        return None

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

    def _store(self, request: InboundRequest, activity: dict[str, Any], local: str,
               result: VerificationResult) -> Answer:
        now = self.clock()
        the_id = activity_id(activity, request.body)
        record = {"id": the_id, "activity": activity, "received_at": now.isoformat(),
                  "inbox": local or None, "signer": result.signer, "key_id": result.key_id,
                  "scheme": result.scheme, "state": RECEIVED, "attempts": 0}
        if not self.store.record(the_id, record, now + INBOUND_TTL):
            return Answer.accepted("duplicate", "this activity was already received", id=the_id)
        return Answer.accepted(RECEIVED, "the activity will be processed shortly", id=the_id)
