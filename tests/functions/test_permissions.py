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
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from affiche.config import reset_settings
from affiche.domain import (
    accounts,
    comments,
    discussions,
    events,
    follows,
    groups,
    membership,
    participation,
    posts,
    reports,
    resources,
)
from affiche.domain.context import Ports
from affiche.domain.model import Account, Actor, Event
from affiche.domain.ports import ChangeSet
from affiche.domain.roles import PERMISSIONS, allowed
from affiche.web.passwords import Argon2Hasher
from affiche.web.sessions import cookie_name, open_session
from functions.api.app import openapi_document
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
# Any confirmed person may comment on a public event, and edit or delete their own comment.
COMMENT = "comment"
# Taking part in the group's (free, public) event: anyone logged in; leaving: the subject takes
# part first (see World.group_with).
JOIN_EVENT, LEAVE_EVENT = "join-event", "leave-event"

# (method, path, body, rule): rule is a PERMISSIONS action or one of the own-flow rules above.
GROUP_ROUTES: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/groups/{g}", None, PUBLIC),
    ("GET", "/api/events/{event}", None, PUBLIC),
    ("PUT", "/api/groups/{g}", {"display_name": "Renamed"}, "edit_group"),
    ("POST", "/api/groups/{g}/events", EVENT, "create_event"),
    ("PUT", "/api/events/{event}", EVENT, "edit_event"),
    ("PATCH", "/api/events/{event}", {"title": "Renamed walk"}, "edit_event"),
    ("DELETE", "/api/events/{event}", None, "edit_event"),
    ("POST", "/api/events/{event}/cancel", {}, "edit_event"),
    ("POST", "/api/events/{event}/duplicate", {}, "edit_event"),
    ("POST", "/api/events/{draft}/publish", {}, "edit_event"),
    ("POST", "/api/events/{event}/picture", "png", "edit_event"),
    ("DELETE", "/api/events/{event}/picture", None, "edit_event"),
    ("GET", "/api/events/{private}", None, "read:view_members_only_content"),
    ("GET", "/api/events/{draft}", None, "read:edit_event"),
    ("POST", "/api/groups/{g}/posts", {"title": "News", "body": "Hello"}, "create_post"),
    ("GET", "/api/posts/{post}", None, PUBLIC),
    ("GET", "/api/posts/{members_post}", None, "read:view_members_only_content"),
    ("GET", "/api/posts/{draft_post}", None, "read:edit_post"),
    ("PATCH", "/api/posts/{post}", {"title": "Renamed news"}, "edit_post"),
    ("DELETE", "/api/posts/{post}", None, "edit_post"),
    ("POST", "/api/posts/{post}/picture", "png", "edit_post"),
    ("DELETE", "/api/posts/{post}/picture", None, "edit_post"),
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
    ("GET", "/api/events/{event}/comments", None, PUBLIC),
    ("POST", "/api/events/{event}/comments", {"text": "Hello"}, COMMENT),
    ("PUT", "/api/comments/{mine}", {"text": "Hello again"}, COMMENT),
    ("DELETE", "/api/comments/{mine}", None, COMMENT),
    ("DELETE", "/api/comments/{theirs}", None, "moderate_comments"),
    ("PUT", "/api/events/{event}/comments/settings", {"enabled": False}, "moderate_comments"),
    ("POST", "/api/events/{event}/participation", {}, JOIN_EVENT),
    ("DELETE", "/api/events/{event}/participation", None, LEAVE_EVENT),
    ("GET", "/api/events/{event}/participants", None, "manage_participants"),
    ("POST", "/api/events/{event}/participants/answer",
     {"participants": ["victim"], "approve": False}, "manage_participants"),
    ("GET", "/api/events/{event}/participants.csv", None, "manage_participants"),
    ("POST", "/api/events/{event}/participants/invite", {"handle": "outsider"},
     "manage_participants"),
    # group discussions (members only; @victim started {discussion}, the subject replied)
    ("GET", "/api/groups/{g}/discussions", None, "discuss"),
    ("POST", "/api/groups/{g}/discussions", {"title": "T", "text": "Hi"}, "discuss"),
    ("GET", "/api/discussions/{discussion}", None, "discuss"),
    ("PATCH", "/api/discussions/{discussion}", {"closed": True}, "moderate_discussions"),
    ("DELETE", "/api/discussions/{discussion}", None, "moderate_discussions"),
    ("POST", "/api/discussions/{discussion}/replies", {"text": "Hi"}, "discuss"),
    ("PUT", "/api/discussions/{discussion}/replies/{my_reply}", {"text": "Hey"}, "discuss"),
    ("DELETE", "/api/discussions/{discussion}/replies/{my_reply}", None, "discuss"),
    ("DELETE", "/api/discussions/{discussion}/replies/{their_reply}", None,
     "moderate_discussions"),
    ("PUT", "/api/discussions/{discussion}/follow", {}, "discuss"),
    ("DELETE", "/api/discussions/{discussion}/follow", None, "discuss"),
    # a group's resources and activity (tests/functions/test_resources.py)
    ("GET", "/api/groups/{g}/resources", None, "view_resources"),
    ("POST", "/api/groups/{g}/resources", {"type": "folder", "title": "Docs"}, "manage_resources"),
    ("GET", "/api/resources/{folder}", None, "view_resources"),
    ("PATCH", "/api/resources/{folder}", {"title": "Renamed"}, "manage_resources"),
    ("DELETE", "/api/resources/{link}", None, "manage_resources"),
    ("GET", "/api/groups/{g}/activity", None, "view_group_activity"),
]

