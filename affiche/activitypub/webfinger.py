"""WebFinger (RFC 7033) for local actors: how `@name@host` becomes an ActivityPub actor id.

Mastodon resolves a handle by asking `/.well-known/webfinger?resource=acct:name@host` and then
follows the `rel=self` link of type `application/activity+json`; that `href` must be exactly the
actor's `id` (https://docs.joinmastodon.org/spec/webfinger/), so it comes from `Urls.actor`.
Some clients look up the actor URL instead of the handle, and people paste `@name@host`: accept
`acct:name@host`, `name@host`, `@name@host`, `acct:@name@host` and `https://host/@name/`.

Only existing, non-deleted actors on our host answer; a Person whose account has not confirmed
its email is not published anywhere yet, so it is not found either.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from affiche.activitypub.vocabulary import Urls
from affiche.domain.errors import InvalidInput, NotFound
from affiche.domain.model import Account, Actor
from affiche.domain.rules import HANDLE

JRD = "application/jrd+json"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"  # Mastodon's remote-follow template


class Reader(Protocol):
    """The one read WebFinger needs (DynamoRepository provides it)."""

    def get(self, cls: type[Any], key: str) -> Any: ...


def parse_resource(resource: str | None, public_url: str) -> str:
    """The local actor name a resource designates.

    Raises InvalidInput (400) when missing or unreadable, NotFound (404) when it designates
    another host or nothing that could be an actor here."""
    if resource is None or not resource.strip():
        raise InvalidInput("the resource parameter is required, e.g. acct:name@host",
                           field="resource")
    value = resource.strip()
    if value.lower().startswith("acct:"):
        value = value[5:]
    if value.lower().startswith(("http://", "https://")):
        name = _name_from_url(value, public_url)
    else:
        name = _name_from_acct(value, urlsplit(public_url).netloc)
    if not HANDLE.match(name):
        raise NotFound(f"no actor {resource} here")
    return name


def _name_from_acct(value: str, host: str) -> str:
    user, at, domain = value.lstrip("@").rpartition("@")
    if not at or not user or not domain:
        raise InvalidInput("the resource must look like acct:name@host", field="resource")
    if domain.lower() != host.lower():
        raise NotFound(f"{domain} is not this server ({host})")
    return user.lower()


def _name_from_url(value: str, public_url: str) -> str:
    try:
        parts, public = urlsplit(value), urlsplit(public_url)
    except ValueError as error:
        raise InvalidInput("the resource is not a valid URL", field="resource") from error
    if parts.netloc.lower() != public.netloc.lower():
        raise NotFound(f"{parts.netloc} is not this server ({public.netloc})")
    prefix = public.path.rstrip("/") + "/@"
    path = unquote(parts.path)
    if not path.startswith(prefix):
        raise NotFound(f"{value} is not an actor URL")
    name = path[len(prefix):].rstrip("/")
    if "/" in name:
        raise NotFound(f"{value} is not an actor URL")
    return name.lower()


def find_actor(reader: Reader, name: str) -> Actor:
    """The published actor called `name`; raises NotFound."""
    actor = reader.get(Actor, name)
    if not isinstance(actor, Actor) or actor.deleted:
        raise NotFound(f"no actor @{name} here")
    if actor.type == "Person":
        account = reader.get(Account, actor.account_id) if actor.account_id else None
        if not isinstance(account, Account) or not account.confirmed:
            raise NotFound(f"no actor @{name} here")
    return actor


def jrd(urls: Urls, actor: Actor, host: str) -> dict[str, Any]:
    """The JRD document for `actor`, shaped like Mastodon's (same rels and types)."""
    actor_url = urls.actor(actor.name)
    return {
        "subject": f"acct:{actor.name}@{host.lower()}",
        "aliases": [actor_url],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor_url},
            {"rel": PROFILE_PAGE, "type": "text/html", "href": actor_url},
            {"rel": SUBSCRIBE, "template": f"{urls.base}/app/follow?uri={{uri}}"},
        ],
    }
