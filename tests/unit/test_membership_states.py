"""Stepping the membership state graph (affiche/domain/membership.py) one transition at a time,
and the follow flow (affiche/domain/follows.py).

Each test: Given a group and people in some state, When one service runs, Then the stored role,
the group's member_count, the recorded Activity and the email to the person concerned are what
the graph promises. Refused transitions change nothing at all. Runs on moto (see `aws` below)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import reset_clients
from affiche.config import reset_settings
from affiche.domain import accounts, events, follows, groups, membership, retry
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from affiche.domain.membership import TRANSITIONS
from affiche.domain.model import Account, Activity, Actor, Membership
from affiche.mail import mailer, read_maildir
from affiche.notify import notify
from affiche.publish import artifacts
from affiche.store.mail_ledger import MailLedger
from affiche.store.repository import DynamoRepository
from affiche.store.table import bind, create_table
from affiche.web.passwords import Argon2Hasher


class FakeKeys:
    """RSA generation costs ~0.1 s a profile; these tests never sign anything."""

    def generate(self) -> tuple[str, str]:
        return "public-pem", "private-pem"


@pytest.fixture(scope="module")
def moto_for_module() -> Iterator[None]:
    """One moto mock for the module, like conftest's `aws` but started once: building boto3
    sessions and clients per test costs most of a second, ten times what these steps cost."""
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
def aws(moto_for_module: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This module's stand-in for conftest's `aws`: the same table, freshly created per test,
    and a fresh maildir."""
    monkeypatch.setenv("AFFICHE_MAIL_DIR", str(tmp_path / "mail"))
    reset_settings()
    model = bind()
    if model.exists():
        model.delete_table()
    create_table()
    return tmp_path


@pytest.fixture
def ports(aws: Path, cheap_crypto: None) -> Ports:
    return Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=FakeKeys(), mailer=mailer())


@pytest.fixture
def ann(ports: Ports) -> Account:
    return person(ports, "ann")


@pytest.fixture
def bob(ports: Ports) -> Account:
    return person(ports, "bob")


def person(ports: Ports, name: str) -> Account:
    return accounts.signup(ports, email=f"{name}@example.org", password="correct horse",
                           username=name, confirmed=True)


def club(ports: Ports, owner: Account, openness: str = "moderated") -> Actor:
    return groups.create_group(ports, owner, name="club", display_name="The Club",
                               openness=openness)



# --- what the tests look at ----------------------------------------------------------------------

def role(ports: Ports, member: str, group: str = "club") -> str | None:
    found = ports.repo.get(Membership, f"{group}|{member}")
    return found.role if found else None


def count(ports: Ports, group: str = "club") -> int:
    found = ports.repo.get(Actor, group)
    assert found is not None
    return found.member_count


def membership_activities(ports: Ports) -> list[Activity]:
    repo = ports.repo
    assert isinstance(repo, DynamoRepository)
    found = [a for a in repo.all_of_kind("activity") if a.object_kind == "membership"]
    return sorted(found, key=lambda a: a.published)


def last_activity(ports: Ports) -> Activity:
    return membership_activities(ports)[-1]


def consume_activities() -> None:
    """What the change stream's consumer does after each commit: send the mails the recorded
    activities cause (affiche/notify). The ledger makes a second pass over them send nothing."""
    repo = DynamoRepository()
    for activity in sorted(repo.all_of_kind("activity"), key=lambda a: a.published):
        notify(activity, repo=repo, mailer=mailer(), ledger=MailLedger())


def mails(aws: Path, to: str) -> list[tuple[str, str]]:
    """(subject, body) of the messages sent to `to`, newest first."""
    consume_activities()
    return [(str(m["Subject"]), m.get_content()) for _, m in read_maildir(str(aws / "mail"))
            if m["To"] == to]


def mail_count(aws: Path) -> int:
    consume_activities()
    return len(read_maildir(str(aws / "mail")))


def assert_activity(activity: Activity, type_: str, actor: str, audience: str,
                    role_in_object: str | None = None) -> None:
    assert (activity.type, activity.actor, activity.audience) == (type_, actor, audience)
    assert activity.object_kind == "membership" and activity.target == "club"
    assert ("actor", "club") in artifacts.touched_by(activity)  # the group's page re-renders
    if role_in_object:
        assert activity.object["role"] == role_in_object