# Routes about the caller's own account: they need a session, and group roles do not matter.
ACCOUNT_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/me", None),
    ("GET", "/api/me/groups", None),
    ("POST", "/api/me/groups", {"handle": "@{group}@affiche.test"}),
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
    ("GET", "/api/me/following", None),
    ("POST", "/api/me/following", {"handle": "@{group}@affiche.test"}),
    ("DELETE", "/api/me/following", {"group": "{followed}"}),
    ("GET", "/api/me/notifications", None),
    ("PUT", "/api/me/notifications", {"notifications": {"new_comment": False}}),
    ("GET", "/api/me/participations", None),
    ("POST", "/api/me/calendar-feed", {}),
]

# Entry points that work without a session (covered by their own tests).
ENTRY_ROUTES = {
    ("POST", "/api/accounts"), ("POST", "/api/accounts/confirm"), ("POST", "/api/session"),
    ("DELETE", "/api/session"), ("POST", "/api/accounts/password-reset"),
    ("POST", "/api/accounts/password-reset/complete"), ("POST", "/api/accounts/confirm/resend"),
    ("POST", "/api/me/email/confirm"),
    # participation without an account, and the secret calendar link
    # (tests/functions/test_participation_anonymous.py, test_participation_api.py)
    ("POST", "/api/events/{uuid}/anonymous-participation"), ("POST", "/api/participations/confirm"),
    ("POST", "/api/participations/cancel"), ("GET", "/api/feeds/{token}.ics"),
    # reporting, by a profile or (when the instance allows it) a visitor with an email
    # (tests/functions/test_moderation.py)
    ("POST", "/api/reports"),
}

# The instance's moderation and administration (/api/mod/*): by the account's role, not groups'.
MOD, ADMIN = "instance-moderator", "instance-admin"
INSTANCE_ROUTES: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/mod/settings", None, ADMIN),
    ("PUT", "/api/mod/settings", {"registration_mode": "open"}, ADMIN),
    ("PUT", "/api/mod/settings/anonymous-participation", {"allowed": False}, ADMIN),
    ("PUT", "/api/mod/settings/anonymous-reports", {"allowed": False}, ADMIN),
    ("POST", "/api/mod/invitations", {"email": "invitee@example.org"}, ADMIN),
    ("GET", "/api/mod/deliveries/dead", None, ADMIN),
    ("POST", "/api/mod/deliveries/replay", {"ids": ["none"]}, ADMIN),
    ("GET", "/api/mod/failures", None, ADMIN),
    ("POST", "/api/mod/failures/replay", {"ids": ["none"]}, ADMIN),
    ("GET", "/api/mod/inbound/failed", None, ADMIN),
    ("GET", "/api/mod/audit", None, ADMIN),
    ("GET", "/api/mod/reports", None, MOD),
    ("GET", "/api/mod/reports/{report}", None, MOD),
    ("POST", "/api/mod/reports/{report}/notes", {"text": "seen"}, MOD),
    ("POST", "/api/mod/reports/{report}/resolve", {}, MOD),
    ("POST", "/api/mod/reports/{report}/close", {}, MOD),
    ("POST", "/api/mod/reports/{report}/forward", {}, MOD),
    ("POST", "/api/mod/content/hide", {"target_kind": "event", "target_key": "{event}"}, MOD),
    ("POST", "/api/mod/content/restore", {"target_kind": "event", "target_key": "{event}"}, MOD),
]
INSTANCE_ROLES = ("anonymous", "suspended", "user", "moderator", "admin")
names = count()


