"""The entities affiche stores, as plain dataclasses.

Every entity knows how to become a JSON-able dict and back (`to_dict` / `from_dict`); the store
keeps that dict whole, so adding a field never needs a migration. Times are timezone-aware UTC
datetimes in memory and ISO-8601 strings on disk.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _is_datetime_type(tp: Any) -> bool:
    if tp is datetime:
        return True
    return isinstance(tp, types.UnionType) and datetime in typing.get_args(tp)


class Record:
    """Mixin giving dataclass entities a stable dict form; unknown keys are ignored on load."""

    kind: ClassVar[str]
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in data:
                continue
            value = data[f.name]
            if value is not None and _is_datetime_type(hints[f.name]):
                value = datetime.fromisoformat(value)
            kwargs[f.name] = value
        return cls(**kwargs)

    def evolve(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass
class Account(Record):
    kind: ClassVar[str] = "account"
    id: str
    email: str
    password_hash: str
    created_at: datetime
    role: str = "user"  # "user" | "admin"
    confirmed: bool = False
    suspended: bool = False
    default_profile: str | None = None
    version: int = 0


@dataclass
class Actor(Record):
    """A local Person (a profile of an account) or Group, published at /@{name}/."""

    kind: ClassVar[str] = "actor"
    name: str  # the handle, unique across people and groups
    type: str  # "Person" | "Group"
    display_name: str
    created_at: datetime
    summary_html: str = ""
    summary_source: str = ""
    account_id: str | None = None  # owner, for a Person
    visibility: str = "public"  # "public" | "unlisted" (groups)
    openness: str = "open"  # "open" | "moderated" | "invite_only" (groups)
    avatar: str | None = None  # bucket key of the uploaded image
    banner: str | None = None
    member_count: int = 0
    public_key_pem: str = ""
    deleted: bool = False
    version: int = 0

    @property
    def is_group(self) -> bool:
        return self.type == "Group"

    @property
    def listed(self) -> bool:
        return self.visibility == "public" and not self.deleted


@dataclass
class ActorKey(Record):
    """The private half of an actor's key pair: stored apart so no rendering path ever sees it."""

    kind: ClassVar[str] = "actor_key"
    name: str
    private_key_pem: str
    version: int = 0

    def __repr__(self) -> str:  # never let a private key reach a log line
        return f"ActorKey(name={self.name!r}, private_key_pem=<redacted>)"


@dataclass
class Address(Record):
    kind: ClassVar[str] = "address"
    name: str = ""
    street: str = ""
    locality: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    latitude: float | None = None  # WGS 84 degrees, -90..90 (events.py checks the ranges)
    longitude: float | None = None  # -180..180
    version: int = 0

    def one_line(self) -> str:
        town = " ".join(p for p in (self.postal_code, self.locality) if p)
        parts = [self.name, self.street, town, self.region, self.country]
        return ", ".join(p for p in parts if p)


@dataclass
class Event(Record):
    kind: ClassVar[str] = "event"
    uuid: str
    group: str  # name of the organising group
    organizer: str  # name of the profile who created it
    title: str
    begins_on: datetime
    ends_on: datetime
    timezone: str  # IANA name; begins_on/ends_on are stored in UTC and shown in this zone
    created_at: datetime
    updated_at: datetime
    description_html: str = ""
    description_source: str = ""
    online_url: str | None = None
    address: dict[str, Any] | None = None
    capacity: int | None = None
    participant_count: int = 0
    visibility: str = "public"  # "public" | "unlisted" | "private"
    status: str = "confirmed"  # "tentative" | "confirmed" | "cancelled"
    join_mode: str = "free"  # Mobilizon's joinMode: free | restricted | invite | external
    tags: list[str] = field(default_factory=list)
    deleted: bool = False
    version: int = 0
    # The organiser's editor (affiche/domain/events.py validates each of these).
    category: str | None = None  # one of Mobilizon's categories (events.CATEGORIES)
    accessibility: list[str] = field(default_factory=list)  # events.ACCESSIBILITY flags
    contacts: list[str] = field(default_factory=list)  # local profile names to ask
    picture: str | None = None  # bucket key of the uploaded image (media/...)
    external_url: str | None = None  # where to register when join_mode is "external"
    draft: bool = False  # seen by the group's moderators only; never published nor federated

    @property
    def place(self) -> Address | None:
        return Address.from_dict(self.address) if self.address else None

    @property
    def is_public(self) -> bool:
        return self.visibility in {"public", "unlisted"} and not self.deleted and not self.draft

    @property
    def listed(self) -> bool:
        return self.visibility == "public" and not self.deleted and not self.draft

    @property
    def coordinates(self) -> tuple[float, float] | None:
        place = self.address or {}
        lat, lon = place.get("latitude"), place.get("longitude")
        return (lat, lon) if lat is not None and lon is not None else None

    def is_over(self, now: datetime) -> bool:
        return self.ends_on <= now