def snapshot(ports: Ports, aws: Path) -> tuple[Any, ...]:
    """Everything a refused transition must leave alone."""
    repo = ports.repo
    assert isinstance(repo, DynamoRepository)
    items = sorted((m.key, m.role, m.version) for m in repo.memberships_of_group("club"))
    return tuple(items), count(ports), len(membership_activities(ports)), mail_count(aws)


# --- getting someone into a state ----------------------------------------------------------------

def invited(ports: Ports, ann: Account, who: str = "bob") -> None:
    membership.invite(ports, ann, "club", who)


def as_member(ports: Ports, ann: Account, account: Account, name: str, role_: str) -> None:
    invited(ports, ann, name)
    membership.accept_invitation(ports, account, "club")
    if role_ != "member":
        membership.change_role(ports, ann, "club", name, role_)


COVERED: set[tuple[str | None, str]] = set()


def covers(*transitions: tuple[str | None, str]) -> Callable[[Any], Any]:
    """Mark a test as stepping these transitions; the graph must be covered in full."""
    COVERED.update(transitions)
    return lambda test: test


# --- invitations ---------------------------------------------------------------------------------

@covers((None, "invite"))
def test_an_administrator_invites_a_local_person(ports: Ports, aws: Path, ann: Account,
                                                 bob: Account) -> None:
    # Given ann's group
    club(ports, ann)
    # When ann invites bob
    result = membership.invite(ports, ann, "club", "@bob")
    # Then bob is "invited", not yet counted, the Invite is for members, and bob got a mail
    assert result.role == role(ports, "bob") == "invited" and result.invited_by == "ann"
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Invite", "ann", "members", "invited")
    (subject, body), = mails(aws, "bob@example.org")
    assert "invited to join The Club" in subject
    assert "https://affiche.test/app/groups/club/" in body


def test_a_remote_invitee_is_stored_with_a_normalised_address_and_gets_no_mail(
        ports: Ports, aws: Path, ann: Account) -> None:
    club(ports, ann)
    before = mail_count(aws)
    # (WebFinger and the actor document answer with the actor id: one key per person)
    ids = {"@zoe@mastodon.example": "https://mastodon.example/users/zoe",
           "https://gancio.example/users/max": "https://gancio.example/users/max"}
    asked: list[str] = []

    def resolve(handle: str) -> str:
        asked.append(handle)
        return ids[handle]

    membership.invite(ports, ann, "club", "@Zoe@Mastodon.Example", resolve_remote=resolve)
    membership.invite(ports, ann, "club", "https://gancio.example/users/max",
                      resolve_remote=resolve)
    assert asked == ["@zoe@mastodon.example", "https://gancio.example/users/max"]
    assert role(ports, "https://mastodon.example/users/zoe") == "invited"
    assert role(ports, "https://gancio.example/users/max") == "invited"
    assert mail_count(aws) == before
    # our own host is recognised, and nonsense is refused with the field named
    with pytest.raises(NotFound, match="no profile @nobody"):
        membership.invite(ports, ann, "club", "@nobody@affiche.test", home_host="affiche.test")
    with pytest.raises(InvalidInput, match="handle must be"):
        membership.invite(ports, ann, "club", "@zoe@not a host", resolve_remote=resolve)


@covers(("rejected", "invite"))
def test_a_refused_person_can_still_be_invited(ports: Ports, aws: Path, ann: Account,
                                               bob: Account) -> None:
    # Given bob's join request was rejected
    club(ports, ann)
    membership.request_to_join(ports, bob, "club")
    membership.reject_request(ports, ann, "club", "bob")
    # When ann invites him after all
    membership.invite(ports, ann, "club", "bob")
    # Then he is invited, and told so
    assert role(ports, "bob") == "invited"
    assert_activity(last_activity(ports), "Invite", "ann", "members")
    assert "invited" in mails(aws, "bob@example.org")[0][0]