def expected(rule: str, role: str) -> set[int] | range:
    """The statuses `role` may get for a route of `rule`."""
    ok = range(200, 300)
    if rule == PUBLIC:
        return ok
    if rule.startswith("read:"):  # hidden things: whoever may not read them is told 404
        may = role not in {"anonymous", "suspended"} and allowed(_membership(role), rule[5:])
        return ok if may else {404}
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
        COMMENT: {},
        JOIN_EVENT: {},
        LEAVE_EVENT: {},
    }
    default: set[int] | range = ok if rule in {
        FOLLOW, UNFOLLOW, COMMENT, JOIN_EVENT, LEAVE_EVENT} else {404, 409}
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

    def group_with(self, subject: Account, role: str, *, following: bool,
                   participating: bool = False) -> GroupWorld:
        """A fresh moderated group where `subject` has `role`, with a pending request by @asker,
        a plain member @victim, and `subject` following it if `following`. What a route's path
        names (an event, posts, a discussion...) is made when the path asks for it."""
        name = f"g{next(names)}"
        groups.create_group(self.ports, self.owner, name=name, display_name="Group",
                            openness="moderated")
        for who, state in (("victim", "member"), ("asker", "not_approved")):
            self._place(name, self.by_name[who], state)
        if role not in {"anonymous", "non_member"}:
            self._place(name, subject, "member" if role == "suspended" else role)
        if following and role != "anonymous":
            follows.follow(self.ports, subject, name)
        self._remote_event()
        return GroupWorld(self, name, subject, role, participating)

    def _remote_event(self) -> None:
        """A public event of another server, cached for agendas (/app/remote-events)."""
        from affiche.activitypub.remote_events import event_from_object

        if self.ports.repo.get(Event, REMOTE_EVENT) is None:
            obj = {"id": REMOTE_EVENT, "name": "Far", "startTime": "2031-05-01T10:00:00+00:00",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}
            self.ports.repo.commit(ChangeSet().put(event_from_object(
                obj, "https://remote.example/c/garden", self.ports.clock.now())))

    def _profile(self, who: Account) -> Actor:
        found = self.ports.repo.get(Actor, str(who.default_profile))
        assert found is not None
        return found

    def _place(self, group: str, who: Account, role: str) -> None:
        if role == "not_approved":
            membership.request_to_join(self.ports, who, group, "please")
            return
        membership.invite(self.ports, self.owner, group, str(who.default_profile))
        if role != "invited":
            membership.accept_invitation(self.ports, who, group)
        if role in {"moderator", "administrator"}:
            membership.change_role(self.ports, self.owner, group, str(who.default_profile), role)


class GroupWorld(dict[str, str]):
    """The names a route's path uses ({g}, {event}, {mine}...), each made on first use: building
    all of them for each of the ~750 cases was most of this module's time."""

    def __init__(self, world: World, group: str, subject: Account, role: str,
                 participating: bool) -> None:
        super().__init__(g=group)
        self.world, self.subject, self.role, self.participating = (
            world, subject, role, participating)

    def __missing__(self, key: str) -> str:
        makers = {"event": self._event, "mine": self._event, "theirs": self._event,
                  "private": self._other_events, "draft": self._other_events,
                  "members_post": self._posts, "post": self._posts, "draft_post": self._posts,
                  "folder": self._resources, "link": self._resources,
                  "discussion": self._discussion, "my_reply": self._discussion,
                  "their_reply": self._discussion}
        if key not in makers:
            raise KeyError(key)
        self.update(makers[key]())
        return self[key]

    def _event(self) -> dict[str, str]:
        w, group, ports = self.world, self["g"], self.world.ports
        event = events.create_event(ports, w.owner, group, events.EventInput(**EVENT))
        # @victim takes part in the event (organisers answer them); the subject too when asked.
        takers = [w.by_name["victim"]] + ([self.subject] if self.participating else [])
        for taker in takers:
            participation.join_event(ports, w._profile(taker), event.uuid)
        # A comment by the subject (by the owner for anonymous visitors) and one by @victim.
        author = self.subject if self.role != "anonymous" else w.owner
        mine = comments.post_comment(ports, w._profile(author), event.uuid, "Mine")
        theirs = comments.post_comment(ports, w._profile(w.by_name["victim"]), event.uuid,
                                       "Theirs")
        return {"event": event.uuid, "mine": mine.id, "theirs": theirs.id}

    def _other_events(self) -> dict[str, str]:
        w, group = self.world, self["g"]
        private = events.create_event(w.ports, w.owner, group,
                                      events.EventInput(**EVENT, visibility="private"))
        draft = events.create_event(w.ports, w.owner, group,
                                    events.EventInput(**EVENT, draft=True))
        return {"private": private.uuid, "draft": draft.uuid}

    def _posts(self) -> dict[str, str]:
        w, group = self.world, self["g"]
        members = posts.create_post(w.ports, w.owner, group, title="Minutes", body="Hi",
                                    visibility="members")
        public = posts.create_post(w.ports, w.owner, group, title="News", body="Hi")
        draft = posts.create_post(w.ports, w.owner, group, title="Soon", body="Hi", draft=True)
        return {"members_post": members.slug, "post": public.slug, "draft_post": draft.slug}

    def _resources(self) -> dict[str, str]:
        w, group = self.world, self["g"]
        folder = resources.create_folder(w.ports, w._profile(w.owner), group, "Docs")
        link = resources.add_link(w.ports, w._profile(w.owner), group, "https://example.org/",
                                  title="Link")
        return {"folder": folder.id, "link": link.id}

    def _discussion(self) -> dict[str, str]:
        """A thread @victim started, with the subject's reply when they are a member."""
        w = self.world
        victim = w._profile(w.by_name["victim"])
        started = discussions.start_discussion(w.ports, victim, self["g"], "Plans", "Theirs")
        theirs = discussions.replies(w.ports, victim, started.id).items[0]
        mine = theirs
        if self.role in {*MEMBER_ROLES, "suspended"}:
            mine = discussions.reply(w.ports, w._profile(self.subject), started.id, "Mine")
        return {"discussion": started.id, "my_reply": mine.id, "their_reply": theirs.id}


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One AWS mock (bucket, queues) and one environment for the module."""
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

            queues = create_resources()
            # The administrators' dead-letter routes read the delivery queue's settings.
            patch.setenv("AFFICHE_DELIVERY_QUEUE_URL", queues["queue"])
            yield
        reset_settings()
        reset_clients()


tables = count()


@dataclass
class Seed:
    """The owner and the three bystanders, signed up once; each case's table gets a copy of their
    items (two batch writes instead of some forty signup requests)."""

    owner: Account
    by_name: dict[str, Account]
    items: list[dict[str, Any]]


@pytest.fixture(scope="module")
def seed(instance: None) -> Seed:
    from affiche.store.repository import DynamoRepository
    from affiche.store.table import create_table

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AFFICHE_TABLE", "walk-seed")
        reset_settings()
        create_table()
        ports = Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=CannedKeys())
        made = World(ports=ports, owner=accounts.signup(
            ports, email="owner@example.org", password="correct horse", username="owner",
            confirmed=True))
        by_name = {n: made.account(n) for n in ("victim", "asker", "outsider")}
        items = _scan("walk-seed")
    reset_settings()
    return Seed(made.owner, by_name, items)


def _scan(table: str) -> list[dict[str, Any]]:
    from affiche.aws import client

    dynamodb, items, start = client("dynamodb"), [], None
    while True:
        page = dynamodb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


@pytest.fixture
def world(seed: Seed, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh table for each case, holding the seed's accounts.

    Why not one table for the module: moto answers an index query by scanning the whole table, so
    with one shared table each of the ~750 cases got slower than the last (25 minutes in all).
    Creating a table in moto costs a few milliseconds."""
    from affiche.activitypub.blocklist import forget_cache
    from affiche.aws import client
    from affiche.store.repository import DynamoRepository
    from affiche.store.table import create_table
    from affiche.web.ports import _ports

    table = f"walk{next(tables)}"
    monkeypatch.setenv("AFFICHE_TABLE", table)
    reset_settings()
    create_table()
    # Named after the table, as in the template (publish/stream_failures.py): one per table.
    client("sqs").create_queue(QueueName=f"{table}-stream-failures")
    for start in range(0, len(seed.items), 25):
        client("dynamodb").batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": item}} for item in seed.items[start:start + 25]]})
    _ports.cache_clear()
    forget_cache()
    ports = Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=CannedKeys())
    yield World(ports=ports, owner=seed.owner, by_name=dict(seed.by_name))
    _ports.cache_clear()
    forget_cache()
    reset_settings()


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
    if path.startswith("/api/mod/"):  # CloudFront sends /api/mod/* to the moderation function
        from functions.moderation.handler import lambda_handler as moderation

        answer: dict[str, Any] = moderation(event, None)
        return answer
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
                                      following=rule == UNFOLLOW,
                                      participating=rule == LEAVE_EVENT and role != "anonymous")
    # When the caller uses the route
    response = _call(method, path.format_map(names_in_world), body, cookies)
    # Then the status is the one the permissions table (or the membership graph) gives
    assert response["statusCode"] in expected(rule, role), response.get("body")
    if not path.endswith(".csv") or response["statusCode"] >= 300:
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
    group = world.group_with(world.owner, "non_member", following=False)["g"] if (
        "{group}" in json.dumps(body)) else ""
    followed = world.group_with(subject, "non_member", following=True)["g"] if (
        subject and "{followed}" in json.dumps(body)) else "g0"
    filled = json.loads(json.dumps(body).replace("{fresh}", fill["fresh"]).replace(
        "{me}", str(me)).replace("{group}", group).replace("{followed}", followed)
    ) if body is not None else None
    response = _call(method, path.format(**fill), filled, cookies)
    want = {"anonymous": {401}, "suspended": {403}}.get(role, range(200, 300))
    assert response["statusCode"] in want, response.get("body")


