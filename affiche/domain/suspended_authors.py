"""Whose words stay out of sight: the local people an administrator suspended.

Suspension keeps what a person wrote (it comes back on restore, administration.py) but nobody
reads it meanwhile: the static event pages drop their comments (publish/renderer.py), and the
functions' listings use this for the comments API and the members' discussions."""

from __future__ import annotations

from collections.abc import Iterable

from affiche.domain.context import Ports
from affiche.domain.model import Actor, is_remote_name


def suspended_among(ports: Ports, authors: Iterable[str]) -> set[str]:
    """The suspended local profiles among `authors` (one read per distinct local author)."""
    found = set()
    for name in set(authors):
        if is_remote_name(name):
            continue  # remote people are moderated per server (blocks) or by their own
        actor = ports.repo.get(Actor, name)
        if actor is not None and actor.suspended:
            found.add(name)
    return found
