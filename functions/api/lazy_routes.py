"""The API function's routers, imported when a request needs one, not at cold start.

Importing every router (their pydantic models, the theme's templates, the domain services they
call) cost three times a bare `import boto3` before the first request; a Lambda container
answers a handful of different paths in its life. So the handler starts with no router, and
`LazyResolver` imports the routers whose path prefixes a request's path starts with, once, just
before it routes the request. The OpenAPI document asks for all of them (`load_all`).

A prefix is a path split on "/", with "*" standing for any one segment: "/api/groups/*/events"
covers "/api/groups/ramblers/events" and "/api/groups/ramblers/events/new". A router must be
loaded for every path one of its routes can match, so each route's rule must start with one of
its module's prefixes (a placeholder `<name>` matches "*" only); tests/functions/
test_lazy_routes.py checks that, that every router module is listed here, and that no two
modules have routes matching the same path (so the order in which modules load never changes
which route answers).
"""

from __future__ import annotations

import importlib
import threading
from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder

ROUTES, PAGES = "functions.api.routes", "functions.api.pages"

# Router module -> the path prefixes of its routes. In the order the routers were included
# when they all loaded at once (the OpenAPI document lists paths in this order).
PREFIXES: dict[str, tuple[str, ...]] = {
    "functions.api.routes.accounts": ("/api/session", "/api/accounts", "/api/me"),
    "functions.api.routes.groups": ("/api/groups",),
    "functions.api.routes.events": ("/api/events/*", "/api/groups/*/events"),
    "functions.api.routes.group_images": ("/api/groups/*/avatar", "/api/groups/*/banner"),
    "functions.api.routes.account_settings": ("/api/accounts", "/api/me"),
    "functions.api.routes.profiles": ("/api/me/default-profile", "/api/me/profiles"),
    "functions.api.routes.members": (
        "/api/groups/*/follow", "/api/groups/*/invitations", "/api/groups/*/join",
        "/api/groups/*/leave", "/api/groups/*/members", "/api/groups/*/requests",
        "/api/invitations", "/api/me/groups", "/api/me/upcoming",
    ),
    "functions.api.routes.following": ("/api/me/following",),
    "functions.api.routes.participation": (
        "/api/events/*/anonymous-participation", "/api/events/*/participants",
        "/api/events/*/participants.csv", "/api/events/*/participation", "/api/feeds",
        "/api/me/calendar-feed", "/api/me/participations", "/api/participations",
    ),
    "functions.api.routes.comments": ("/api/comments", "/api/events/*/comments"),
    "functions.api.routes.posts": ("/api/posts", "/api/groups/*/posts"),
    "functions.api.routes.discussions": ("/api/discussions", "/api/groups/*/discussions"),
    "functions.api.routes.resources": (
        "/api/resources", "/api/groups/*/resources", "/api/groups/*/activity",
    ),
    "functions.api.routes.reports": ("/api/reports",),
    # members' HTML pages, left out of the OpenAPI document
    "functions.api.pages.accounts": ("/app/confirm", "/app/login", "/app/logout", "/app/signup"),
    "functions.api.pages.account": ("/app/account", "/app/confirm-email", "/app/reset"),
    "functions.api.pages.home": ("/app/",),  # "/app/" only: the segment after "app" is empty
    "functions.api.pages.profiles": ("/app/profiles",),
    "functions.api.pages.groups": (
        "/app/groups/new", "/app/groups/*/", "/app/groups/*/approve", "/app/groups/*/images",
        "/app/groups/*/invite", "/app/groups/*/leave", "/app/groups/*/reject",
        "/app/groups/*/remove", "/app/groups/*/role", "/app/groups/*/settings",
    ),
    "functions.api.pages.joining": (
        "/app/groups/*/follow", "/app/groups/*/join", "/app/invitations",
    ),
    "functions.api.pages.events": (),  # no route of its own today
    "functions.api.pages.dev": ("/dev",),
    "functions.api.pages.following": ("/app/follow", "/app/following"),
    "functions.api.pages.participation": (
        "/app/events/*/participants", "/app/events/*/participate",
        "/app/events/*/participate-anonymously", "/app/participations",
    ),
    "functions.api.pages.event_editor": (
        "/app/events/*/", "/app/events/*/cancel", "/app/events/*/delete",
        "/app/events/*/duplicate", "/app/events/*/edit", "/app/events/*/publish",
        "/app/groups/*/events",
    ),
    "functions.api.pages.members_posts": ("/app/groups/*/posts", "/app/posts"),
    "functions.api.pages.admin": ("/app/admin/deliveries", "/app/admin/failures"),
    "functions.api.pages.comments": ("/app/comments", "/app/events/*/comments"),
    "functions.api.pages.discussions": ("/app/groups/*/discussions",),
    "functions.api.pages.resources": (
        "/app/resources", "/app/groups/*/resources", "/app/groups/*/activity",
    ),
    "functions.api.pages.moderation": ("/app/moderation", "/app/report"),
    "functions.api.pages.remote_events": ("/app/remote-events",),
    "functions.api.pages.admin_users": ("/app/admin",),
    "functions.api.pages.remote_groups": ("/app/remote-discussions", "/app/remote-groups"),
}
MODULES: tuple[str, ...] = tuple(PREFIXES)
ANY = "*"


def segments(path: str) -> tuple[str, ...]:
    return tuple(path.split("/"))


def covers(prefix: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """Whether a path (or a route's rule, its placeholders written "*") starts with `prefix`."""
    return len(path) >= len(prefix) and all(
        want in (ANY, got) for want, got in zip(prefix, path, strict=False))


@cache
def _table() -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple((segments(prefix), module) for module, prefixes in PREFIXES.items()
                 for prefix in prefixes)


def modules_for(path: str) -> list[str]:
    """The router modules with a route that may match `path`, in MODULES order."""
    parts = segments(path)
    wanted = {module for prefix, module in _table() if covers(prefix, parts)}
    return [module for module in MODULES if module in wanted]


class LazyResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, including a router just before the first request that
    may need it. Static routes are tried before dynamic ones whatever the order they arrive in
    (Powertools), and no two modules' routes overlap (tested), so which route answers a path is
    the same as with every router included up front."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._included: set[str] = set()
        self._including = threading.Lock()  # the local gateway answers on several threads

    def include(self, modules: list[str]) -> None:
        missing = [module for module in modules if module not in self._included]
        if not missing:
            return
        with self._including:
            for module in missing:
                if module not in self._included:
                    self.include_router(importlib.import_module(module).router)
                    self._included.add(module)

    def load_all(self) -> None:
        self.include(list(MODULES))

    def _resolve(self) -> ResponseBuilder:
        # Powertools' one routing step (resolve() -> _resolve()): the path is known, no route
        # has been looked up yet.
        self.include(modules_for(self.current_event.path))
        return super()._resolve()