@pytest.mark.parametrize("role", INSTANCE_ROLES)
@pytest.mark.parametrize(("method", "path", "body", "rule"), INSTANCE_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in INSTANCE_ROUTES])
def test_instance_route_for_role(world: World, method: str, path: str, body: Any, rule: str,
                                 role: str) -> None:
    # Given an open report about a fresh event, and a caller with an instance `role`
    subject, cookies = _subject(world, "suspended" if role == "suspended" else "non_member")
    if subject is not None and role in {"moderator", "admin"}:
        subject = subject.evolve(role=role)
        world.ports.repo.commit(ChangeSet().put(subject))
    if role == "anonymous":
        cookies = []
    event = world.group_with(world.owner, "non_member", following=False)["event"]
    target = ("event", event)
    if path.endswith("/forward"):  # forwarding needs remote content, known with its inbox
        remote = Actor(name=f"https://remote.example/users/r{next(names)}", type="Person",
                       display_name="Remote", created_at=datetime.now(UTC),
                       inbox="https://remote.example/inbox")
        world.ports.repo.commit(ChangeSet().put(remote))
        target = ("actor", remote.name)
    filed = reports.file_report(world.ports, world._profile(world.owner), target_kind=target[0],
                                target_key=target[1], reason="spam")
    filled = json.loads(json.dumps(body).replace("{event}", event))
    # When the caller uses the route
    response = _call(method, path.format(report=filed.id), filled, cookies)
    # Then only the role the route needs gets through (moderators: the reports; admins: all)
    may = role == "admin" or (role == "moderator" and rule == MOD)
    want = {"anonymous": {401}, "suspended": {403}}.get(role, range(200, 300) if may else {403})
    assert response["statusCode"] in want, response.get("body")


