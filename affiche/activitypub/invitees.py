"""The resolver membership.invite uses for remote invitees (WebFinger, then the actor document).

Kept apart from the domain, which knows no HTTP: routes and pages hand it in."""

from __future__ import annotations

from affiche.activitypub.actors import remote_person_id
from affiche.domain.context import Ports
from affiche.domain.membership import RemoteResolver


def remote_resolver(ports: Ports) -> RemoteResolver:
    return lambda handle_or_url: remote_person_id(ports.repo, handle_or_url)
