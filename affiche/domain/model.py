"""The entities affiche stores, as plain dataclasses.

Every entity knows how to become a JSON-able dict and back (`to_dict` / `from_dict`); the store
keeps that dict whole, so adding a field never needs a migration. Times are timezone-aware UTC
datetimes in memory and ISO-8601 strings on disk.
"""

from __future__ import annotations

import dataclasses
import functools
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


def is_remote_name(name: str) -> bool:
    """Remote actors and objects are keyed by their ActivityPub id, an http(s) URL; local
    names are bare handles (DESIGN.md §9 "Who acts")."""
    return name.startswith(("https://", "http://"))


def _is_datetime_type(tp: Any) -> bool:
    if tp is datetime:
        return True
    return isinstance(tp, types.UnionType) and datetime in typing.get_args(tp)


@functools.cache
def _fields_of(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """A record class's field names and those holding dates. Resolving the type hints costs
    about a millisecond: once per class, not once per item loaded (a listing loads hundreds)."""
    hints = typing.get_type_hints(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))
    return names, frozenset(n for n in names if _is_datetime_type(hints[n]))


class Record:
    """Mixin giving dataclass entities a stable dict form; unknown keys are ignored on load."""

    kind: ClassVar[str]
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names, dates = _fields_of(typing.cast(type, cls))
        kwargs: dict[str, Any] = {}
        for name in names:
            if name not in data:
                continue
            value = data[name]
            if value is not None and name in dates:
                value = datetime.fromisoformat(value)
            kwargs[name] = value
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
    role: str = "user"  # "user" | "moderator" | "admin" (affiche/domain/administration.py)
    confirmed: bool = False
    suspended: bool = False
    default_profile: str | None = None
    # Notification mails the person switched off (names in affiche/notify/preferences.py);
    # absent means "on", so a new kind of notification reaches everyone until they opt out.
    mail_off: list[str] = field(default_factory=list)
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
    timezone: str = ""  # a group's IANA zone, its events' default ("" = the instance's, UTC)
    avatar: str | None = None  # bucket key of the uploaded image
    banner: str | None = None
    member_count: int = 0
    public_key_pem: str = ""
    deleted: bool = False
    version: int = 0
    # Suspended by the instance's administrators (administration.py): its pages answer 410
    # and it cannot act, until restored. Nothing is deleted.
    suspended: bool = False
    # Remote actors only (name = their ActivityPub id): what their document said when fetched.
    inbox: str | None = None
    shared_inbox: str | None = None
    url: str | None = None  # their HTML profile page
    preferred_username: str | None = None
    domain: str | None = None
    outbox: str | None = None
    followers: str | None = None
    fetched_at: datetime | None = None

    @property
    def is_group(self) -> bool:
        return self.type == "Group"

    @property
    def is_remote(self) -> bool:
        """A copy of an actor of another server: its name is its ActivityPub id."""
        return is_remote_name(self.name)

    @property
    def handle(self) -> str:
        """@name for ours, @user@host for a remote actor (what people read)."""
        if self.is_remote:
            return f"@{self.preferred_username or '?'}@{self.domain or ''}"
        return f"@{self.name}"

    @property
    def delivery_inbox(self) -> str | None:
        """Where to deliver to this remote actor: its server's shared inbox when it has one."""
        return self.shared_inbox or self.inbox

    @property
    def listed(self) -> bool:
        return (self.visibility == "public" and not self.deleted and not self.is_remote
                and not self.suspended)