def test_every_route_is_walked() -> None:
    schema = openapi_document()
    declared = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}

    def template(path: str) -> str:
        return (path.replace("{g}", "{name}").replace("{event}", "{uuid}")
                .replace("{private}", "{uuid}").replace("{draft}", "{uuid}")
                .replace("{members_post}", "{slug}").replace("{draft_post}", "{slug}")
                .replace("{post}", "{slug}")
                .replace("/asker/", "/{member}/").replace("/victim", "/{member}")
                .replace("{me}", "{name}").replace("{second}", "{name}")
                .replace("{mine}", "{comment_id}").replace("{theirs}", "{comment_id}")
                .replace("{discussion}", "{discussion_id}").replace("{my_reply}", "{reply_id}")
                .replace("{their_reply}", "{reply_id}")
                .replace("{folder}", "{resource_id}").replace("{link}", "{resource_id}")
                .replace("{report}", "{report_id}"))

    walked = ({(m, template(p)) for m, p, _, _ in GROUP_ROUTES}
              | {(m, template(p)) for m, p, _ in ACCOUNT_ROUTES} | ENTRY_ROUTES
              | {(m, template(p)) for m, p, _, _ in INSTANCE_ROUTES}
              | {(m, p.replace("{account}", "{account_id}").replace("{profile}", "{name}")
                  .replace("{group}", "{name}")) for m, p, _ in MOD_ROUTES})
    assert declared - walked == set(), "routes missing from the permission walk"
    assert walked - declared == set(), "the walk names routes that do not exist"


def test_the_walk_covers_every_permission() -> None:
    used = {rule for _, _, _, rule in GROUP_ROUTES if rule in PERMISSIONS}
    unused = set(PERMISSIONS) - used
    # Dashboard and members-only content are HTML pages (tests/functions/test_pages.py).
    assert unused <= {"view_group_dashboard", "view_members_only_content",
                      "appoint_administrator", "edit_post"}, unused
    assert "moderate_comments" in used



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


# --- members' pages of the event editor --------------------------------------------------------
# (method, path, form fields, rule): rules as above; "read:<action>" pages answer 404 to whoever
# may not read the event; LOGGED_IN pages need any session. Pages answer 200 or 303 when allowed,
# send anonymous visitors to the login page (303) and show suspended accounts a 403.
LOGGED_IN = "logged-in"
EDITOR_FORM = {**{k: str(v) for k, v in EVENT.items()}, "save": "publish"}
SETTINGS_FORM = {"display_name": "Renamed", "summary": "", "visibility": "public",
                 "openness": "moderated", "timezone": "Europe/Paris"}
POST_FORM = {"title": "News", "body": "Hello", "visibility": "public", "tags": "",
             "save": "publish"}
