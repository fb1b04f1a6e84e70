"""Powertools' request state kept per thread, for the local gateway.

Powertools' resolvers keep the request being handled in shared places: `BaseRouter.current_event`
and `BaseRouter.lambda_context` are class attributes that every resolver and router reads, each
resolver's `context` dict holds the matched route and its arguments, and a route builds its
middleware chain on its first request. Lambda hands a process one event at a time, so that is
safe there. The local gateway handles requests on many threads, where one request read another's
event (a GET answered as if it were a concurrent POST without its body: tests/local/
test_gateway_concurrency.py). `install()` moves that state into thread-local storage, so each
gateway thread sees only its own request, as each Lambda invocation does."""

from __future__ import annotations

import threading
import weakref
from abc import ABCMeta
from typing import Any

_state = threading.local()
_build_lock = threading.Lock()


class _PerThread:
    """An attribute whose value belongs to the thread that set it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        try:
            return getattr(_state, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(_state, self.name, value)


class _PerThreadContext:
    """A resolver's `context` dict, one per thread and resolver (empty until the thread sets it)."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return _contexts().setdefault(obj, {})

    def __set__(self, obj: Any, value: dict[str, Any]) -> None:
        _contexts()[obj] = value


def _contexts() -> weakref.WeakKeyDictionary[Any, dict[str, Any]]:
    if not hasattr(_state, "contexts"):
        _state.contexts = weakref.WeakKeyDictionary()
    contexts: weakref.WeakKeyDictionary[Any, dict[str, Any]] = _state.contexts
    return contexts


class _PerThreadClassState(ABCMeta):
    """BaseRouter's metaclass once installed: `BaseRouter.current_event = ...` (what `resolve`
    does) and `BaseRouter.current_event` (what a router reads) reach the calling thread's value."""

    current_event = _PerThread("current_event")
    lambda_context = _PerThread("lambda_context")


def install() -> None:
    """Make Powertools' resolvers safe to call from several threads at once (idempotent)."""
    from aws_lambda_powertools.event_handler.api_gateway import (
        ApiGatewayResolver,
        BaseRouter,
        Route,
    )

    if type(BaseRouter) is _PerThreadClassState:
        return
    # Instances (`app.current_event`) read the class's attribute: the same per-thread value.
    BaseRouter.current_event = _PerThread("current_event")  # type: ignore[assignment]
    BaseRouter.lambda_context = _PerThread("lambda_context")  # type: ignore[assignment]
    ApiGatewayResolver.context = _PerThreadContext()  # type: ignore[assignment]
    BaseRouter.__class__ = _PerThreadClassState  # type: ignore[method-assign,assignment]
    original_build = Route._build_middleware_stack

    def build_once(self: Any, router_middlewares: Any, app: Any) -> None:
        # Two first requests at once would each wrap the chain the other was building.
        with _build_lock:
            if not self._middleware_stack_built:
                original_build(self, router_middlewares=router_middlewares, app=app)

    Route._build_middleware_stack = build_once  # type: ignore[method-assign]
