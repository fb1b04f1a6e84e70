"""The lazy table of the API function (functions/api/lazy_routes.py) loads the right routers
for every route there is (that its handler imports none: test_cold_imports.py)."""

from __future__ import annotations

import importlib
import pkgutil
from itertools import combinations
from pathlib import Path

import pytest
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api import lazy_routes
from functions.api.lazy_routes import MODULES, PREFIXES, covers, modules_for, segments

ROOT = Path(__file__).resolve().parents[2]


def router_modules() -> list[str]:
    """Every module of functions/api/routes and functions/api/pages that defines a router."""
    found = []
    for package in (lazy_routes.ROUTES, lazy_routes.PAGES):
        path = ROOT.joinpath(*package.split("."))
        for info in pkgutil.iter_modules([str(path)]):
            name = f"{package}.{info.name}"
            if isinstance(getattr(importlib.import_module(name), "router", None),
                          APIGatewayHttpRouter):
                found.append(name)
    return found


def routes_of(module: str) -> list[tuple[str, str]]:
    """(method, rule) of each route a router module defines."""
    router = importlib.import_module(module).router
    return [(method, rule) for rule, method, *_ in router._routes]


def pattern(rule: str) -> tuple[str, ...]:
    """A route's rule as segments, a placeholder (`<uuid>`, `<token>.ics`) written "*"."""
    return tuple(lazy_routes.ANY if "<" in part else part for part in segments(rule))


def test_every_router_module_is_in_the_lazy_table() -> None:
    assert sorted(router_modules()) == sorted(MODULES), (
        "a router module must be listed in functions/api/lazy_routes.py PREFIXES, with the "
        "path prefixes of its routes, or no request ever reaches it")


@pytest.mark.parametrize("module", MODULES)
def test_each_route_starts_with_a_prefix_of_its_module(module: str) -> None:
    prefixes = [segments(prefix) for prefix in PREFIXES[module]]
    uncovered = [rule for _, rule in routes_of(module)
                 if not any(covers(prefix, pattern(rule)) for prefix in prefixes)]
    assert uncovered == [], f"add a prefix to PREFIXES[{module!r}] for {uncovered}"


def test_no_two_modules_route_the_same_request() -> None:
    """Powertools tries static routes first, then dynamic ones in the order they were included:
    with routers included lazily that order varies, so it must never matter."""

    def overlap(a: str, b: str) -> bool:
        left, right = pattern(a), pattern(b)
        return len(left) == len(right) and all(
            lazy_routes.ANY in (x, y) or x == y for x, y in zip(left, right, strict=True))

    clashes = [(m1, r1, m2, r2)
               for m1, m2 in combinations(MODULES, 2)
               for method1, r1 in routes_of(m1) for method2, r2 in routes_of(m2)
               if method1 == method2 and overlap(r1, r2)
               # a static route always wins over a dynamic one, whichever loaded first
               and ("<" in r1) == ("<" in r2)]
    assert clashes == []


def test_a_path_loads_only_the_routers_that_may_answer_it() -> None:
    assert modules_for("/api/groups/ramblers/avatar") == [
        "functions.api.routes.groups", "functions.api.routes.group_images"]
    assert modules_for("/app/") == ["functions.api.pages.home"]
    assert modules_for("/api/openapi.json") == []
    assert modules_for("/elsewhere") == []