EVENT_PAGES: list[tuple[str, str, dict[str, str] | None, str]] = [
    ("GET", "/app/groups/{g}/events/new", None, "create_event"),
    ("POST", "/app/groups/{g}/events/new", EDITOR_FORM, "create_event"),
    ("GET", "/app/events/{event}/", None, LOGGED_IN),
    ("GET", "/app/events/{private}/", None, "read:view_members_only_content"),
    ("GET", "/app/events/{draft}/", None, "read:edit_event"),
    ("GET", "/app/events/{event}/edit", None, "edit_event"),
    ("POST", "/app/events/{event}/edit", EDITOR_FORM, "edit_event"),
    ("POST", "/app/events/{event}/cancel", {}, "edit_event"),
    ("POST", "/app/events/{event}/duplicate", {}, "edit_event"),
    ("POST", "/app/events/{event}/delete", {}, "edit_event"),
    ("POST", "/app/events/{draft}/publish", {}, "read:edit_event"),
    ("GET", "/app/posts/{members_post}/", None, "read:view_members_only_content"),
    # the post editor (moderators and above)
    ("GET", "/app/groups/{g}/posts/", None, "view_members_only_content"),
    ("GET", "/app/groups/{g}/posts/?page=2", None, "view_members_only_content"),
    ("GET", "/app/groups/{g}/posts/new", None, "create_post"),
    ("POST", "/app/groups/{g}/posts/new", POST_FORM, "create_post"),
    ("GET", "/app/posts/{post}/", None, LOGGED_IN),
    ("GET", "/app/posts/{draft_post}/", None, "read:edit_post"),
    ("GET", "/app/posts/{post}/edit", None, "edit_post"),
    ("POST", "/app/posts/{post}/edit", POST_FORM, "edit_post"),
    ("POST", "/app/posts/{post}/unpublish", {}, "edit_post"),
    ("POST", "/app/posts/{draft_post}/publish", {}, "read:edit_post"),
    ("POST", "/app/posts/{post}/delete", {}, "edit_post"),
    # taking part (the event is free and public: anyone logged in joins it)
    ("POST", "/app/events/{event}/participate", {}, LOGGED_IN),
    ("GET", "/app/participations", None, LOGGED_IN),
    ("GET", "/app/events/{event}/participants", None, "manage_participants"),
    ("POST", "/app/events/{event}/participants", {"decision": "reject", "participants": "victim"},
     "manage_participants"),
    # group discussions (see GROUP_ROUTES)
    ("GET", "/app/groups/{g}/discussions", None, "discuss"),
    ("POST", "/app/groups/{g}/discussions", {"title": "T", "text": "Hi"}, "discuss"),
    ("GET", "/app/groups/{g}/discussions/{discussion}", None, "discuss"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/replies", {"text": "Hi"}, "discuss"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/follow", {"follow": "on"}, "discuss"),
    ("GET", "/app/groups/{g}/discussions/{discussion}/replies/{my_reply}/edit", None, "discuss"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/replies/{my_reply}/edit", {"text": "Hey"},
     "discuss"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/replies/{my_reply}/delete", {},
     "discuss"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/replies/{their_reply}/delete", {},
     "moderate_discussions"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/rename", {"title": "New"},
     "moderate_discussions"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/close", {"closed": "on"},
     "moderate_discussions"),
    ("POST", "/app/groups/{g}/discussions/{discussion}/delete", {}, "moderate_discussions"),
    # a group's resources and activity
    ("GET", "/app/groups/{g}/resources", None, "view_resources"),
    ("POST", "/app/groups/{g}/resources", {"type": "folder", "title": "Docs"}, "manage_resources"),
    ("GET", "/app/resources/{folder}/edit", None, "view_resources"),
    ("POST", "/app/resources/{folder}/edit", {"title": "Renamed"}, "manage_resources"),
    ("POST", "/app/resources/{link}/move", {"parent": ""}, "manage_resources"),
    ("POST", "/app/resources/{link}/delete", {}, "manage_resources"),
    ("GET", "/app/groups/{g}/activity", None, "view_group_activity"),
    # the dashboard, with its latest discussions, resources, activity and a page of members
    ("GET", "/app/groups/{g}/", None, "view_group_dashboard"),
    ("GET", "/app/groups/{g}/?page=2", None, "view_group_dashboard"),
    ("GET", "/app/groups/{g}/?events=2", None, "view_group_dashboard"),
    ("GET", "/app/groups/{g}/?requests=2&invitations=2", None, "view_group_dashboard"),
    # the dashboard's forms: the same rules as their JSON routes
    ("POST", "/app/groups/{g}/invite", {"handle": "outsider"}, "invite_member"),
    ("POST", "/app/groups/{g}/approve", {"member": "asker"}, "review_join_request"),
    ("POST", "/app/groups/{g}/reject", {"member": "asker"}, "review_join_request"),
    ("POST", "/app/groups/{g}/role", {"member": "victim", "role": "moderator"}, "change_role"),
    ("POST", "/app/groups/{g}/remove", {"member": "victim"}, "remove_member"),
    ("POST", "/app/groups/{g}/settings", SETTINGS_FORM, "edit_group"),
    ("POST", "/app/groups/{g}/images", {"slot": "avatar", "clear": "1"}, "upload_group_image"),
    ("POST", "/app/groups/{g}/leave", {}, LEAVE),
    ("GET", "/app/groups/new", None, LOGGED_IN),
    ("POST", "/app/groups/new", {"name": "fresh", "display_name": "Fresh", "visibility": "public",
                                 "openness": "open"}, LOGGED_IN),
    ("GET", "/app/remote-events?uri=https%3A%2F%2Fremote.example%2Fevents%2F1", None, LOGGED_IN),
    ("POST", "/app/remote-events/participate", {"uri": "https://remote.example/events/1"},
     LOGGED_IN),
]
REMOTE_EVENT = "https://remote.example/events/1"


def test_every_page_of_the_group_tools_is_walked() -> None:
    """The editors, posts, discussions, resources, activity and dashboard pages: each route is
    walked."""
    from functions.api.pages import discussions as discussion_pages
    from functions.api.pages import event_editor, members_posts
    from functions.api.pages import groups as group_pages
    from functions.api.pages import resources as resource_pages

    declared = {(method, rule) for module in (event_editor, members_posts, discussion_pages,
                                              resource_pages, group_pages)
                for rule, methods, *_ in module.router._routes
                for method in methods}
    names = {"g": "name", "event": "uuid", "private": "uuid", "draft": "uuid", "post": "slug",
             "members_post": "slug", "draft_post": "slug", "discussion": "discussion_id",
             "my_reply": "reply_id", "their_reply": "reply_id", "folder": "resource_id",
             "link": "resource_id"}

    def rule(path: str) -> str:
        for ours, theirs in names.items():
            path = path.replace("{" + ours + "}", f"<{theirs}>")
        return path.split("?", 1)[0]

    walked = {(method, rule(path)) for method, path, _, _ in EVENT_PAGES}
    assert declared - walked == set(), "pages missing from the permission walk"


# The dashboard's forms are for its members: whoever is not one (yet) is refused as the dashboard
# refuses them (its JSON route says 404 or 409: there is no membership to leave).
PAGE_LEAVE_REFUSED = {403}


