"""What the domain needs from the outside world, as Protocols; adapters live in affiche/store,
affiche/mail and affiche/web. A domain service gathers its writes into one ChangeSet, which the
store commits in a single transaction (entity + activity together, DESIGN.md principle 1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from affiche.domain.model import (
    Account,
    Activity,
    Actor,
    AuditEntry,
    CalendarFeed,
    Comment,
    Discussion,
    DiscussionFollow,
    DiscussionReply,
    Event,
    Follow,
    Membership,
    Participation,
    Post,
    Record,
    Report,
    Resource,
    Session,
    Token,
)

R = TypeVar("R", bound=Record)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Tally:
    """Add `delta` to the count `field` of `entity` (an event's participants, a group's members).

    Counts are atomic: the store adds to what is stored, whatever was read, so two joins of one
    group never clash (they did when each rewrote the group under its version: 5 of 20
    simultaneous joins answered 409 in a load run). The tally still requires `entity` to be at
    the version read, which no tally bumps: an edit of the group or event (openness, capacity,
    cancellation, deletion) made meanwhile fails it, and the caller decides again on a fresh read.
    `limit`: the count after the tally must not exceed it (an event's capacity), checked by the
    store on the stored count, so concurrent joins cannot overbook; a failed limit is a Conflict,
    after which the domain re-reads and refuses with its own reason (participation.EventFull).
    A tally of 0 with a `limit` only checks that the stored count still fits (a lower capacity).
    """

    entity: Record
    field: str  # one of the store's counted fields (affiche/store/table.py COUNTS)
    delta: int
    limit: int | None = None


@dataclass
class ChangeSet:
    """Writes that succeed or fail together.

    `puts` carry their entity's `version`: 0 means "must not exist yet", n means "must still be at
    version n" (optimistic locking). `deletes` likewise, except that version 0 deletes whatever
    is there. `claims` reserve unique names (an email address) for an owner. `tallies` change
    counts (see Tally); a put never changes a stored count, it only sets it on a new entity.
    """

    puts: list[Record] = field(default_factory=list)
    deletes: list[Record] = field(default_factory=list)
    claims: dict[str, str] = field(default_factory=dict)  # claim -> owner id
    releases: list[str] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)  # instance statistics to add to
    tallies: list[Tally] = field(default_factory=list)

    def put(self, *entities: Record) -> ChangeSet:
        self.puts.extend(entities)
        return self

    def tally(self, entity: Record, field: str, delta: int, *,
              limit: int | None = None) -> ChangeSet:
        """Add `delta` to `entity`'s count `field` atomically (see Tally)."""
        self.tallies.append(Tally(entity, field, delta, limit))
        return self

    def record(self, activity: Activity) -> ChangeSet:
        self.activities.append(activity)
        return self


#: A `before` cursor that stands after every key: the last page of a list.
END = "~"


@dataclass(frozen=True)
class Slice(Generic[R]):
    """One page of a long list, and the cursors of its neighbours (None: no such page).

    Cursors are opaque strings (the store's sort keys): `after` asks for the items that follow
    a cursor in the list's order, `before` for those that precede it."""

    items: list[R]
    before: str | None = None  # cursor to ask for the previous page
    after: str | None = None  # cursor to ask for the next page


class Repository(Protocol):
    """Reads the domain needs, and the one write: `commit`."""

    def get(self, cls: type[R], key: str) -> R | None: ...

    def commit(self, changes: ChangeSet) -> None:
        """Apply atomically; raises Conflict when a version or uniqueness condition fails."""
        ...

    def claim_owner(self, claim: str) -> str | None: ...

    def profiles_of(self, account_id: str) -> list[Actor]: ...

    def memberships_of_group(self, group: str) -> list[Membership]: ...

    def memberships_of(self, member: str) -> list[Membership]: ...

    def followers_of(self, group: str) -> list[Follow]: ...

    def following_of(self, follower: str) -> list[Follow]: ...

    def events_of_group(self, group: str, *, since: datetime | None = None) -> list[Event]: ...
    def group_events_in_order(self, group: str, *, start: datetime | None = None,
                              end: datetime | None = None, newest_first: bool = False,
                              page: int = 25) -> Iterator[Event]: ...

    def members_events_of_group(self, group: str, *, start: datetime | None = None,
                                end: datetime | None = None,
                                page: int = 25) -> Iterator[Event]:
        """The group's private events and drafts (not deleted) beginning in [start, end),
        soonest first; what it reads depends on those alone, not on the public ones."""
        ...

    def events_of_group_between(self, group: str, start: datetime,
                                end: datetime) -> list[Event]: ...

    def upcoming_events(self, now: datetime, limit: int = 50) -> list[Event]: ...

    def events_beginning_between(self, start: datetime, end: datetime,
                                 limit: int = 1000) -> list[Event]:
        """Events of every visibility (no drafts) beginning in [start, end): scheduled jobs."""
        ...

    def posts_of_group(self, group: str) -> list[Post]: ...

    def listed_groups(self) -> list[Actor]: ...

    def outbox(self, actor: str, limit: int = 20) -> list[Activity]: ...

    def account_by_email(self, email: str) -> Account | None: ...

    def sessions_of(self, account_id: str) -> list[Session]:
        """Every session of an account, expired ones included."""
        ...

    def tokens_of(self, account_id: str) -> list[Token]:
        """Every emailed token issued for an account, expired ones included."""
        ...

    def accounts_with_role(self, role: str) -> list[Account]: ...

    def counter(self, name: str) -> int: ...

    def comments_of_event(self, uuid: str) -> list[Comment]:
        """Every comment of an event, deleted ones included, oldest first."""
        ...
    def participations_of_event(self, uuid: str) -> list[Participation]:
        """Every participation in an event, in any state (pk EVENT#{uuid})."""
        ...

    def participations_of(self, participant: str) -> list[Participation]:
        """Every participation of one participant, by the events' start."""
        ...

    def calendar_feeds_of(self, profile: str) -> list[CalendarFeed]: ...

    def discussions_of_group(self, group: str, *, limit: int, after: str | None = None,
                             before: str | None = None) -> Slice[Discussion]:
        """A page of the group's live discussions, most recently active first."""
        ...

    def replies_of_discussion(self, discussion: str, *, limit: int, after: str | None = None,
                              before: str | None = None) -> Slice[DiscussionReply]:
        """A page of a discussion's replies (deleted ones included), oldest first."""
        ...

    def discussion_reply_by_note(self, note_id: str) -> DiscussionReply | None:
        """The reply a remote member's Note became (by the Note's id), if any."""
        ...

    def discussion_followers(self, discussion: str) -> list[DiscussionFollow]: ...

    def discussion_items(self, discussion: str) -> list[Record]:
        """Everything stored under a discussion: the thread, its replies, its followers."""
        ...

    def resources_in(self, group: str, parent: str | None) -> list[Resource]:
        """One folder of a group's resources (None: its root), folders first, then by title."""
        ...

    def recent_resources(self, group: str, limit: int = 5) -> list[Resource]:
        """A group's resources, last changed first."""
        ...

    def group_activity(self, group: str, *, before: str | None = None,
                       limit: int = 20) -> list[Activity]:
        """Activities about a group (group_activity.group_concerned), newest first, older than
        the cursor `before` ("{published}#{id}" of the last one seen)."""
        ...

    def audit_entries(self, *, limit: int, before: str | None = None) -> list[AuditEntry]:
        """The audit log, newest first; `before` is the cursor of the previous page's last."""
        ...

    def reports_in_state(self, state: str, *, limit: int,
                         before: str | None = None) -> list[Report]: ...

    def all_of_kind(self, kind: str) -> list[Any]:
        """Every entity of one kind: a scan (full builds, exports, administrators' lists)."""
        ...
