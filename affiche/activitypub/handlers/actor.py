"""Update{Person|Group|Service} and Delete of an actor: keeping our copies of remote actors right.

Only self-updates and self-deletes count (the activity's actor is its object); the inbox already
checked that the signing key belongs to that actor. An update is taken from the verified payload
(as Mastodon does) instead of fetching the document again. A self-`Delete` removes the actor's
follows and memberships here (affiche.domain.remote_actors); a `Delete` of one of the remote
events we keep for our followers removes it from their agenda, and of a remote reply we keep as a
comment deletes that comment (handlers/note.py; Mastodon sends `Delete{Tombstone}`, so every
`Delete` comes here whatever its object's type).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from affiche.activitypub.actors import actor_from_document, store
from affiche.activitypub.fetch import FetchError
from affiche.activitypub.handlers import ANY, InboundContext, Outcome, register
from affiche.activitypub.handlers.support import id_of, ports, same_host
from affiche.domain import remote_actors
from affiche.domain.model import Actor, Event
from affiche.domain.ports import ChangeSet


def _update(activity: dict[str, Any], context: InboundContext) -> Outcome:
    obj = activity.get("object")
    if not isinstance(obj, dict) or id_of(obj) != context.signer:
        return Outcome("ignored", "an actor can only update itself")
    repo = ports().repo
    if repo.get(Actor, context.signer) is None:
        return Outcome("ignored", "an actor we keep no copy of")
    try:
        fresh = actor_from_document(obj, context.signer, datetime.now(UTC))
    except FetchError as error:
        return Outcome("ignored", f"unusable actor document: {error}")
    store(repo, fresh)
    return Outcome("handled", f"refreshed {fresh.name}")


for _kind in ("Person", "Group", "Service", "Organization", "Application"):
    register("Update", _kind)(_update)


@register("Delete", ANY)
def delete(activity: dict[str, Any], context: InboundContext) -> Outcome:
    target = id_of(activity.get("object"))
    if target is None:
        return Outcome("ignored", "a Delete without an object")
    context_ports = ports()
    if target == context.signer:
        removed = remote_actors.forget(context_ports, target)
        return Outcome("handled", f"forgot {target} ({removed} follows and memberships)")
    event = context_ports.repo.get(Event, target)
    if event is not None and event.is_remote and same_host(target, context.signer):
        context_ports.repo.commit(ChangeSet(deletes=[event]))
        return Outcome("handled", f"removed the remote event {target}")
    from affiche.activitypub.handlers.discussion import forget_discussion_note
    from affiche.activitypub.handlers.note import forget_remote_comment

    return (forget_remote_comment(target, context) or forget_discussion_note(target, context)
            or Outcome("ignored", "nothing of ours to delete"))