def expected_page(rule: str, role: str) -> set[int]:
    ok = {200, 303}
    if role == "anonymous":
        return {303}  # to the login page
    if role == "suspended":
        return {403}
    if rule == LOGGED_IN:
        return ok
    if rule == LEAVE:  # as its JSON route: members leave, anyone else is told why not
        return ok if role in MEMBER_ROLES else PAGE_LEAVE_REFUSED
    if rule.startswith("read:"):
        return ok if allowed(_membership(role), rule[5:]) else {404}
    return ok if allowed(_membership(role), rule) else {403}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "form", "rule"), EVENT_PAGES,
                         ids=[f"{m} {p}" for m, p, _, _ in EVENT_PAGES])
def test_event_page_for_role(world: World, method: str, path: str, form: dict[str, str] | None,
                             rule: str, role: str) -> None:
    from urllib.parse import urlencode

    # Given a group where the caller has `role`, and their session's form token
    cookies: list[str] = []
    token = ""
    subject = None
    if role != "anonymous":
        subject = world.account(f"p{next(names)}")
        secret, session = open_session(world.ports, subject)
        cookies, token = [f"{cookie_name()}={secret}"], session.csrf_token
    in_world = world.group_with(subject or world.owner, role, following=False)
    target = path.format_map(in_world)  # made before the suspension, as the subject's comment
    if subject is not None and role == "suspended":
        world.ports.repo.commit(ChangeSet().put(subject.evolve(suspended=True)))
    # When the caller opens the page or posts its form
    body = urlencode({**form, "csrf": token}) if form is not None else None
    headers = {"content-type": "application/x-www-form-urlencoded"} if form is not None else None
    response = lambda_handler(http_event(method, target, body=body,
                                         headers=headers, cookies=cookies or None), None)
    # Then the status follows the permissions table
    assert response["statusCode"] in expected_page(rule, role), response.get("body", "")[:300]
    if role == "anonymous":
        assert response["headers"]["Location"].startswith("/app/login")


# --- the instance's moderation pages -----------------------------------------------------------
MODERATION_PAGES: list[tuple[str, str, dict[str, str] | None, str]] = [
    ("GET", "/app/moderation/reports", None, MOD),
    ("GET", "/app/moderation/reports/{report}", None, MOD),
    ("POST", "/app/moderation/reports/{report}/notes", {"text": "seen"}, MOD),
    ("POST", "/app/moderation/reports/{report}/decide", {"action": "close"}, MOD),
    ("POST", "/app/moderation/reports/{report}/hide", {"reason": "spam"}, MOD),
    ("POST", "/app/moderation/reports/{report}/restore", {"reason": "not spam"}, MOD),
    ("GET", "/app/moderation/audit", None, ADMIN),
]


@pytest.mark.parametrize("role", INSTANCE_ROLES)
@pytest.mark.parametrize(("method", "path", "form", "rule"), MODERATION_PAGES,
                         ids=[f"{m} {p}" for m, p, _, _ in MODERATION_PAGES])
def test_moderation_page_for_role(world: World, method: str, path: str,
                                  form: dict[str, str] | None, rule: str, role: str) -> None:
    from urllib.parse import urlencode

    # Given an open report about a fresh event, and a caller with an instance `role`
    cookies: list[str] = []
    token = ""
    if role != "anonymous":
        subject = world.account(f"m{next(names)}")
        subject = subject.evolve(role=role if role in {"moderator", "admin"} else "user",
                                 suspended=role == "suspended")
        world.ports.repo.commit(ChangeSet().put(subject))
        secret, session = open_session(world.ports, subject)
        cookies, token = [f"{cookie_name()}={secret}"], session.csrf_token
    event = world.group_with(world.owner, "non_member", following=False)["event"]
    filed = reports.file_report(world.ports, world._profile(world.owner), target_kind="event",
                                target_key=event, reason="spam")
    # When the caller opens the page or posts its form
    body = urlencode({**form, "csrf": token}) if form is not None else None
    headers = {"content-type": "application/x-www-form-urlencoded"} if form is not None else None
    response = lambda_handler(http_event(method, path.format(report=filed.id), body=body,
                                         headers=headers, cookies=cookies or None), None)
    # Then only moderators (reports) and administrators (everything) get in
    may = role == "admin" or (role == "moderator" and rule == MOD)
    want = {"anonymous": {303}, "suspended": {403}}.get(role, {200, 303} if may else {403})
    assert response["statusCode"] in want, response.get("body", "")[:300]