@dataclass
class Post(Record):
    kind: ClassVar[str] = "post"
    slug: str
    group: str
    author: str
    title: str
    body_html: str
    body_source: str
    published_at: datetime
    updated_at: datetime
    visibility: str = "public"  # "public" | "unlisted" | "members"
    deleted: bool = False
    version: int = 0

    @property
    def is_public(self) -> bool:
        return self.visibility in {"public", "unlisted"} and not self.deleted


@dataclass
class Activity(Record):
    """One entry of an actor's outbox: what changed, by whom, and a snapshot of the object.

    The snapshot is the domain dict of the object at the time of the change; the outbox function
    renders pages and federation payloads from it, so both always agree (DESIGN.md §1)."""

    kind: ClassVar[str] = "activity"
    id: str  # uuid; the public id is {public_url}/activities/{id}
    type: str  # Create | Update | Delete | Join | Accept | Reject | Leave | Invite | Follow ...
    actor: str  # local actor name performing it
    object_kind: str  # Record.kind of the object ("event", "actor", "post", "membership"...)
    object_key: str
    published: datetime
    audience: str  # "public" | "unlisted" | "members" | "private": decides publishing and fan-out
    object: dict[str, Any] = field(default_factory=dict)
    target: str | None = None  # e.g. the group a membership activity is about
    version: int = 0


@dataclass
class Membership(Record):
    """A profile's place in a group. `role` is also the state of the membership's flow
    (Mobilizon's model): invited -> member, not_approved -> member | rejected...
    The transitions are declared in membership.py."""

    kind: ClassVar[str] = "membership"
    group: str
    member: str  # local profile name, or a remote actor URI
    role: str
    created_at: datetime
    updated_at: datetime
    invited_by: str | None = None
    message: str = ""
    version: int = 0

    @property
    def key(self) -> str:
        return f"{self.group}|{self.member}"


@dataclass
class Follow(Record):
    """Someone following a group's public activity without being a member (see follows.py).

    `state` is the follow's flow: local follows are "accepted" at once (a group auto-accepts,
    DESIGN.md §4); remote follows will pass through "pending" when federation lands."""

    kind: ClassVar[str] = "follow"
    follower: str  # local profile name, or a remote actor URI
    followed: str  # group name
    created_at: datetime
    state: str = "accepted"  # "pending" | "accepted"
    version: int = 0

    @property
    def key(self) -> str:
        return f"{self.followed}|{self.follower}"


@dataclass
class Session(Record):
    """A logged-in browser. Only the SHA-256 of the cookie value is stored."""

    kind: ClassVar[str] = "session"
    token_hash: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    csrf_token: str
    version: int = 0


@dataclass
class Token(Record):
    """A single-use secret sent by email (confirm address, reset password, change email, invite).
    Only its SHA-256 is stored; `expires_at` is checked in code because moto never runs TTL."""

    kind: ClassVar[str] = "token"
    token_hash: str
    purpose: str  # "confirm" | "reset" | "change_email" | "instance_invite"
    account_id: str
    expires_at: datetime
    payload: dict[str, str] = field(default_factory=dict)
    version: int = 0


@dataclass
class InstanceSettings(Record):
    """Settings the admin changes at runtime; a single item."""

    kind: ClassVar[str] = "instance"
    registration_mode: str = "open"  # "open" | "invite_only" | "closed"
    version: int = 0

    key: ClassVar[str] = "settings"
