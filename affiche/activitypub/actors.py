"""Remote actors: fetched through the guarded client, stored as `Actor`s keyed by their id.

A remote person or group is an `Actor` whose `name` is its ActivityPub id (an https URL), so
follows, memberships and participations name it the same way local code names a profile
(DESIGN.md §9 "Who acts"). A handle someone types (`@user@host`) is resolved to that id through
WebFinger *before* anything is stored: one person never gets two keys.

The copy is refreshed when it is older than `MAX_AGE` or when asked (an `Update{Person}` arrives);
what we keep is what delivery and display need (inboxes, names, key), nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urldefrag, urlsplit

from affiche.activitypub.fetch import Fetcher, FetchError, InvalidDocument
from affiche.domain.errors import Conflict, InvalidInput, NotFound
from affiche.domain.model import Actor
from affiche.domain.ports import ChangeSet, Repository
from affiche.domain.text import sanitize

MAX_AGE = timedelta(days=1)
ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Service", "Application"})
JRD = "application/jrd+json, application/json"
SELF_TYPES = ("application/activity+json",
              'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
HANDLE = re.compile(r"^@?([^@\s/]{1,128})@([A-Za-z0-9.\-]{1,253}(?::\d{1,5})?)$")


# --- reading documents (pure) ------------------------------------------------------------------

def _single_line(value: Any, limit: int) -> str:
    """Text from a stranger's document, made safe for a one-line field."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in value)
    return " ".join(cleaned.split())[:limit]


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("href") or value.get("id") or value.get("url")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | dict)), None)
        return _url(value)
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None


def _type(doc: dict[str, Any]) -> str:
    kinds = doc.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return next((k for k in kinds if k in ACTOR_TYPES), "")


def _public_key(doc: dict[str, Any]) -> str:
    key = doc.get("publicKey")
    key = key[0] if isinstance(key, list) and key else key
    pem = key.get("publicKeyPem") if isinstance(key, dict) else None
    return pem if isinstance(pem, str) else ""


def actor_from_document(doc: dict[str, Any], requested: str, now: datetime) -> Actor:
    """Our copy of the actor document fetched from `requested`; InvalidDocument if it is not
    an actor or claims an id on another host (a document may only speak for its own host)."""
    actor_id = doc.get("id")
    if not isinstance(actor_id, str) or not actor_id.startswith(("https://", "http://")):
        raise InvalidDocument("the actor document has no id", url=requested)
    if urlsplit(actor_id).netloc.lower() != urlsplit(requested).netloc.lower():
        raise InvalidDocument(f"the document at this URL claims to be {actor_id}", url=requested)
    kind = _type(doc)
    inbox = _url(doc.get("inbox"))
    if not kind or inbox is None:
        raise InvalidDocument("not an actor (no actor type or no inbox)", url=requested)
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    username = _single_line(doc.get("preferredUsername"), 100) or None
    host = urlsplit(actor_id).netloc.lower()
    summary = doc.get("summary")
    return Actor(
        name=actor_id, type="Group" if kind == "Group" else "Person" if kind == "Person" else kind,
        display_name=_single_line(doc.get("name"), 100) or username or actor_id,
        created_at=now, summary_html=sanitize(summary) if isinstance(summary, str) else "",
        public_key_pem=_public_key(doc), inbox=inbox,
        shared_inbox=_url(endpoints.get("sharedInbox") if endpoints else None),
        url=_url(doc.get("url")) or actor_id, preferred_username=username, domain=host,
        outbox=_url(doc.get("outbox")), followers=_url(doc.get("followers")), fetched_at=now,
        visibility="public")


def parse_handle(handle: str) -> tuple[str, str]:
    """(user, host) of `@user@host`, `user@host` or `acct:user@host`; InvalidInput otherwise."""
    if any(unicodedata.category(c)[0] == "C" for c in handle):
        raise InvalidInput("the address must be one line without control characters",
                           field="handle")
    value = handle.strip()
    if value.lower().startswith("acct:"):
        value = value[5:]
    match = HANDLE.match(value)
    if not match:
        raise InvalidInput("write the address as @name@server.example", field="handle")
    return match.group(1), match.group(2).lower()


def _base(host: str, allow_private: bool) -> str:
    # Federation tests run instances on plain-HTTP loopback ports; everything else is https.
    local = host.split(":")[0] in {"127.0.0.1", "localhost", "[::1]"}
    return f"http://{host}" if allow_private and local else f"https://{host}"


# --- fetching and storing ----------------------------------------------------------------------