@dataclass
class ActorKey(Record):
    """The private half of an actor's key pair: stored apart so no rendering path ever sees it."""

    kind: ClassVar[str] = "actor_key"
    name: str
    private_key_pem: str
    version: int = 0
    # Set when the actor is deleted: the key still signs the Delete that tells remote servers,
    # through every retry, then DynamoDB's TTL removes it (retirement.KEY_OUTLIVES_ACTOR).
    expires_at: datetime | None = None

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
    hidden: bool = False  # taken down by moderators (with deleted): they may restore it
    comments_enabled: bool = True  # organisers close and reopen comments (domain/comments.py)
    version: int = 0
    # Visitors without an account may take part (by email), when the instance allows it too.
    anonymous_participation: bool = False
    # The organiser's editor (affiche/domain/events.py validates each of these).
    category: str | None = None  # one of Mobilizon's categories (events.CATEGORIES)
    accessibility: list[str] = field(default_factory=list)  # events.ACCESSIBILITY flags
    contacts: list[str] = field(default_factory=list)  # local profile names to ask
    picture: str | None = None  # bucket key of the uploaded image (media/...)
    external_url: str | None = None  # where to register when join_mode is "external"
    draft: bool = False  # seen by the group's moderators only; never published nor federated
    # iCalendar SEQUENCE (RFC 5545 3.8.7.4): +1 on each edit, cancellation or deletion of the
    # published event, so calendar apps replace their copy (a moved or cancelled event).
    sequence: int = 0

    @property
    def place(self) -> Address | None:
        return Address.from_dict(self.address) if self.address else None

    @property
    def is_remote(self) -> bool:
        """An event of a remote group we follow (uuid = its ActivityPub id): shown in followers'
        own space only, never on our public pages."""
        return is_remote_name(self.uuid)

    @property
    def is_public(self) -> bool:
        return self.visibility in {"public", "unlisted"} and not self.deleted and not self.draft

    @property
    def listed(self) -> bool:
        return (self.visibility == "public" and not self.deleted and not self.draft
                and not self.is_remote)

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """(latitude, longitude) when the address holds both, in range; stored as numbers by the
        editor, but read leniently (numeric strings) so that no page can fail on old data."""
        place = self.address or {}
        try:
            lat, lon = float(place["latitude"]), float(place["longitude"])
        except (KeyError, TypeError, ValueError):
            return None
        return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None

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
    hidden: bool = False  # taken down by moderators (with deleted): they may restore it
    version: int = 0
    draft: bool = False  # seen by the group's moderators only, never published
    tags: list[str] = field(default_factory=list)
    picture: str | None = None  # media key, as an event's picture

    @property
    def is_public(self) -> bool:
        return self.visibility in {"public", "unlisted"} and not self.deleted and not self.draft


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
    activity_id: str | None = None  # a remote group's Invite: its id, echoed by our answer

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
    # The ActivityPub id of the Follow activity: echoed in our Accept (remote follower), matched
    # against the remote group's Accept and our Undo (local follower of a remote group).
    activity_id: str | None = None

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
    # Whether events may let visitors take part with an email address only (see participation).
    anonymous_participation: bool = False
    # What administrators edit online (affiche/domain/instance.py); empty texts mean "the
    # defaults": the name from the configuration, the pages of content/.
    name: str = ""
    description: str = ""
    contact_email: str = ""
    rules: str = ""  # Markdown of /rules/, and of the three pages below
    terms: str = ""
    privacy: str = ""
    about: str = ""
    group_creation: str = "anyone"  # "anyone" | "admins": who may create groups
    anonymous_reports: bool = False  # whether visitors without an account may report content
    # The federation mode and the domain lists live in one item the inbox reads cheaply
    # (affiche/activitypub/blocklist.py), not here.

    key: ClassVar[str] = "settings"


@dataclass
class Comment(Record):
    """A comment on an event, possibly a reply to another comment (domain/comments.py).

    `author` is an Actor name: a local profile handle, or a remote actor's ActivityPub id when
    federation turns a `Create{Note}` reply into a comment (then `ap_id` is the Note's id).
    A deleted comment keeps its item (so replies keep their thread) but loses its text."""

    kind: ClassVar[str] = "comment"
    id: str
    event: str  # uuid of the event commented on
    author: str
    text_source: str
    text_html: str
    created_at: datetime
    updated_at: datetime
    in_reply_to: str | None = None  # id of the comment answered
    ap_id: str | None = None  # the remote Note's id, for comments that came over ActivityPub
    url: str | None = None  # the remote Note's human-readable page, when it has one
    deleted: bool = False
    hidden: bool = False  # taken down by moderators (with deleted): they may restore it
    version: int = 0


@dataclass
class Participation(Record):
    """Someone taking part in an event. `role` is also the state of the participation's flow
    (Mobilizon's model): not_confirmed -> participant, not_approved -> participant | rejected...
    The transitions are declared in affiche/domain/participation.py."""

    kind: ClassVar[str] = "participation"
    event: str  # event uuid
    participant: str  # local profile name, remote actor id (URL), or "anon:<id>"
    # "not_approved" | "participant" | "rejected" | "not_confirmed" | "invited" | "organizer"
    role: str
    created_at: datetime
    updated_at: datetime
    message: str = ""
    email: str | None = None  # anonymous participants only; never published
    display_name: str = ""  # anonymous participants' optional name
    begins_on: datetime | None = None  # the event's start, for a person's listing (gsi1)
    version: int = 0
    # A remote participant's Join id: our Accept/Reject echoes it (Mobilizon matches by it).
    join_activity_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.event}|{self.participant}"


@dataclass
class CalendarFeed(Record):
    """A profile's private calendar link (/api/feeds/{secret}.ics). Only the SHA-256 of the
    secret is stored, as for sessions; revoking deletes the item."""

    kind: ClassVar[str] = "calendar_feed"
    token_hash: str
    profile: str
    created_at: datetime
    version: int = 0


