"""Stepping the participation state graph (affiche/domain/participation.py), one transition at a
time, through the domain services and a DynamoDB table (moto).

Each test: Given an event and someone in some state, When one service runs, Then the stored role,
the event's participant_count and the recorded Activity are what the graph promises. Refused
transitions change nothing. Also: the graph checker, bounded retries, and a full event answering
without retrying."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import reset_clients
from affiche.config import reset_settings
from affiche.domain import accounts, anonymous_participation, events, groups, participation, retry
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from affiche.domain.model import Activity, Actor, Event, InstanceSettings, Participation
from affiche.domain.participation import TRANSITIONS, check_graph
from affiche.domain.ports import ChangeSet
from affiche.publish import artifacts
from affiche.store.repository import DynamoRepository
from affiche.store.table import bind, create_table
from affiche.web.passwords import Argon2Hasher


class FakeKeys:
    def generate(self) -> tuple[str, str]:
        return "public-pem", "private-pem"


@dataclass
class Mailbox:
    """The Mailer port, keeping what it sends (the anonymous links are read from it)."""

    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def send(self, to: str, template: str, context: dict[str, Any]) -> None:
        self.sent.append((to, template, context))


@pytest.fixture(scope="module")
def moto_for_module() -> Iterator[None]:
    from moto import mock_aws

    patch = pytest.MonkeyPatch()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1", "AFFICHE_MAIL_MODE": "maildir",
                        "AFFICHE_PUBLIC_URL": "https://affiche.test"}.items():
        patch.setenv(name, value)
    patch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_settings()
    reset_clients()
    with mock_aws():
        yield
    patch.undo()
    reset_settings()
    reset_clients()


@pytest.fixture
def ports(moto_for_module: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          cheap_crypto: None) -> Ports:
    monkeypatch.setenv("AFFICHE_MAIL_DIR", str(tmp_path / "mail"))
    reset_settings()
    model = bind()
    if model.exists():
        model.delete_table()
    create_table()
    return Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=FakeKeys(),
                 mailer=Mailbox())


def profile_of(ports: Ports, name: str) -> Actor:
    accounts.signup(ports, email=f"{name}@example.org", password="correct horse", username=name,
                    confirmed=True)
    found = ports.repo.get(Actor, name)
    assert found is not None
    return found


@dataclass
class World:
    ports: Ports
    ann: Actor  # the group's creator: an organiser
    bob: Actor
    uuid: str

    def role(self, who: str = "bob") -> str | None:
        found = participation.participation_of(self.ports, self.uuid, who)
        return found.role if found else None

    def count(self) -> int:
        event = self.ports.repo.get(Event, self.uuid)
        assert event is not None
        return event.participant_count

    def activities(self) -> list[Activity]:
        repo = self.ports.repo
        assert isinstance(repo, DynamoRepository)
        found = [a for a in repo.all_of_kind("activity") if a.object_kind == "participation"]
        return sorted(found, key=lambda a: a.published)

    def anonymous(self) -> str:
        found = [p for p in self.ports.repo.participations_of_event(self.uuid)
                 if p.participant.startswith("anon:")]
        return found[0].participant if found else ""

    def link(self, kind: str) -> str:
        from affiche.notify import outgoing
        from affiche.store import outgoing_mail
        from affiche.store.mail_ledger import MailLedger

        mailbox = self.ports.mailer
        assert isinstance(mailbox, Mailbox)
        for mail in outgoing_mail.pending():  # what the outbox sends from the change stream
            outgoing.send(mail, repo=self.ports.repo, mailer=mailbox, ledger=MailLedger(),
                          now=self.ports.clock.now())
        context = [c for _, t, c in mailbox.sent if t == "participation_confirm"][-1]
        secret: str = context[kind]
        return secret


def world(ports: Ports, join_mode: str = "free", capacity: int | None = None) -> World:
    from affiche.domain.model import Account

    ann, bob = profile_of(ports, "ann"), profile_of(ports, "bob")
    owner = ports.repo.get(Account, str(ann.account_id))
    assert owner is not None
    groups.create_group(ports, owner, name="club", display_name="The Club", openness="open")
    event = events.create_event(ports, owner, "club", events.EventInput(
        title="Picnic", begins_on="2031-06-01T12:00", ends_on="2031-06-01T15:00",
        timezone="Europe/Paris", join_mode=join_mode, capacity=capacity))
    # Anonymous participation: allowed by the instance and by this event.
    ports.repo.commit(ChangeSet().put(event.evolve(anonymous_participation=True),
                                      InstanceSettings(anonymous_participation=True)))
    return World(ports, ann, bob, event.uuid)


# --- the graph ----------------------------------------------------------------------------------

def test_the_graph_has_one_start_and_every_state_is_reachable() -> None:
    check_graph(TRANSITIONS)
    with pytest.raises(AssertionError, match="unreachable"):
        check_graph({**TRANSITIONS, ("limbo", "leave"): None})
    assert {after for after in TRANSITIONS.values() if after} == set(participation.STATES)


def _join(w: World) -> None:
    participation.join_event(w.ports, w.bob, w.uuid)


def _register(w: World) -> None:
    anonymous_participation.register(w.ports, w.uuid, email="vis@example.org", name="Vis")


# (join mode, how to get there, the transition, who, role after, count after, activity type)
STEPS: list[tuple[str, list[Callable[[World], Any]], Callable[[World], Any], str | None, int,
                  str]] = [
    ("free", [], _join, "participant", 1, "Join"),
    ("restricted", [], _join, "not_approved", 0, "Join"),
    ("free", [], _register, "not_confirmed", 0, "Join"),
    ("free", [_register], lambda w: anonymous_participation.confirm(w.ports, w.link("token")),
     "participant", 1, "Join"),
    ("restricted", [_register],
     lambda w: anonymous_participation.confirm(w.ports, w.link("token")), "not_approved", 0,
     "Join"),
    ("restricted", [_join],
     lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob", True),
     "participant", 1, "Accept"),
    ("restricted", [_join],
     lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob", False),
     "rejected", 0, "Reject"),
    ("restricted", [_join, lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob",
                                                                  False)],
     lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob", True),
     "participant", 1, "Accept"),
    ("free", [_join], lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob", False),
     "rejected", 0, "Reject"),
    ("free", [_join], lambda w: participation.leave_event(w.ports, w.bob, w.uuid), None, 0,
     "Leave"),
    ("restricted", [_join], lambda w: participation.leave_event(w.ports, w.bob, w.uuid), None, 0,
     "Leave"),
    ("free", [_register], lambda w: anonymous_participation.cancel(w.ports, w.link("cancel_token")),
     None, 0, "Leave"),
    ("invite", [], lambda w: participation.invite_to_event(w.ports, w.ann, w.uuid, "@bob"),
     "invited", 0, "Invite"),
    ("invite", [lambda w: participation.invite_to_event(w.ports, w.ann, w.uuid, "bob")], _join,
     "participant", 1, "Join"),
    ("restricted", [lambda w: participation.invite_to_event(w.ports, w.ann, w.uuid, "bob")],
     _join, "participant", 1, "Join"),
    ("invite", [lambda w: participation.invite_to_event(w.ports, w.ann, w.uuid, "bob")],
     lambda w: participation.leave_event(w.ports, w.bob, w.uuid), None, 0, "Leave"),
]


@pytest.mark.parametrize(("mode", "given", "when", "after", "count", "activity"), STEPS,
                         ids=[f"{i}" for i in range(len(STEPS))])
def test_each_transition(ports: Ports, mode: str, given: list[Callable[[World], Any]],
                         when: Callable[[World], Any], after: str | None, count: int,
                         activity: str) -> None:
    # Given an event and someone in the state before
    w = world(ports, mode)
    for step in given:
        step(w)
    anonymous = when is _register or _register in given
    # When the transition runs
    when(w)
    # Then the role, the count and the private activity are what the graph promises
    name = w.anonymous() if anonymous else "bob"
    assert (w.role(name) if name else None, w.count()) == (after, count)
    last = w.activities()[-1]
    assert (last.type, last.audience, last.target) == (activity, "private", "club")
    assert "email" not in last.object
    assert ("event", w.uuid) in artifacts.touched_by(last)
    assert ("actor", "club") in artifacts.touched_by(last)


@pytest.mark.parametrize(("mode", "given", "when", "error", "message"), [
    ("free", [_join], _join, Conflict, "@bob already takes part in “Picnic”"),
    ("restricted", [_join], _join, Conflict, "@bob has already asked to take part"),
    ("restricted", [_join, lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob",
                                                                  False)],
     _join, Conflict, "@bob was refused by the organisers"),
    ("free", [], lambda w: participation.leave_event(w.ports, w.bob, w.uuid), NotFound,
     "@bob does not take part in “Picnic”"),
    ("free", [], lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob", True),
     NotFound, "@bob has not asked to take part"),
    ("free", [_join], lambda w: participation.answer_request(w.ports, w.ann, w.uuid, "bob", True),
     Conflict, "@bob already takes part"),
    ("free", [_register], _register, Conflict, "already has a participation"),
    ("invite", [], _join, PermissionDenied, "is by invitation"),
    ("free", [_join], lambda w: participation.invite_to_event(w.ports, w.ann, w.uuid, "bob"),
     Conflict, "@bob already takes part"),
    ("free", [], lambda w: participation.invite_to_event(w.ports, w.bob, w.uuid, "ann"),
     PermissionDenied, "only a group moderator or above"),
    ("free", [], lambda w: participation.invite_to_event(w.ports, w.ann, w.uuid, "nobody"),
     NotFound, "no profile @nobody"),
])
def test_refused_transitions_change_nothing(ports: Ports, mode: str,
                                            given: list[Callable[[World], Any]],
                                            when: Callable[[World], Any],
                                            error: type[DomainError], message: str) -> None:
    w = world(ports, mode)
    for step in given:
        step(w)
    before = (w.role(), w.count(), len(w.activities()))
    with pytest.raises(error, match=message):
        when(w)
    assert (w.role(), w.count(), len(w.activities())) == before


def test_only_organisers_answer(ports: Ports) -> None:
    w = world(ports, "restricted")
    _join(w)
    carol = profile_of(ports, "carol")
    with pytest.raises(PermissionDenied, match="only a group moderator or above"):
        participation.answer_request(ports, carol, w.uuid, "bob", True)
    assert w.role() == "not_approved"


# --- capacity and retries ------------------------------------------------------------------------

class CountingRepository:
    """The DynamoDB repository, with `commit` counted and, when asked, always losing the race."""

    def __init__(self, inner: DynamoRepository, *, always_conflict: bool = False) -> None:
        self.inner = inner
        self.commits = 0
        self.always_conflict = always_conflict

    def commit(self, changes: ChangeSet) -> None:
        self.commits += 1
        if self.always_conflict:
            raise Conflict("this event was changed by someone else at the same time")
        self.inner.commit(changes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_full_event_answers_at_once_without_retrying(ports: Ports) -> None:
    w = world(ports, capacity=1)
    _join(w)
    counting = CountingRepository(DynamoRepository())
    carol = profile_of(ports, "carol")
    crowded = Ports(repo=counting, hasher=ports.hasher, keys=ports.keys,  # type: ignore[arg-type]
                    mailer=ports.mailer)
    with pytest.raises(participation.EventFull, match="is full"):
        participation.join_event(crowded, carol, w.uuid)
    assert counting.commits == 0 and w.count() == 1


def test_retries_are_bounded_and_end_in_a_clean_conflict(ports: Ports,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    w = world(ports)
    monkeypatch.setattr(participation, "back_off", lambda attempt: None)
    losing = CountingRepository(DynamoRepository(), always_conflict=True)
    busy = Ports(repo=losing, hasher=ports.hasher, keys=ports.keys,  # type: ignore[arg-type]
                 mailer=ports.mailer)
    with pytest.raises(Conflict, match="too many people are answering this event"):
        participation.join_event(busy, w.bob, w.uuid)
    assert losing.commits == participation.ATTEMPTS and w.count() == 0
    assert retry.ATTEMPTS <= participation.ATTEMPTS  # joins are worth a few more tries


def test_joining_a_full_event_twice_says_already(ports: Ports) -> None:
    w = world(ports, capacity=1)
    _join(w)
    with pytest.raises(Conflict, match="@bob already takes part"):
        _join(w)


def test_leaving_frees_the_place_for_someone_else(ports: Ports) -> None:
    w = world(ports, capacity=1)
    _join(w)
    carol = profile_of(ports, "carol")
    participation.leave_event(ports, w.bob, w.uuid)
    participation.join_event(ports, carol, w.uuid)
    assert (w.role("carol"), w.count()) == ("participant", 1)
    assert ports.repo.get(Participation, f"{w.uuid}|bob") is None


def test_remote_people_take_part_by_their_actor_id(ports: Ports) -> None:
    # A remote person is an Actor keyed by its ActivityPub id (the inbox resolves it)
    w = world(ports, capacity=2)
    from datetime import UTC, datetime

    remote = Actor(name="https://mobilizon.example/@zoe", type="Person", display_name="Zoé",
                   created_at=datetime.now(UTC))
    joined = participation.join_event(ports, remote, w.uuid, message="Hi")
    assert (joined.participant, w.role(remote.name), w.count()) == (
        remote.name, "participant", 1)
    with pytest.raises(Conflict, match=r"https://mobilizon\.example/@zoe already takes part"):
        participation.join_event(ports, remote, w.uuid)
    participation.leave_event(ports, remote, w.uuid)
    assert (w.role(remote.name), w.count()) == (None, 0)


def test_a_deleted_event_cannot_be_joined_nor_left(ports: Ports) -> None:
    w = world(ports)
    _join(w)
    event = ports.repo.get(Event, w.uuid)
    assert event is not None
    ports.repo.commit(ChangeSet().put(event.evolve(deleted=True)))
    with pytest.raises(NotFound, match=f"no event {w.uuid}"):
        participation.join_event(ports, profile_of(ports, "carol"), w.uuid)
    with pytest.raises(NotFound, match=f"no event {w.uuid}"):
        participation.leave_event(ports, w.bob, w.uuid)
