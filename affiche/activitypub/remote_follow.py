"""Following across servers, the use cases behind the API route and the members' pages.

- One of our people follows a group by its handle (`@garden@other.example`): the handle is
  resolved through WebFinger to the group's actor id before anything is stored (one key per
  actor), then follows.follow_remote records the pending Follow the fan-out sends. A handle on
  this server is simply a local follow.
- A person from another server wants to follow one of our groups (the remote-follow page): we ask
  their server (WebFinger on their handle) for its subscribe template
  (`http://ostatus.org/schema/1.0/subscribe`) and send them there with our group's address;
  their server then sends us the Follow.

The fetches go through the guarded client; failures become NotFound / InvalidInput with a message
a person can act on, never a 500.
"""

from __future__ import annotations

from urllib.parse import quote

from affiche.activitypub import actors
from affiche.config import get_settings
from affiche.domain import follows
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotFound
from affiche.domain.model import Account, Actor, Follow
from affiche.domain.profiles import acting_profile
from affiche.web import ratelimit

#: Resolving a handle makes us fetch from a server the person names: limit how often.
FOLLOW_REMOTE_PER_ACCOUNT = ratelimit.Limit("follow-remote", 30, 3600)
SUBSCRIBE_PER_ADDRESS = ratelimit.Limit("remote-subscribe", 30, 3600)


def is_here(host: str) -> bool:
    return host.lower() == get_settings().host.lower()


def follow_by_handle(ports: Ports, account: Account, handle: str,
                     profile: str | None = None) -> Follow:
    """The account's profile follows the group `handle` (here or on another server); `handle`
    may also be the group's actor URL (what a remote site's subscribe link carries)."""
    me = acting_profile(ports, account, profile)
    if handle.strip().startswith(("https://", "http://")):
        return _follow_url(ports, account, me, handle.strip())
    user, host = actors.parse_handle(handle)
    if is_here(host):
        return follows.follow_as(ports, me, user.lower())
    ratelimit.hit(FOLLOW_REMOTE_PER_ACCOUNT, account.id)
    group = actors.resolve_handle(ports.repo, f"{user}@{host}")
    return follows.follow_remote(ports, me, group)


def _follow_url(ports: Ports, account: Account, me: Actor, url: str) -> Follow:
    from affiche.activitypub.fetch import FetchError
    from affiche.activitypub.handlers.support import local_name

    name = local_name(url)
    if name is not None:
        return follows.follow_as(ports, me, name)
    ratelimit.hit(FOLLOW_REMOTE_PER_ACCOUNT, account.id)
    try:
        group = actors.resolve_actor(ports.repo, url)
    except FetchError as error:
        raise NotFound(f"{url} could not be fetched ({error.reason})") from error
    return follows.follow_remote(ports, me, group)


def unfollow_remote(ports: Ports, account: Account, group: str,
                    profile: str | None = None) -> None:
    """Stop following `group`: a remote group's actor id, or one of our groups' names."""
    follows.unfollow_as(ports, acting_profile(ports, account, profile), group)


def following(ports: Ports, account: Account) -> list[tuple[Follow, Actor | None]]:
    """Every follow of the account's profiles (pending ones too) with the followed group."""
    found = []
    for person in ports.repo.profiles_of(account.id):
        for item in ports.repo.following_of(person.name):
            found.append((item, ports.repo.get(Actor, item.followed)))
    return sorted(found, key=lambda pair: (pair[0].follower, pair[0].followed))


def local_group_of(ports: Ports, uri: str | None) -> Actor:
    """The group of ours that `uri` designates (`acct:name@ourhost`, `@name@ourhost`, our actor
    URL or a bare name): what the remote-follow page shows."""
    from affiche.activitypub.handlers.support import local_name

    value = (uri or "").strip()
    if value.startswith(("https://", "http://")):
        name = local_name(value)
    elif "@" in value.lstrip("@").removeprefix("acct:"):
        user, host = actors.parse_handle(value)
        name = user.lower() if is_here(host) else None
    else:
        name = value.lower() or None
    group = ports.repo.get(Actor, name) if name else None
    if group is None or not group.is_group or group.deleted or group.is_remote:
        raise NotFound("no such group here")
    return group


def subscribe_location(group: Actor, visitor_handle: str, address: str) -> str:
    """Where to send a visitor who wants to follow `group` from their own server."""
    ratelimit.hit(SUBSCRIBE_PER_ADDRESS, address)
    _, host = actors.parse_handle(visitor_handle)
    if is_here(host):
        raise InvalidInput("that address is on this server: log in and follow directly",
                           field="handle")
    template = actors.subscribe_template(actors.webfinger(visitor_handle))
    if template is None:
        raise NotFound(f"{host} does not say how to follow from there; search for "
                       f"@{group.name}@{get_settings().host} on your server instead")
    target = f"acct:{group.name}@{get_settings().host}"
    return template.replace("{uri}", quote(target, safe=""))
