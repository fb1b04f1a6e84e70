"""Flag: a remote server's report (Mastodon and Mobilizon send one from their instance actor).

The `object` lists what is reported: usually the account, then some of its content. The report is
filed through the same domain service as a local one (affiche.domain.reports), by the remote
actor who signed it, about the most specific thing of ours it names (an event, a post or a
comment before a profile or a group); the other objects are kept in the report's comment so the
moderators see the whole complaint. A Flag naming nothing of ours is ignored."""

from __future__ import annotations

from typing import Any

from affiche.activitypub.actors import resolve_actor
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.handlers import ANY, InboundContext, Outcome, register
from affiche.activitypub.handlers.note import answered
from affiche.activitypub.handlers.support import id_of, local_name, local_path, ports
from affiche.domain import reports
from affiche.domain.errors import DomainError
from affiche.domain.text import plain_text, sanitize

MOST_SPECIFIC_FIRST = ("comment", "event", "post", "actor")


def ours(url: str) -> tuple[str, str] | None:
    """(target kind, key) of an id of ours, else None."""
    target = answered(url)
    if target is not None:
        uuid, comment = target
        return ("comment", comment) if comment else ("event", uuid)
    name = local_name(url)
    if name:
        return "actor", name
    slug = local_path(url, "p/")
    return ("post", slug) if slug else None


def _objects(activity: dict[str, Any]) -> list[str]:
    value = activity.get("object")
    listed = value if isinstance(value, list) else [value]
    return [url for url in (id_of(v) for v in listed[:50]) if url]


@register("Flag", ANY)
def flag(activity: dict[str, Any], context: InboundContext) -> Outcome:
    named = _objects(activity)
    found = [t for t in (ours(url) for url in named) if t is not None]
    if not found:
        return Outcome("ignored", "the Flag names nothing of ours")
    kind, key = min(found, key=lambda t: MOST_SPECIFIC_FIRST.index(t[0]))
    try:
        reporter = resolve_actor(ports().repo, context.signer)
    except FetchError as error:
        return Outcome("ignored", f"cannot resolve the reporter: {error}")
    content = activity.get("content")
    text = plain_text(sanitize(content)) if isinstance(content, str) else ""
    others = [url for url in named if ours(url) != (kind, key)]
    if others:
        text = (text + "\n\nAlso named: " + " ".join(others)).strip()
    try:
        report = reports.file_report(ports(), reporter, target_kind=kind, target_key=key,
                                     reason="other", comment=text[:reports.COMMENT_MAX],
                                     remote_activity_id=context.activity_id)
    except DomainError as error:
        return Outcome("ignored", f"refused: {error}")
    return Outcome("handled", f"report {report.id} about {kind} {key}")