@covers(("invited", "accept"))
def test_the_invitee_accepts(ports: Ports, aws: Path, ann: Account, bob: Account) -> None:
    club(ports, ann)
    invited(ports, ann)
    # When bob accepts
    result = membership.accept_invitation(ports, bob, "club")
    # Then he is a member, counted (the Accept re-renders the group's page), and ann is told
    assert result.role == role(ports, "bob") == "member"
    assert count(ports) == 2
    assert_activity(last_activity(ports), "Accept", "bob", "members", "member")
    assert "@bob joined The Club" in mails(aws, "ann@example.org")[0][0]


@covers(("invited", "decline"))
def test_the_invitee_declines_and_the_invitation_is_deleted(ports: Ports, aws: Path,
                                                            ann: Account, bob: Account) -> None:
    club(ports, ann)
    invited(ports, ann)
    # When bob declines
    membership.decline_invitation(ports, bob, "club")
    # Then no membership is left, the count is unchanged, and ann is told
    assert role(ports, "bob") is None
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Reject", "bob", "members", "invited")
    assert "declined the invitation" in mails(aws, "ann@example.org")[0][0]


# --- join requests -------------------------------------------------------------------------------

@covers((None, "join"))
def test_joining_an_open_group_makes_a_member_at_once(ports: Ports, aws: Path, ann: Account,
                                                      bob: Account) -> None:
    club(ports, ann, openness="open")
    result = membership.request_to_join(ports, bob, "club", "hello")
    assert result.role == role(ports, "bob") == "member"
    assert count(ports) == 2
    assert_activity(last_activity(ports), "Join", "bob", "members", "member")
    assert "Welcome to The Club" in mails(aws, "bob@example.org")[0][0]


@covers((None, "request"))
def test_asking_to_join_a_moderated_group_waits_for_approval(ports: Ports, aws: Path,
                                                             ann: Account, bob: Account) -> None:
    club(ports, ann, openness="moderated")
    result = membership.request_to_join(ports, bob, "club", "I bake cakes")
    assert result.role == role(ports, "bob") == "not_approved"
    assert result.message == "I bake cakes"
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Join", "bob", "members", "not_approved")
    # the administrators are asked, with the message
    (subject, body), = mails(aws, "ann@example.org")
    assert "@bob asks to join The Club" in subject and "I bake cakes" in body


@covers(("not_approved", "approve"))
def test_an_administrator_approves_a_request(ports: Ports, aws: Path, ann: Account,
                                             bob: Account) -> None:
    club(ports, ann)
    membership.request_to_join(ports, bob, "club")
    result = membership.approve_request(ports, ann, "club", "bob")
    assert result.role == role(ports, "bob") == "member"
    assert count(ports) == 2
    assert_activity(last_activity(ports), "Accept", "club", "members", "member")
    assert "You are now a member of The Club" in mails(aws, "bob@example.org")[0][0]


@covers(("not_approved", "reject"))
def test_an_administrator_rejects_a_request(ports: Ports, aws: Path, ann: Account,
                                            bob: Account) -> None:
    club(ports, ann)
    membership.request_to_join(ports, bob, "club")
    result = membership.reject_request(ports, ann, "club", "bob")
    assert result.role == role(ports, "bob") == "rejected"
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Reject", "club", "members", "rejected")
    assert "was declined" in mails(aws, "bob@example.org")[0][0]


# --- roles ---------------------------------------------------------------------------------------

ROLE_CHANGES = [(before, after) for (before, action), after in TRANSITIONS.items()
                if action.startswith("make_")]


@covers(*[(before, f"make_{after}") for before, after in ROLE_CHANGES])
@pytest.mark.parametrize(("before", "after"), ROLE_CHANGES)
def test_an_administrator_changes_a_role(ports: Ports, aws: Path, ann: Account, bob: Account,
                                         before: str, after: str) -> None:
    club(ports, ann)
    as_member(ports, ann, bob, "bob", before)
    version = ports.repo.get(Actor, "club").version  # type: ignore[union-attr]
    result = membership.change_role(ports, ann, "club", "bob", after)
    assert result.role == role(ports, "bob") == after
    assert count(ports) == 2
    # the group's version moves too: concurrent role changes cannot both pass the admin check
    assert ports.repo.get(Actor, "club").version == version + 1  # type: ignore[union-attr]
    assert_activity(last_activity(ports), "Update", "club", "members", after)
    assert f"is now {after}" in mails(aws, "bob@example.org")[0][0]


