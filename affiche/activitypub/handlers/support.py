"""What the inbound handlers share: the domain's ports, and reading ids out of activities.

Handlers are thin: they find who acts (the remote actor, resolved and stored through
affiche.activitypub.actors) and which local object is meant, then call a domain service."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from affiche.domain.context import Ports


def ports() -> Ports:
    """The domain's adapters (the same ones the API uses), built on first use."""
    from affiche.web.ports import ports as web_ports

    return web_ports()


def id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def local_path(url: str | None, section: str) -> str | None:
    """The one path segment after `{public_url}/{section}` in an id of ours, else None
    (`section` "@" for actors, "events/" for events)."""
    if not url:
        return None
    from affiche.config import get_settings

    public = urlsplit(get_settings().public_url)
    parts = urlsplit(url)
    if parts.netloc.lower() != public.netloc.lower():
        return None
    prefix = public.path.rstrip("/") + "/" + section
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    segment = path[len(prefix):].rstrip("/")
    return segment if segment and "/" not in segment else None


def local_name(url: str | None) -> str | None:
    """The local actor name an id of ours designates (`{public_url}/@name/`), else None."""
    name = local_path(url, "@")
    return name.lower() if name else None


def same_host(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()