def _fetcher(fetcher: Fetcher | None) -> Fetcher:
    return fetcher or Fetcher()


def webfinger(handle: str, fetcher: Fetcher | None = None) -> dict[str, Any]:
    """The JRD document of `@user@host`; NotFound when the server does not know it."""
    user, host = parse_handle(handle)
    client = _fetcher(fetcher)
    url = (f"{_base(host, client.allow_private)}/.well-known/webfinger?resource="
           f"{quote(f'acct:{user}@{host}', safe=':@')}")
    try:
        return client.get_json(url, accept=JRD)
    except FetchError as error:
        raise NotFound(f"@{user}@{host} could not be found ({error.reason})") from error


def actor_id_of(jrd: dict[str, Any], handle: str) -> str:
    for link in jrd.get("links") or []:
        if (isinstance(link, dict) and link.get("rel") == "self"
                and link.get("type") in SELF_TYPES and isinstance(link.get("href"), str)):
            return str(link["href"])
    raise NotFound(f"{handle} has no ActivityPub actor")


def subscribe_template(jrd: dict[str, Any]) -> str | None:
    """The server's remote-follow URL template (`...{uri}...`), when it offers one."""
    for link in jrd.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == SUBSCRIBE:
            template = link.get("template")
            if isinstance(template, str) and "{uri}" in template and template.startswith(
                    ("https://", "http://")):
                return template
    return None


def store(repo: Repository, actor: Actor) -> Actor:
    """Insert or refresh our copy (keeps the stored version for the optimistic check)."""
    existing = repo.get(Actor, actor.name)
    if existing is not None:
        if not existing.is_remote:
            raise Conflict(f"{actor.name} is a local actor")
        actor = actor.evolve(version=existing.version, created_at=existing.created_at)
    repo.commit(ChangeSet().put(actor))
    return actor


def fetch_actor(actor_id: str, fetcher: Fetcher | None = None,
                now: datetime | None = None) -> Actor:
    url = urldefrag(actor_id)[0]
    doc = _fetcher(fetcher).get_json(url)
    return actor_from_document(doc, url, now or datetime.now(UTC))


def resolve_actor(repo: Repository, actor_id: str, *, refresh: bool = False,
                  fetcher: Fetcher | None = None, now: datetime | None = None) -> Actor:
    """Our copy of the remote actor `actor_id`, fetched and stored when missing, stale or
    `refresh`ed. Raises FetchError when it cannot be had."""
    now = now or datetime.now(UTC)
    cached = repo.get(Actor, actor_id)
    if cached is not None and not refresh and cached.fetched_at is not None and (
            now - cached.fetched_at < MAX_AGE):
        return cached
    try:
        fresh = fetch_actor(actor_id, fetcher, now)
    except FetchError:
        if cached is not None and not refresh:
            return cached  # a stale copy still delivers; the next use tries again
        raise
    if fresh.name != actor_id:
        raise InvalidDocument(f"the document claims to be {fresh.name}", url=actor_id)
    return store(repo, fresh)


def resolve_handle(repo: Repository, handle: str, *, fetcher: Fetcher | None = None,
                   now: datetime | None = None) -> Actor:
    """`@user@host` -> the stored remote actor (WebFinger first: one key per person)."""
    actor_id = actor_id_of(webfinger(handle, fetcher), handle)
    try:
        return resolve_actor(repo, actor_id, fetcher=fetcher, now=now)
    except FetchError as error:
        raise NotFound(f"{handle} could not be fetched ({error.reason})") from error


def remote_person_id(repo: Repository, handle_or_url: str, *,
                     fetcher: Fetcher | None = None) -> str:
    """The actor id of the remote person `@user@host` or `https://...` names, fetched and
    stored, for membership.invite's `resolve_remote`: WebFinger first, so one person never has
    two keys. An id of ours names the local profile (its handle is returned)."""
    from affiche.activitypub.handlers.support import local_name

    if handle_or_url.startswith(("http://", "https://")):
        mine = local_name(handle_or_url)
        if mine:
            return mine
        try:
            person = resolve_actor(repo, handle_or_url, fetcher=fetcher)
        except FetchError as error:
            raise NotFound(f"{handle_or_url} could not be fetched ({error.reason})") from error
    else:
        person = resolve_handle(repo, handle_or_url, fetcher=fetcher)
    if person.is_group:
        raise InvalidInput(f"{handle_or_url} is a group; only people can be invited",
                           field="handle")
    return person.name