# --- leaving and removal -------------------------------------------------------------------------

@covers(*[(r, "leave") for r in ("member", "moderator", "administrator")])
@pytest.mark.parametrize("current", ["member", "moderator", "administrator"])
def test_a_member_leaves(ports: Ports, aws: Path, ann: Account, bob: Account,
                         current: str) -> None:
    club(ports, ann)
    as_member(ports, ann, bob, "bob", current)
    membership.leave(ports, bob, "club")
    assert role(ports, "bob") is None
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Leave", "bob", "members", current)
    assert "You left The Club" in mails(aws, "bob@example.org")[0][0]


@covers(("creator", "leave"))
def test_the_creator_leaves_once_another_administrator_exists(ports: Ports, aws: Path,
                                                              ann: Account, bob: Account) -> None:
    club(ports, ann)
    as_member(ports, ann, bob, "bob", "administrator")
    membership.leave(ports, ann, "club")
    assert role(ports, "ann") is None and role(ports, "bob") == "administrator"
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Leave", "ann", "members", "creator")
    assert "You left The Club" in mails(aws, "ann@example.org")[0][0]


@covers(*[(r, "remove") for r in ("member", "moderator", "administrator")])
@pytest.mark.parametrize("current", ["member", "moderator", "administrator"])
def test_an_administrator_removes_a_member(ports: Ports, aws: Path, ann: Account, bob: Account,
                                           current: str) -> None:
    club(ports, ann)
    as_member(ports, ann, bob, "bob", current)
    membership.remove_member(ports, ann, "club", "bob")
    assert role(ports, "bob") is None
    assert count(ports) == 1
    assert_activity(last_activity(ports), "Remove", "club", "members", current)
    assert "You were removed from The Club" in mails(aws, "bob@example.org")[0][0]


def test_every_transition_of_the_graph_has_its_test() -> None:
    assert set(TRANSITIONS) == COVERED


# --- refused transitions change nothing ----------------------------------------------------------

def refused(ports: Ports, aws: Path, error: type[Exception], message: str,
            action: Callable[[], object]) -> None:
    before = snapshot(ports, aws)
    with pytest.raises(error, match=message):
        action()
    assert snapshot(ports, aws) == before


def test_an_invite_only_group_refuses_join_requests(ports: Ports, aws: Path, ann: Account,
                                                    bob: Account) -> None:
    club(ports, ann, openness="invite_only")
    refused(ports, aws, PermissionDenied, "this group only accepts members by invitation",
            lambda: membership.request_to_join(ports, bob, "club"))


def test_the_last_administrator_cannot_leave(ports: Ports, aws: Path, ann: Account,
                                             bob: Account) -> None:
    club(ports, ann)
    as_member(ports, ann, bob, "bob", "moderator")
    refused(ports, aws, PermissionDenied, "last administrator of @club: appoint another",
            lambda: membership.leave(ports, ann, "club"))


def test_the_last_administrator_cannot_be_demoted(ports: Ports, aws: Path, ann: Account,
                                                  bob: Account) -> None:
    # Given bob is the only administrator left (ann, the creator, has gone)
    club(ports, ann)
    as_member(ports, ann, bob, "bob", "administrator")
    membership.leave(ports, ann, "club")
    # Then bob cannot make himself a moderator
    refused(ports, aws, PermissionDenied, "@bob is the last administrator of @club",
            lambda: membership.change_role(ports, bob, "club", "bob", "moderator"))


def test_the_creator_cannot_be_removed_or_demoted_and_nobody_removes_themselves(
        ports: Ports, aws: Path, ann: Account, bob: Account) -> None:
    # (Removing the *last* administrator cannot happen: the remover must be another one, so the
    # creator, always an administrator, is what protects the group here.)
    club(ports, ann)
    as_member(ports, ann, bob, "bob", "administrator")
    refused(ports, aws, PermissionDenied, "@ann created @club: nobody else can remove them",
            lambda: membership.remove_member(ports, bob, "club", "ann"))
    refused(ports, aws, PermissionDenied, "nobody else can remove them or change their role",
            lambda: membership.change_role(ports, bob, "club", "ann", "member"))
    refused(ports, aws, PermissionDenied, "you cannot remove yourself; leave the group",
            lambda: membership.remove_member(ports, ann, "club", "ann"))


