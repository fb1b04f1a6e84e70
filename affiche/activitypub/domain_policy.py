"""Administrators' federation policy: block, silence or allow a remote server, choose the mode.

The policy itself is one stored item (blocklist.py) that the inbox and the delivery queue read.
Blocking a server also purges what we hold of it: its actors' memberships, follows and
participations (places are freed, counts fall), their comments (the event pages are re-rendered
through the change stream) and our copies of the actors themselves. Every change writes an
audit entry (affiche/domain/audit.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from affiche.activitypub import blocklist
from affiche.domain import audit, remote_content
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput
from affiche.domain.instance import require_admin
from affiche.domain.model import Account, Actor, Event
from affiche.domain.ports import ChangeSet

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
LISTS = ("blocked", "silenced", "allowed")


@dataclass(frozen=True)
class Purged:
    actors: int = 0
    comments: int = 0
    events: int = 0  # our copies of its groups' events (members' agendas)


def domain_name(value: str) -> str:
    """A server's host name as typed (a URL or `@user@host` is read for its host)."""
    text = str(value or "").strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.rsplit("@", 1)[-1]
    host = blocklist.normalise(text)
    if not _HOST.match(host) or "." not in host:
        raise InvalidInput(f"{value!r} is not a server's domain name (like example.org)",
                           field="domain")
    from affiche.config import get_settings

    if host == blocklist.normalise(get_settings().host):
        raise InvalidInput("this is this instance's own domain", field="domain")
    return host


def add(ports: Ports, admin: Account, which: str, domain: str, reason: str = "") -> Purged:
    """Put `domain` on the `which` list (blocked, silenced, allowed); blocking purges it."""
    require_admin(admin)
    host = domain_name(domain)
    current = blocklist.stored_policy()
    if which == "blocked":
        new = replace(current, blocked=current.blocked | {host})
    elif which == "silenced":
        new = replace(current, silenced=current.silenced | {host})
    elif which == "allowed":
        new = replace(current, allowed=current.allowed | {host})
    else:
        raise InvalidInput("the list must be one of blocked, silenced, allowed", field="list")
    blocklist.save_policy(new)
    ports.repo.commit(ChangeSet().put(audit.record(
        ports, admin, f"domain.{_verb(which)}", "domain", host, reason)))
    return purge(ports, host) if which == "blocked" else Purged()


def remove(ports: Ports, admin: Account, which: str, domain: str, reason: str = "") -> None:
    """Take `domain` off a list (unblock, unsilence, disallow)."""
    require_admin(admin)
    host = blocklist.normalise(domain)
    if which not in LISTS:
        raise InvalidInput("the list must be one of blocked, silenced, allowed", field="list")
    current = blocklist.stored_policy()
    blocklist.save_policy(replace(current, **{which: getattr(current, which) - {host}}))
    ports.repo.commit(ChangeSet().put(audit.record(
        ports, admin, f"domain.un{_verb(which)}", "domain", host, reason)))


def set_mode(ports: Ports, admin: Account, mode: str) -> blocklist.Policy:
    """"open": every server not blocked federates; "allowlist": only the allowed ones."""
    require_admin(admin)
    if mode not in blocklist.MODES:
        raise InvalidInput("federation_mode must be one of: allowlist, open",
                           field="federation_mode")
    new = blocklist.save_policy(replace(blocklist.stored_policy(), mode=mode))
    ports.repo.commit(ChangeSet().put(audit.record(
        ports, admin, "instance.federation_mode", "instance", "settings", mode)))
    return new


def _verb(which: str) -> str:
    return {"blocked": "block", "silenced": "silence", "allowed": "allow"}[which]


def _host_of(actor: Actor) -> str:
    return blocklist.normalise(actor.domain or urlsplit(actor.name).hostname or "")


def purge(ports: Ports, host: str) -> Purged:
    """Forget what we hold of `host` (and its subdomains). A scan of actors, events and comments: an
    administrator's rare action, never a request path of visitors."""
    from affiche.domain import retirement

    doomed = [a for a in ports.repo.all_of_kind(Actor.kind)
              if a.is_remote and blocklist.is_blocked(_host_of(a), {host})]
    names = {a.name for a in doomed}
    comments = remote_content.remove_comments_by(ports, names)

    def theirs(event: Event) -> bool:
        # An event is the server's by its id, whether or not we still hold its group's actor.
        origin = blocklist.normalise(urlsplit(event.uuid).hostname or "")
        return event.group in names or blocklist.is_blocked(origin, {host})

    events = remote_content.remove_remote_events(ports, theirs)
    for actor in doomed:
        retirement.leave_everything(ports, actor)  # memberships, follows, participations
        for follow in ports.repo.followers_of(actor.name):  # our people following a group there
            ports.repo.commit(ChangeSet(deletes=[follow.evolve(version=0)]))
        ports.repo.commit(ChangeSet(deletes=[actor.evolve(version=0)]))
    return Purged(actors=len(doomed), comments=comments, events=events)