# --- instance administration (/api/mod, the moderation function) -------------------------------
# Every /api/mod route is for instance administrators: anonymous -> 401; a user, a moderator of
# the instance (administration is not theirs) or a suspended account -> 403; an administrator
# gets an answer about the request itself (2xx, or 404/409 for an id or a state), never 401/403.
MOD_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/mod/dashboard", None),
    ("GET", "/api/mod/instance", None),
    ("PATCH", "/api/mod/instance", {"description": "A small instance"}),
    ("GET", "/api/mod/accounts", None),
    ("GET", "/api/mod/accounts/{account}", None),
    ("PUT", "/api/mod/accounts/{account}/role", {"role": "user"}),
    ("POST", "/api/mod/accounts/{account}/suspend", {"reason": "test"}),
    ("POST", "/api/mod/accounts/{account}/restore", {}),
    ("POST", "/api/mod/accounts/{account}/confirmation", {}),
    ("GET", "/api/mod/profiles", None),
    ("POST", "/api/mod/profiles/{profile}/suspend", {}),
    ("POST", "/api/mod/profiles/{profile}/restore", {}),
    ("GET", "/api/mod/groups", None),
    ("POST", "/api/mod/groups/{group}/suspend", {}),
    ("POST", "/api/mod/groups/{group}/restore", {}),
    ("GET", "/api/mod/domains", None),
    ("POST", "/api/mod/domains/{which}", {"domain": "spam.example"}),
    ("DELETE", "/api/mod/domains/{which}/{domain}", None),
    ("PUT", "/api/mod/federation-mode", {"federation_mode": "open"}),
]
MOD_ROLES = ("anonymous", "user", "moderator", "suspended", "admin")


def _mod_caller(world: World, role: str) -> list[str]:
    if role == "anonymous":
        return []
    subject = accounts.signup(world.ports, email=f"m{next(names)}@example.org",
                              password="correct horse", username=f"m{next(names)}",
                              confirmed=True, role="admin" if role == "admin" else "user")
    assert subject is not None
    if role in {"moderator", "suspended"}:
        subject = subject.evolve(role="moderator", suspended=role == "suspended")
        world.ports.repo.commit(ChangeSet().put(subject))
    secret, _ = open_session(world.ports, subject)
    return [f"{cookie_name()}={secret}"]


@pytest.mark.parametrize("role", MOD_ROLES)
@pytest.mark.parametrize(("method", "path", "body"), MOD_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in MOD_ROUTES])
def test_mod_route_for_role(world: World, method: str, path: str, body: Any, role: str) -> None:
    from functions.moderation.handler import lambda_handler as moderation

    cookies = _mod_caller(world, role)
    target = world.account(f"t{next(names)}")
    fill = {"account": target.id, "profile": str(target.default_profile),
            "group": world.group_with(world.owner, "non_member", following=False)["g"]
            if "{group}" in path else "g0", "which": "silenced", "domain": "spam.example"}
    response = moderation(http_event(method, path.format(**fill), body=body,
                                     cookies=cookies or None), None)
    status = response["statusCode"]
    if role == "admin":
        assert status in range(200, 300) or status in {404, 409}, response.get("body")
    else:
        assert status == ({401} if role == "anonymous" else {403}).pop(), response.get("body")


# --- administrators' pages (/app/admin/): 303 to login when anonymous, 403 to anyone else but an
# administrator, who gets the page (200) or its redirect (303).
ADMIN_PAGES: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/app/admin/", None),
    ("GET", "/app/admin/deliveries", None),
    ("POST", "/app/admin/deliveries/replay", {}),
    ("GET", "/app/admin/failures", None),
    ("POST", "/app/admin/failures/replay", {"id": "none"}),
    ("GET", "/app/admin/accounts", None),
    ("POST", "/app/admin/accounts/{account}/suspend", {"reason": "test"}),
    ("POST", "/app/admin/accounts/{account}/role", {"role": "moderator"}),
    ("GET", "/app/admin/profiles", None),
    ("POST", "/app/admin/profiles/{profile}/suspend", {}),
    ("GET", "/app/admin/groups", None),
    ("POST", "/app/admin/groups/{group}/suspend", {}),
    ("GET", "/app/admin/settings", None),
    ("POST", "/app/admin/settings", {"name": "Neighbours", "group_creation": "anyone",
                                     "registration_mode": "open"}),
    ("GET", "/app/admin/domains", None),
    ("POST", "/app/admin/domains", {"domain": "spam.example", "list": "silenced"}),
]


@pytest.mark.parametrize("role", MOD_ROLES)
@pytest.mark.parametrize(("method", "path", "form"), ADMIN_PAGES,
                         ids=[f"{m} {p}" for m, p, _ in ADMIN_PAGES])
def test_admin_page_for_role(world: World, method: str, path: str, form: dict[str, str] | None,
                             role: str) -> None:
    from urllib.parse import urlencode

    from affiche.domain.model import Session
    from affiche.domain.rules import digest

    cookies = _mod_caller(world, role)
    token = ""
    if cookies:
        session = world.ports.repo.get(Session, digest(cookies[0].split("=", 1)[1]))
        token = session.csrf_token if session else ""
    target = world.account(f"t{next(names)}")
    fill = {"account": target.id, "profile": str(target.default_profile),
            "group": world.group_with(world.owner, "non_member", following=False)["g"]
            if "{group}" in path else "g0"}
    body = urlencode({**form, "csrf": token}) if form is not None else None
    headers = {"content-type": "application/x-www-form-urlencoded"} if form is not None else None
    response = lambda_handler(http_event(method, path.format(**fill), body=body, headers=headers,
                                         cookies=cookies or None), None)
    want = {"anonymous": {303}, "admin": {200, 303}}.get(role, {403})
    assert response["statusCode"] in want, response.get("body", "")[:300]