def test_only_administrators_review_requests_and_change_roles(ports: Ports, aws: Path,
                                                             ann: Account, bob: Account) -> None:
    club(ports, ann)
    as_member(ports, ann, bob, "bob", "moderator")
    cid = person(ports, "cid")
    membership.request_to_join(ports, cid, "club")
    refused(ports, aws, PermissionDenied, "only a group administrator or above can approve",
            lambda: membership.approve_request(ports, bob, "club", "cid"))
    refused(ports, aws, PermissionDenied, "only a group administrator or above can change",
            lambda: membership.change_role(ports, bob, "club", "bob", "administrator"))
    refused(ports, aws, PermissionDenied, "only a group administrator or above can invite",
            lambda: membership.invite(ports, bob, "club", "ann"))


def test_double_invitations_and_requests_are_conflicts(ports: Ports, aws: Path, ann: Account,
                                                       bob: Account) -> None:
    club(ports, ann)
    invited(ports, ann)
    refused(ports, aws, Conflict, "@bob is already invited to @club$",
            lambda: membership.invite(ports, ann, "club", "bob"))
    refused(ports, aws, Conflict, "accept the invitation instead",
            lambda: membership.request_to_join(ports, bob, "club"))
    membership.accept_invitation(ports, bob, "club")
    refused(ports, aws, Conflict, "@bob is already a member of @club",
            lambda: membership.invite(ports, ann, "club", "bob"))
    refused(ports, aws, Conflict, "@bob is already a member of @club",
            lambda: membership.approve_request(ports, ann, "club", "bob"))
    refused(ports, aws, Conflict, "@bob is already a member",
            lambda: membership.change_role(ports, ann, "club", "bob", "member"))


def test_a_rejected_person_cannot_ask_again_and_answers_need_an_invitation(
        ports: Ports, aws: Path, ann: Account, bob: Account) -> None:
    club(ports, ann)
    membership.request_to_join(ports, bob, "club")
    membership.reject_request(ports, ann, "club", "bob")
    refused(ports, aws, Conflict, "@bob was refused by @club; only an invitation",
            lambda: membership.request_to_join(ports, bob, "club"))
    refused(ports, aws, Conflict, "@bob was refused by @club",
            lambda: membership.accept_invitation(ports, bob, "club"))
    cid = person(ports, "cid")
    refused(ports, aws, NotFound, "@cid has no invitation to join @club",
            lambda: membership.accept_invitation(ports, cid, "club"))
    refused(ports, aws, NotFound, "@cid is not a member of @club",
            lambda: membership.leave(ports, cid, "club"))


# --- concurrency ---------------------------------------------------------------------------------

class RacingRepo:
    """The real repository, except that `meanwhile` runs just before each of the first
    `races` commits: another request that read the same group and committed first."""

    def __init__(self, repo: DynamoRepository, meanwhile: Callable[[], object],
                 races: int = 1) -> None:
        self.repo, self.meanwhile, self.races, self.commits = repo, meanwhile, races, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repo, name)

    def commit(self, changes: Any) -> None:
        self.commits += 1
        if self.commits <= self.races:
            self.meanwhile()
        self.repo.commit(changes)


def test_two_approvals_racing_on_one_group_keep_the_count_exact(ports: Ports, ann: Account,
                                                                bob: Account) -> None:
    # Given bob and cid both asked to join
    club(ports, ann)
    cid = person(ports, "cid")
    membership.request_to_join(ports, bob, "club")
    membership.request_to_join(ports, cid, "club")
    # When approving bob reads the group, then cid's approval commits, then bob's commits
    racing = RacingRepo(DynamoRepository(),
                        lambda: membership.approve_request(ports, ann, "club", "cid"))
    slow = Ports(repo=racing, hasher=ports.hasher, keys=ports.keys,  # type: ignore[arg-type]
                 mailer=ports.mailer)
    membership.approve_request(slow, ann, "club", "bob")
    # Then bob's commit did not clash with cid's (counts are tallied, ports.Tally), and both count
    assert racing.commits == 1
    assert (role(ports, "bob"), role(ports, "cid"), count(ports)) == ("member", "member", 3)


