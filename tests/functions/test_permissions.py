"""Every API route x every role, with the status each must get.

Group routes expect what affiche/domain/roles.py PERMISSIONS says (the one table authorisation
reads): anonymous -> 401, a suspended account -> 403, a role below the action's -> 403, at or
above -> 2xx. Routes about the caller's own membership follow the membership state graph.
A last test checks that every route in the OpenAPI document is classified here, so a new route
cannot escape the walk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest

from affiche.config import reset_settings
from affiche.domain import accounts, events, follows, groups, membership
from affiche.domain.context import Ports
from affiche.domain.model import Account
from affiche.domain.ports import ChangeSet
from affiche.domain.roles import PERMISSIONS, allowed
from affiche.web.passwords import Argon2Hasher
from affiche.web.sessions import cookie_name, open_session
from functions.api.app import app
from functions.api.handler import lambda_handler
from tests import imagebytes
from tests.apigw import http_event
from tests.keys import CannedKeys

ROLES = ("anonymous", "non_member", "invited", "not_approved", "member", "moderator",
         "administrator", "suspended")
MEMBER_ROLES = ("member", "moderator", "administrator")
EVENT = {"title": "Walk", "begins_on": "2031-05-01T10:00", "ends_on": "2031-05-01T12:00",
         "timezone": "Europe/Paris"}
PUBLIC, OWN_INVITATION, JOIN, LEAVE, FOLLOW, UNFOLLOW = (
    "public", "own-invitation", "join", "leave", "follow", "unfollow")

# (method, path, body, rule): rule is a PERMISSIONS action or one of the own-flow rules above.
GROUP_ROUTES: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/groups/{g}", None, PUBLIC),
    ("GET", "/api/events/{event}", None, PUBLIC),
    ("PUT", "/api/groups/{g}", {"display_name": "Renamed"}, "edit_group"),
    ("POST", "/api/groups/{g}/events", EVENT, "create_event"),
    ("PUT", "/api/events/{event}", EVENT, "edit_event"),
    ("POST", "/api/groups/{g}/posts", {"title": "News", "body": "Hello"}, "create_post"),
    ("POST", "/api/groups/{g}/avatar", "png", "upload_group_image"),
    ("DELETE", "/api/groups/{g}/avatar", None, "upload_group_image"),
    ("POST", "/api/groups/{g}/banner", "png", "upload_group_image"),
    ("DELETE", "/api/groups/{g}/banner", None, "upload_group_image"),
    ("POST", "/api/groups/{g}/invitations", {"handle": "outsider"}, "invite_member"),
    ("GET", "/api/groups/{g}/requests", None, "review_join_request"),
    ("POST", "/api/groups/{g}/requests/asker/approve", {}, "review_join_request"),
    ("POST", "/api/groups/{g}/requests/asker/reject", {}, "review_join_request"),
    ("GET", "/api/groups/{g}/members", None, "view_members"),
    ("PUT", "/api/groups/{g}/members/victim", {"role": "moderator"}, "change_role"),
    ("DELETE", "/api/groups/{g}/members/victim", None, "remove_member"),
    ("POST", "/api/groups/{g}/invitations/accept", {}, OWN_INVITATION),
    ("POST", "/api/groups/{g}/invitations/decline", {}, OWN_INVITATION),
    ("POST", "/api/groups/{g}/join", {}, JOIN),
    ("POST", "/api/groups/{g}/leave", {}, LEAVE),
    ("POST", "/api/groups/{g}/follow", {}, FOLLOW),
    ("DELETE", "/api/groups/{g}/follow", None, UNFOLLOW),
]

# Routes about the caller's own account: they need a session, and group roles do not matter.
ACCOUNT_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/me", None),
    ("GET", "/api/me/groups", None),
    ("GET", "/api/me/upcoming", None),
    ("GET", "/api/invitations", None),
    ("GET", "/api/me/profiles", None),
    ("POST", "/api/me/profiles", {"name": "{fresh}", "display_name": "Another me"}),
    ("PUT", "/api/me/profiles/{me}", {"display_name": "Renamed me"}),
    ("DELETE", "/api/me/profiles/{second}", None),
    ("PUT", "/api/me/default-profile", {"name": "{me}"}),
    ("PUT", "/api/me/password", {"current_password": "correct horse",
                                 "new_password": "another horse"}),
    ("PUT", "/api/me/email", {"current_password": "correct horse", "email": "{fresh}@example.org"}),
    ("DELETE", "/api/me", {"password": "correct horse"}),
    ("POST", "/api/groups", {"name": "{fresh}", "display_name": "New group"}),
]

# Entry points that work without a session (covered by their own tests).
ENTRY_ROUTES = {
    ("POST", "/api/accounts"), ("POST", "/api/accounts/confirm"), ("POST", "/api/session"),
    ("DELETE", "/api/session"), ("POST", "/api/accounts/password-reset"),
    ("POST", "/api/accounts/password-reset/complete"), ("POST", "/api/accounts/confirm/resend"),
    ("POST", "/api/me/email/confirm"),
}
names = count()


def expected(rule: str, role: str) -> set[int] | range:
    """The statuses `role` may get for a route of `rule`."""
    ok = range(200, 300)
    if rule == PUBLIC:
        return ok
    if role == "anonymous":
        return {401}
    if role == "suspended":
        return {403}
    if rule in PERMISSIONS:
        return ok if allowed(_membership(role), rule) else {403}
    own: dict[str, dict[str, set[int] | range]] = {
        OWN_INVITATION: {"invited": ok, "non_member": {404}},
        JOIN: {"non_member": ok},
        LEAVE: {**dict.fromkeys(MEMBER_ROLES, ok), "non_member": {404}},
        FOLLOW: {},
        UNFOLLOW: {},
    }
    default: set[int] | range = ok if rule in {FOLLOW, UNFOLLOW} else {404, 409}
    if rule == LEAVE and role in {"invited", "not_approved"}:
        return {404, 409}
    return own[rule].get(role, default)


def _membership(role: str) -> Any:
    from affiche.domain.model import Membership

    return None if role == "non_member" else Membership(
        group="g", member="m", role=role, created_at=None, updated_at=None)  # type: ignore[arg-type]


@dataclass
class World:
    ports: Ports
    owner: Account
    by_name: dict[str, Account] = field(default_factory=dict)

    def account(self, name: str) -> Account:
        return accounts.signup(self.ports, email=f"{name}@example.org", password="correct horse",
                               username=name, confirmed=True)

    def group_with(self, subject: Account, role: str, *, following: bool) -> dict[str, str]:
        """A fresh moderated group where `subject` has `role`, with a pending request by @asker,
        a plain member @victim, an upcoming event, and `subject` following it if `following`."""
        name = f"g{next(names)}"
        groups.create_group(self.ports, self.owner, name=name, display_name="Group",
                            openness="moderated")
        for who, state in (("victim", "member"), ("asker", "not_approved")):
            self._place(name, self.by_name[who], state)
        if role not in {"anonymous", "non_member"}:
            self._place(name, subject, "member" if role == "suspended" else role)
        if following and role != "anonymous":
            follows.follow(self.ports, subject, name)
        event = events.create_event(self.ports, self.owner, name, events.EventInput(**EVENT))
        return {"g": name, "event": event.uuid}

    def _place(self, group: str, who: Account, role: str) -> None:
        if role == "not_approved":
            membership.request_to_join(self.ports, who, group, "please")
            return
        membership.invite(self.ports, self.owner, group, str(who.default_profile))
        if role != "invited":
            membership.accept_invitation(self.ports, who, group)
        if role in {"moderator", "administrator"}:
            membership.change_role(self.ports, self.owner, group, str(who.default_profile), role)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One AWS mock and one set of accounts for the module; every case gets its own group."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        maildir = tmp_path_factory.mktemp("mail")
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "eu-west-1",
                           "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                           "AFFICHE_PUBLIC_URL": "https://affiche.test",
                           "AFFICHE_MAIL_MODE": "maildir", "AFFICHE_MAIL_DIR": str(maildir)
                           }.items():
            patch.setenv(key, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        from argon2 import PasswordHasher

        import affiche.web.passwords as passwords

        fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(passwords, "_hasher", lambda: fast)
        patch.setattr("affiche.web.ports.RsaKeyFactory", CannedKeys)
        reset_settings()
        from affiche.aws import reset_clients

        reset_clients()
        with mock_aws():
            from affiche.local.resources import create_resources
            from affiche.store.repository import DynamoRepository
            from affiche.web.ports import _ports

            _ports.cache_clear()
            create_resources()
            ports = Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=CannedKeys())
            made = World(ports=ports, owner=accounts.signup(
                ports, email="owner@example.org", password="correct horse", username="owner",
                confirmed=True))
            made.by_name = {n: made.account(n) for n in ("victim", "asker", "outsider")}
            yield made
            _ports.cache_clear()
        reset_settings()
        reset_clients()


def _subject(world: World, role: str) -> tuple[Account | None, list[str]]:
    if role == "anonymous":
        return None, []
    subject = world.account(f"s{next(names)}")
    if role == "suspended":
        subject = subject.evolve(suspended=True)
        world.ports.repo.commit(ChangeSet().put(subject))
    secret, _ = open_session(world.ports, subject)
    return subject, [f"{cookie_name()}={secret}"]


def _call(method: str, path: str, body: Any, cookies: list[str]) -> dict[str, Any]:
    if body == "png":
        event = http_event(method, path, body=imagebytes.png(8, 8), cookies=cookies or None,
                           headers={"content-type": "image/png"})
    else:
        event = http_event(method, path, body=body, cookies=cookies or None)
    response: dict[str, Any] = lambda_handler(event, None)
    return response


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "rule"), GROUP_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in GROUP_ROUTES])
def test_group_route_for_role(world: World, method: str, path: str, body: Any, rule: str,
                              role: str) -> None:
    # Given a group where the caller has `role`
    subject, cookies = _subject(world, role)
    names_in_world = world.group_with(subject or world.owner, role,
                                      following=rule == UNFOLLOW)
    # When the caller uses the route
    response = _call(method, path.format(**names_in_world), body, cookies)
    # Then the status is the one the permissions table (or the membership graph) gives
    assert response["statusCode"] in expected(rule, role), response.get("body")
    assert json.loads(response["body"]) is not None


@pytest.mark.parametrize("role", ("anonymous", "suspended", "non_member"))
@pytest.mark.parametrize(("method", "path", "body"), ACCOUNT_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in ACCOUNT_ROUTES])
def test_account_route_for_role(world: World, method: str, path: str, body: Any,
                                role: str) -> None:
    subject, cookies = _subject(world, role)
    me = subject.default_profile if subject else "nobody"
    second = f"x{next(names)}"
    if subject and not subject.suspended:
        from affiche.domain import profile_settings

        profile_settings.create_profile(world.ports, subject, name=second, display_name="Two")
    fill = {"fresh": f"n{next(names)}", "me": me, "second": second}
    filled = json.loads(json.dumps(body).replace("{fresh}", fill["fresh"]).replace(
        "{me}", str(me))) if body is not None else None
    response = _call(method, path.format(**fill), filled, cookies)
    want = {"anonymous": {401}, "suspended": {403}}.get(role, range(200, 300))
    assert response["statusCode"] in want, response.get("body")


def test_every_route_is_walked() -> None:
    schema = json.loads(app.get_openapi_json_schema())
    declared = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}

    def template(path: str) -> str:
        return (path.replace("{g}", "{name}").replace("{event}", "{uuid}")
                .replace("/asker/", "/{member}/").replace("/victim", "/{member}")
                .replace("{me}", "{name}").replace("{second}", "{name}"))

    walked = ({(m, template(p)) for m, p, _, _ in GROUP_ROUTES}
              | {(m, template(p)) for m, p, _ in ACCOUNT_ROUTES} | ENTRY_ROUTES)
    assert declared - walked == set(), "routes missing from the permission walk"
    assert walked - declared == set(), "the walk names routes that do not exist"


def test_the_walk_covers_every_permission() -> None:
    used = {rule for _, _, _, rule in GROUP_ROUTES if rule in PERMISSIONS}
    unused = set(PERMISSIONS) - used
    # Dashboard and members-only content are HTML pages (tests/functions/test_pages.py).
    assert unused <= {"view_group_dashboard", "view_members_only_content",
                      "appoint_administrator", "edit_post"}, unused



@pytest.mark.parametrize(("role", "can", "cannot"), [
    ("member", {"view_members"}, {"create_event", "invite_member", "edit_group"}),
    ("moderator", {"create_event", "create_post", "edit_event"},
     {"invite_member", "change_role", "edit_group", "remove_member"}),
    ("administrator", {"invite_member", "review_join_request", "edit_group", "change_role"}, set()),
    ("invited", set(), {"view_members", "create_event"}),
    ("not_approved", set(), {"view_members", "create_event"}),
])
def test_the_table_gives_mobilizon_roles_their_rights(role: str, can: set[str],
                                                      cannot: set[str]) -> None:
    # Moderators and above create events and posts; administrators manage members and settings.
    member = _membership(role)
    assert {action for action in can if allowed(member, action)} == can
    assert {action for action in cannot if allowed(member, action)} == set()