@dataclass
class Discussion(Record):
    """A members-only thread of a group (domain/discussions.py): a title and replies.

    `creator` and `DiscussionReply.author` are Actor names (a local profile, or a remote
    member's ActivityPub id once federation lands). `last_reply_at` orders the group's list,
    most recently active first. A deleted thread keeps a title-less item (its id is never
    reused) and leaves the list."""

    kind: ClassVar[str] = "discussion"
    id: str
    group: str
    creator: str
    title: str
    created_at: datetime
    updated_at: datetime
    last_reply_at: datetime
    last_reply_by: str = ""
    reply_count: int = 0  # live replies, the first message included
    closed: bool = False  # moderators close a thread: it is read-only until reopened
    deleted: bool = False
    version: int = 0
    # Our copy of a thread of a group of another server (one of our people is a member there):
    # the thread's id on that server, which our people's replies name as their `context`.
    ap_id: str | None = None


@dataclass
class DiscussionReply(Record):
    """One message of a discussion (the first one is the thread's opening message). A deleted
    reply keeps its place, without its text, so the pages of the thread do not shift."""

    kind: ClassVar[str] = "discussion_reply"
    id: str
    discussion: str
    group: str
    author: str
    text_source: str
    text_html: str
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
    version: int = 0
    ap_id: str | None = None  # a remote member's Note id, so their Update/Delete find it

    @property
    def key(self) -> str:
        return f"{self.discussion}|{self.id}"


@dataclass
class DiscussionFollow(Record):
    """Someone who is mailed about new replies of a discussion (its starter, by default)."""

    kind: ClassVar[str] = "discussion_follow"
    discussion: str
    follower: str
    created_at: datetime
    version: int = 0

    @property
    def key(self) -> str:
        return f"{self.discussion}|{self.follower}"


@dataclass
class Resource(Record):
    """A link or a folder in a group's members-only resources (affiche/domain/resources.py).

    Folders nest through `parent` (a folder's id; None is the group's root), so renaming or
    moving a folder changes one item, never its contents. A link's `summary` and `image_url`
    come from the page it points to when it could be fetched (plain text and a URL only)."""

    kind: ClassVar[str] = "resource"
    id: str
    group: str
    type: str  # "folder" | "link"
    title: str
    creator: str  # the acting actor's name (a local profile, or a remote actor's id)
    created_at: datetime
    updated_at: datetime
    parent: str | None = None
    url: str | None = None  # links only
    summary: str = ""
    image_url: str | None = None  # the page's og:image, never loaded by our pages
    version: int = 0

    @property
    def is_folder(self) -> bool:
        return self.type == "folder"


@dataclass
class AuditEntry(Record):
    """One moderation or administration action, on the record (affiche/domain/audit.py).

    Written in the same ChangeSet as the action itself, so an action without its entry cannot
    happen; never updated nor deleted (the repository refuses to delete one)."""

    kind: ClassVar[str] = "audit_entry"
    id: str
    at: datetime
    account_id: str  # who acted (the account: roles belong to accounts)
    by: str  # the acting account's profile handle, as shown on the log ("" when it has none)
    action: str  # e.g. "report.resolve", "event.hide", "instance.registration_mode"
    target_kind: str  # "event" | "post" | "comment" | "actor" | "report" | "instance" ...
    target_key: str
    reason: str = ""
    version: int = 0


@dataclass
class Report(Record):
    """Someone's report of content or an account to this instance's moderators
    (affiche/domain/reports.py; its flow is the state graph `reports.FLOW`)."""

    kind: ClassVar[str] = "report"
    id: str
    target_kind: str  # "event" | "post" | "comment" | "actor" (a profile or a group)
    target_key: str  # the entity's key: event uuid, post slug, comment id, actor name or AP id
    reason: str  # one of reports.REASONS
    created_at: datetime
    updated_at: datetime
    comment: str = ""
    reporter: str = ""  # local profile name or remote actor id; "" for a visitor
    reporter_email: str | None = None  # a visitor's address (never published)
    state: str = "open"  # "open" | "resolved" | "closed"
    notes: list[dict[str, str]] = field(default_factory=list)  # moderators' notes: by, at, text
    remote_activity_id: str | None = None  # the Flag's id, when it came over ActivityPub
    forwarded_to: list[str] = field(default_factory=list)  # remote inboxes sent a Flag
    version: int = 0


@dataclass
class OutgoingMail(Record):
    """A mail a request decided to send, written in the same commit as what it tells about (the
    Token whose secret link it carries, the changed password...). The outbox sends it from the
    change stream and deletes it (affiche/notify/outgoing.py): a refused send never fails the
    request, and the plain secret stays in the table only until the mail is gone (TTL
    `expires_at` otherwise). Never published, never logged."""

    kind: ClassVar[str] = "outgoing_mail"
    id: str
    to: str
    template: str  # affiche/mail/templates/{template}.txt
    context: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    version: int = 0