def test_two_administrators_leaving_at_once_leave_one_behind(ports: Ports, ann: Account,
                                                              bob: Account) -> None:
    # Given ann (the creator) and bob are the group's two administrators
    club(ports, ann)
    as_member(ports, ann, bob, "bob", "administrator")
    # When bob's leave reads the group (two administrators), then ann leaves, then bob commits
    racing = RacingRepo(DynamoRepository(), lambda: membership.leave(ports, ann, "club"))
    slow = Ports(repo=racing, hasher=ports.hasher, keys=ports.keys,  # type: ignore[arg-type]
                 mailer=ports.mailer)
    # Then bob's commit lost the race (an administrator leaving bumps the group's version, which
    # a tally alone would not), and the fresh read refuses: bob is the last administrator now
    with pytest.raises(PermissionDenied, match="last administrator"):
        membership.leave(slow, bob, "club")
    assert racing.commits == 1
    assert (role(ports, "ann"), role(ports, "bob"), count(ports)) == (None, "administrator", 1)


class AtomicRequests:
    """The real repository with each call made atomic, as DynamoDB makes each request.

    moto's in-process backend has no lock (its transact_write_items even restores a deep copy
    of the table when a condition fails, undoing a concurrent commit), so threads sharing it
    must take turns per request. Each thread's first commit also waits for the other thread's:
    both have read the group by then, so exactly one of the two commits must lose the race."""

    def __init__(self, repo: DynamoRepository, threads: int) -> None:
        self.repo, self.lock, self.commits = repo, threading.Lock(), 0
        self.both_read = threading.Barrier(threads, timeout=10)
        self.seen = threading.local()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.repo, name)

        def atomic(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                return method(*args, **kwargs)

        return atomic

    def commit(self, changes: Any) -> None:
        if not getattr(self.seen, "committed", False):
            self.seen.committed = True
            self.both_read.wait()
        with self.lock:
            self.commits += 1
            self.repo.commit(changes)


def test_two_accepts_in_threads_keep_the_count_exact(ports: Ports, ann: Account,
                                                     bob: Account) -> None:
    # Given bob and cid are both invited
    club(ports, ann)
    cid = person(ports, "cid")
    invited(ports, ann, "bob")
    invited(ports, ann, "cid")
    shared = AtomicRequests(DynamoRepository(), threads=2)
    racing = Ports(repo=shared, hasher=ports.hasher, keys=ports.keys,  # type: ignore[arg-type]
                   mailer=ports.mailer)
    failures: list[BaseException] = []

    def accept(account: Account) -> None:
        try:
            membership.accept_invitation(racing, account, "club")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    # When both accept at the same time
    threads = [threading.Thread(target=accept, args=(a,)) for a in (bob, cid)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then neither commit lost a race (counts are tallied), and the count is exact
    assert failures == []
    assert shared.commits == 2
    assert (role(ports, "bob"), role(ports, "cid"), count(ports)) == ("member", "member", 3)


def test_a_transition_that_keeps_losing_the_race_gives_up_with_a_conflict(
        ports: Ports, ann: Account, bob: Account) -> None:
    club(ports, ann)
    membership.request_to_join(ports, bob, "club")

    def bump_the_group() -> None:
        group = ports.repo.get(Actor, "club")
        assert group is not None
        from affiche.domain.ports import ChangeSet

        ports.repo.commit(ChangeSet().put(group))

    racing = RacingRepo(DynamoRepository(), bump_the_group, races=retry.ATTEMPTS)
    slow = Ports(repo=racing, hasher=ports.hasher, keys=ports.keys,  # type: ignore[arg-type]
                 mailer=ports.mailer)
    with pytest.raises(Conflict, match="changed by someone else"):
        membership.approve_request(slow, ann, "club", "bob")
    assert racing.commits == retry.ATTEMPTS
    assert (role(ports, "bob"), count(ports)) == ("not_approved", 1)


# --- listings ------------------------------------------------------------------------------------

def test_listings(ports: Ports, ann: Account, bob: Account) -> None:
    club(ports, ann)
    groups.create_group(ports, ann, name="choir", display_name="Choir", openness="open")
    cid = person(ports, "cid")
    invited(ports, ann, "bob")
    membership.request_to_join(ports, cid, "club", "me too")
    membership.request_to_join(ports, bob, "choir")
    assert [(m.member, m.role) for m in membership.members(ports, "club")] == [("ann", "creator")]
    assert [m.member for m in membership.pending_requests(ports, "club")] == ["cid"]
    assert [m.group for m in membership.invitations_for(ports, bob)] == ["club"]
    assert [(m.group, m.role) for m in membership.groups_of(ports, bob)] == [
        ("choir", "member"), ("club", "invited")]


# --- following (affiche/domain/follows.py): (none) --follow--> accepted --unfollow--> (none) ----

def follow_activities(ports: Ports) -> list[Activity]:
    repo = ports.repo
    assert isinstance(repo, DynamoRepository)
    return sorted((a for a in repo.all_of_kind("activity") if a.object_kind == "follow"),
                  key=lambda a: a.published)


def test_following_a_group_counts_a_follower_and_re_renders_its_page(ports: Ports, ann: Account,
                                                                      bob: Account) -> None:
    # Given ann's group
    club(ports, ann)
    # When bob follows it
    created = follows.follow(ports, bob, "club")
    # Then the follow is accepted at once, counted, listed both ways, and recorded privately
    assert created.state == "accepted"
    assert ports.repo.counter("followers:club") == 1
    assert [f.follower for f in ports.repo.followers_of("club")] == ["bob"]
    assert [g.name for g in follows.followed_groups(ports, "bob")] == ["club"]
    (activity,) = follow_activities(ports)
    assert (activity.type, activity.actor, activity.audience, activity.target) == (
        "Follow", "bob", "private", "club")
    assert ("actor", "club") in artifacts.touched_by(activity)
    # and following twice is refused without counting twice
    with pytest.raises(Conflict, match="@bob already follows @club"):
        follows.follow(ports, bob, "club")
    assert ports.repo.counter("followers:club") == 1


def test_unfollowing_undoes_the_follow(ports: Ports, ann: Account, bob: Account) -> None:
    club(ports, ann)
    follows.follow(ports, bob, "club")
    follows.unfollow(ports, bob, "club")
    assert ports.repo.counter("followers:club") == 0
    assert ports.repo.followers_of("club") == [] and follows.followed_groups(ports, "bob") == []
    assert [a.type for a in follow_activities(ports)] == ["Follow", "Undo"]
    with pytest.raises(NotFound, match="@bob does not follow @club"):
        follows.unfollow(ports, bob, "club")
    with pytest.raises(NotFound, match="no group @nope"):
        follows.follow(ports, bob, "nope")


def an_event(ports: Ports, owner: Account, group: str, title: str, days: float,
             visibility: str = "public") -> None:
    begins = datetime.now(UTC) + timedelta(days=days)
    ends = begins + timedelta(hours=2)
    events.create_event(ports, owner, group, events.EventInput(
        title=title, begins_on=begins.isoformat(), ends_on=ends.isoformat(), timezone="UTC",
        visibility=visibility))


def test_upcoming_lists_public_events_of_followed_and_joined_groups_soonest_first(
        ports: Ports, ann: Account, bob: Account) -> None:
    # Given bob follows the club and belongs to the choir, and ann runs a third group
    club(ports, ann)
    for name in ("choir", "elsewhere"):
        groups.create_group(ports, ann, name=name, display_name=name, openness="open")
    follows.follow(ports, bob, "club")
    membership.request_to_join(ports, bob, "choir")
    an_event(ports, ann, "club", "picnic", days=3)
    an_event(ports, ann, "club", "board meeting", days=1, visibility="private")
    an_event(ports, ann, "club", "last year", days=-2)
    an_event(ports, ann, "choir", "rehearsal", days=2, visibility="unlisted")
    an_event(ports, ann, "elsewhere", "not for bob", days=1)
    # When bob asks for his upcoming events
    found = follows.upcoming_for(ports, bob)
    # Then he gets the public and unlisted future ones of his groups, soonest first
    assert [e.title for e in found] == ["rehearsal", "picnic"]
