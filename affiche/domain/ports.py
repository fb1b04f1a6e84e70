"""What the domain needs from the outside world, as Protocols; adapters live in affiche/store,
affiche/mail and affiche/web. A domain service gathers its writes into one ChangeSet, which the
store commits in a single transaction (entity + activity together, DESIGN.md principle 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from affiche.domain.model import (
    Account,
    Activity,
    Actor,
    AuditEntry,
    CalendarFeed,
    Comment,
    Event,
    Follow,
    Membership,
    Participation,
    Post,
    Record,
    Session,
    Token,
)

R = TypeVar("R", bound=Record)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ChangeSet:
    """Writes that succeed or fail together.

    `puts` carry their entity's `version`: 0 means "must not exist yet", n means "must still be at
    version n" (optimistic locking). `deletes` likewise, except that version 0 deletes whatever
    is there. `claims` reserve unique names (an email address) for an owner.
    """

    puts: list[Record] = field(default_factory=list)
    deletes: list[Record] = field(default_factory=list)
    claims: dict[str, str] = field(default_factory=dict)  # claim -> owner id
    releases: list[str] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)  # instance statistics to add to

    def put(self, *entities: Record) -> ChangeSet:
        self.puts.extend(entities)
        return self

    def record(self, activity: Activity) -> ChangeSet:
        self.activities.append(activity)
        return self


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

    def all_of_kind(self, kind: str) -> list[Any]:
        """Every entity of one kind: a scan (full builds, exports, administrators' lists)."""
        ...

    def audit_entries(self, *, limit: int, before: str | None = None) -> list[AuditEntry]:
        """The audit log, newest first; `before` is the cursor of the previous page's last."""
        ...
