"""Inbound activity handlers, found through a registry keyed by (activity type, object type).

This is the hand-off point between the inbox (which verifies, stores and acknowledges) and the
processing of each kind of activity (DESIGN.md §8, after bovine's per-activity handlers):
- one module per activity type in this package, e.g. `follow.py`, decorating its functions with
  `@register("Follow", ANY)` or `@register("Undo", "Follow")`;
- the module's name listed in `HANDLER_MODULES`, so `dispatch` imports it on first use (no
  imports of every handler at cold start for functions that never dispatch);
- the pair added to `SUPPORTED`, which a test checks the registry covers.

`dispatch` never guesses: a pair nobody registered returns an explicit `ignored` outcome.

The object type of an activity is the `type` of its embedded `object`; an object given by URI
(Mastodon's `Follow`, `Announce`, `Delete` of an actor) has no type we can see without fetching,
so it is looked up as `ANY`. A handler registered for `(type, ANY)` also catches every object type
that has no handler of its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ANY = "*"

#: Modules of this package that register handlers; imported by `dispatch` on first use.
HANDLER_MODULES: tuple[str, ...] = ("follow", "actor", "event", "participation", "note", "flag",
                                    "membership", "discussion")

#: The (activity type, object type) pairs affiche processes; tests check each is registered.
SUPPORTED: frozenset[tuple[str, str]] = frozenset({
    ("Follow", ANY), ("Undo", "Follow"), ("Accept", "Follow"), ("Reject", "Follow"),
    ("Update", "Person"), ("Update", "Group"), ("Update", "Service"), ("Update", "Organization"),
    ("Update", "Application"), ("Delete", ANY),
    ("Create", "Event"), ("Update", "Event"), ("Announce", "Create"), ("Announce", "Update"),
    ("Announce", "Event"),
    ("Join", ANY), ("Join", "Event"), ("Leave", ANY), ("Leave", "Event"), ("Undo", "Join"),
    ("Create", "Note"), ("Update", "Note"),
    ("Flag", ANY),
    ("Accept", "Invite"), ("Reject", "Invite"), ("Accept", ANY), ("Reject", ANY), ("Undo", ANY),
    ("Invite", ANY), ("Invite", "Group"), ("Remove", ANY),
    ("Announce", "Note"), ("Announce", "Tombstone"),
})


@dataclass(frozen=True)
class InboundContext:
    """What the inbox knows about a verified delivery, beyond the activity itself."""

    activity_id: str
    signer: str  # the actor whose key signed the request (equal to the activity's actor)
    inbox: str | None = None  # the local actor's name for a personal inbox, None for /inbox
    received_at: str = ""


@dataclass(frozen=True)
class Outcome:
    status: str  # "handled" | "ignored"
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ignored(self) -> bool:
        return self.status == "ignored"


Handler = Callable[[dict[str, Any], InboundContext], Outcome]

_registry: dict[tuple[str, str], Handler] = {}
_loaded = False


def register(activity_type: str, object_type: str = ANY) -> Callable[[Handler], Handler]:
    """Decorator: `fn` handles activities of `activity_type` whose object is `object_type`."""

    def decorate(fn: Handler) -> Handler:
        key = (activity_type, object_type)
        if key in _registry and _registry[key] is not fn:
            raise ValueError(f"{key} already has a handler: {_registry[key].__qualname__}")
        _registry[key] = fn
        return fn

    return decorate


def _load_handlers() -> None:
    global _loaded
    if not _loaded:
        for name in HANDLER_MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _loaded = True


def registered() -> frozenset[tuple[str, str]]:
    """Every registered pair (after importing the handler modules)."""
    _load_handlers()
    return frozenset(_registry)


def _first_type(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value if isinstance(value, str) else None


def object_type(activity: dict[str, Any]) -> str:
    """The type of the activity's embedded object, or ANY when the object is a bare URI."""
    obj = activity.get("object")
    if isinstance(obj, dict):
        return _first_type(obj.get("type")) or ANY
    return ANY


def handler_for(activity: dict[str, Any]) -> Handler | None:
    _load_handlers()
    activity_type = _first_type(activity.get("type")) or ""
    return (_registry.get((activity_type, object_type(activity)))
            or _registry.get((activity_type, ANY)))


def dispatch(activity: dict[str, Any], context: InboundContext) -> Outcome:
    """Run the handler registered for this activity, or return an explicit `ignored` outcome."""
    handler = handler_for(activity)
    if handler is None:
        pair = (_first_type(activity.get("type")), object_type(activity))
        return Outcome("ignored", f"no handler for {pair[0]}{{{pair[1]}}}")
    return handler(activity, context)
