"""Where each entity lives in the single table, and which listings (GSIs) it appears in.

| kind        | pk                | sk              | gsi1 (pk / sk)                     | gsi2 (pk / sk)                 |
|-------------|-------------------|-----------------|------------------------------------|--------------------------------|
| account     | ACCOUNT#{id}      | A               | ROLE#{role} / {id} (moderators and admins only) |                   |
| actor       | ACTOR#{name}      | A               | ACCOUNT#{account} / {name} (people)| GROUPS / {name} (listed groups)|
| actor_key   | ACTOR#{name}      | KEY             |                                    |                                | (TTL once the actor is deleted)
| event       | EVENT#{uuid}      | A               | GROUP#{group}#EVENTS / {begin}#{id}| EVENTS (listed) or OTHER_EVENTS / {begin}#{id} |
| post        | POST#{slug}       | A               | GROUP#{group}#POSTS / {time}#{slug}| POSTS / {time}#{slug} (listed) |
| membership  | ACTOR#{group}     | MEMBER#{member} | MEMBER#{member} / {group}          |                                |
| follow      | ACTOR#{group}     | FOLLOWER#{who}  | FOLLOWING#{who} / {group}          |                                |
| activity    | ACTIVITY#{id}     | A               | OUTBOX#{actor} / {time}#{id}       |                                |
| session     | SESSION#{hash}    | A               | SESSIONS#{account} / {time}#{hash} |                                |
| token       | TOKEN#{hash}      | A               | TOKENS#{account} / {purpose}#{hash}|                                |
| claim       | CLAIM#{claim}     | A               |                                    |                                |
| participation | EVENT#{uuid}    | PARTICIPANT#{who} | PARTICIPATING#{who} / {begin}#{uuid} |                            |
| calendar_feed | FEED#{hash}     | A               | FEEDS#{profile} / {hash}           |                                |
| remote_key  | REMOTEKEY#{keyId} | A               | (activitypub/remote_keys.py; TTL)  |                                |
| inbound     | INBOUND#{id}      | A               | INBOUND#{state} / {received at}    | (activitypub/inbox.py; TTL 30d)|
| blocked_domains | BLOCKED_DOMAINS | A             | (activitypub/blocklist.py)         |                                |
| delivery_domain | DELIVERY_DOMAIN#{host} | A      | DELIVERY_DOMAINS / {host}          | (activitypub/delivery_consumer)|
| actor_key (instance actor) | ACTOR#~instance | KEY | (activitypub/instance_actor.py) |                                |
| counter     | STATS#{name}, RATE#{action}#{subject} | A, W#{window}, B (back-off) | (table.Counter)          |                                |
| login_device | DEVICE#{digest(email, token)} | D   | (web/login_throttle.py; TTL 180 days) |                          |
| comment     | COMMENT#{id}      | A               | EVENT#{uuid}#COMMENTS / {time}#{id}|                                |
| mail_sent   | MAILED#{key}#{to} | A               | (store/mail_ledger.py; TTL 30 days)|                                |
| outgoing_mail | OUTGOING#{id}   | A               | OUTGOING_MAIL / {created}#{id} (until sent; TTL) |                  |
| discussion  | DISCUSSION#{id}   | A               | GROUP#{group}#DISCUSSIONS / {last reply}#{id} (none once deleted) |   |
| discussion_reply | DISCUSSION#{id} | REPLY#{reply id} | DISCUSSION#{id}#REPLIES / {time}#{reply id} | NOTE#{ap_id} / {key} (a remote member's) |
| discussion_follow | DISCUSSION#{id} | FOLLOWER#{who} |                                   |                                |
| resource    | RESOURCE#{id}     | A               | GROUP#{group}#RESOURCES#{parent or /} / {0 folder, 1 link}#{title}#{id} | GROUP#{group}#RESOURCES / {updated}#{id} |

An activity about a group (its snapshot names a local `group`, or it is the group itself) is also
in gsi2 GROUP#{group}#ACTIVITY / {time}#{id}: the members' activity page of the group, whoever
acted (affiche/domain/group_activity.py decides which activities that is).
| report      | REPORT#{id}       | A               | REPORTS#{state} / {created}#{id}   |                                |
| audit_entry | AUDIT#{id}        | A               | AUDIT / {at}#{id} (newest first; never deleted) |                   |
| tag_entry   | EVENT#{uuid}      | TAG#{tag}       |                                    | TAG#{tag} / {begin}#{uuid}#{local year} (listed events; publish/tag_index.py) |
| tag_name    | TAGS              | TAG#{tag}       |                                    | (every tag with a row above: /tags/ and the sitemap) |

| kind        | gsi3 (pk / sk; sparse, see below)                                       |
|-------------|-------------------------------------------------------------------------|
| event       | GROUP#{group}#MEMBERS_EVENTS / {begin}#{id} (private events and drafts) |

gsi3 is sparse: only an event the public pages do not show but the group's members may see (a
private event or a draft, not deleted) is in it. The member's space (/app/) reads those with one
short Query however many public events the group has; filtered out of gsi1, the same events cost
a read of every public one (1 MB pages). Items written before gsi3 existed get their key from
`affiche reindex-events` (store/backup.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from affiche.domain.group_activity import group_concerned
from affiche.domain.model import (
    Account,
    Activity,
    Actor,
    ActorKey,
    AuditEntry,
    CalendarFeed,
    Comment,
    Discussion,
    DiscussionFollow,
    DiscussionReply,
    Event,
    Follow,
    InstanceSettings,
    Membership,
    OutgoingMail,
    Participation,
    Post,
    Record,
    Report,
    Resource,
    Session,
    Token,
)

MAIN = "A"
STAFF_ROLES = ("moderator", "admin")  # the instance roles listed by ROLE#{role}
KINDS: dict[str, type[Record]] = {
    cls.kind: cls for cls in (Account, Actor, ActorKey, Event, Post, Membership, Activity, Session, Token,
                                 InstanceSettings, Follow)
}
KINDS[Comment.kind] = Comment
KINDS.update({cls.kind: cls for cls in (Participation, CalendarFeed)})
KINDS.update({cls.kind: cls for cls in (Discussion, DiscussionReply, DiscussionFollow)})
KINDS[Resource.kind] = Resource
KINDS[AuditEntry.kind] = AuditEntry
KINDS[Report.kind] = Report
KINDS[OutgoingMail.kind] = OutgoingMail


@dataclass(frozen=True)
class Keys:
    pk: str
    sk: str
    gsi1pk: str | None = None
    gsi1sk: str | None = None
    gsi2pk: str | None = None
    gsi2sk: str | None = None
    gsi3pk: str | None = None
    gsi3sk: str | None = None
    expires: datetime | None = None

    def attributes(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def primary_key(cls: type[Record], key: str) -> tuple[str, str]:
    """pk/sk of the entity of type `cls` identified by `key` (see `entity_key`)."""
    if cls is Membership:
        group, member = key.split("|", 1)
        return f"ACTOR#{group}", f"MEMBER#{member}"
    if cls is Follow:
        group, follower = key.split("|", 1)
        return f"ACTOR#{group}", f"FOLLOWER#{follower}"
    if cls is ActorKey:
        return f"ACTOR#{key}", "KEY"
    if cls is Participation:
        uuid, participant = key.split("|", 1)
        return f"EVENT#{uuid}", f"PARTICIPANT#{participant}"
    if cls in DISCUSSION_KINDS:
        return _discussion_primary_key(cls, key)
    prefix = {Account: "ACCOUNT", Actor: "ACTOR", Event: "EVENT", Post: "POST",
              Activity: "ACTIVITY", Session: "SESSION", Token: "TOKEN",
              InstanceSettings: "INSTANCE", Comment: "COMMENT", CalendarFeed: "FEED",
              Resource: "RESOURCE", AuditEntry: "AUDIT", Report: "REPORT",
              OutgoingMail: "OUTGOING"}[cls]
    return f"{prefix}#{key}", MAIN


def entity_key(entity: Record) -> str:
    """The one string identifying an entity of its type."""
    match entity:
        case Account() | Activity() | Comment() | AuditEntry() | Report() | OutgoingMail():
            return entity.id
        case Actor() | ActorKey():
            return entity.name
        case Discussion() | Resource():
            return entity.id
        case Event():
            return entity.uuid
        case Post():
            return entity.slug
        case Membership() | Follow() | Participation() | DiscussionReply() | DiscussionFollow():
            return entity.key
        case CalendarFeed():
            return entity.token_hash
        case Session() | Token():
            return entity.token_hash
        case InstanceSettings():
            return InstanceSettings.key
    raise TypeError(f"no key for {type(entity).__name__}")


def keys_for(entity: Record) -> Keys:
    pk, sk = primary_key(type(entity), entity_key(entity))
    if isinstance(entity, Participation | CalendarFeed | Comment | Discussion
                  | DiscussionReply | DiscussionFollow | Resource | AuditEntry | Report
                  | Account | OutgoingMail | ActorKey):
        return _content_keys(entity, pk, sk)
    match entity:
        case Actor():
            return Keys(
                pk, sk,
                gsi1pk=f"ACCOUNT#{entity.account_id}" if entity.account_id else None,
                gsi1sk=entity.name if entity.account_id else None,
                gsi2pk="GROUPS" if entity.is_group and entity.listed else None,
                gsi2sk=entity.name if entity.is_group and entity.listed else None,
            )
        case Event():
            when = f"{entity.begins_on.isoformat()}#{entity.uuid}"
            members = _members_agenda(entity)
            return Keys(pk, sk, gsi1pk=f"GROUP#{entity.group}#EVENTS", gsi1sk=when,
                        gsi2pk=_agenda(entity), gsi2sk=when if _agenda(entity) else None,
                        gsi3pk=members, gsi3sk=when if members else None)
        case Post():
            when = f"{entity.published_at.isoformat()}#{entity.slug}"
            listed = entity.visibility == "public" and not entity.deleted and not entity.draft
            return Keys(pk, sk, gsi1pk=f"GROUP#{entity.group}#POSTS", gsi1sk=when,
                        gsi2pk="POSTS" if listed else None, gsi2sk=when if listed else None)
        case Membership():
            return Keys(pk, sk, gsi1pk=f"MEMBER#{entity.member}", gsi1sk=entity.group)
        case Follow():
            return Keys(pk, sk, gsi1pk=f"FOLLOWING#{entity.follower}", gsi1sk=entity.followed)
        case Activity():
            when = f"{entity.published.isoformat()}#{entity.id}"
            group = group_concerned(entity)
            return Keys(pk, sk, gsi1pk=f"OUTBOX#{entity.actor}", gsi1sk=when,
                        gsi2pk=f"GROUP#{group}#ACTIVITY" if group else None,
                        gsi2sk=when if group else None)
        case Session():
            # Listed per account so a password reset or account deletion closes every session.
            return Keys(pk, sk, gsi1pk=f"SESSIONS#{entity.account_id}",
                        gsi1sk=f"{entity.created_at.isoformat()}#{entity.token_hash}",
                        expires=entity.expires_at)
        case Token():
            # Listed per account so deleting an account leaves none of its tokens behind.
            return Keys(pk, sk, gsi1pk=f"TOKENS#{entity.account_id}",
                        gsi1sk=f"{entity.purpose}#{entity.token_hash}", expires=entity.expires_at)
    return Keys(pk, sk)


def _account_keys(entity: Account, pk: str, sk: str) -> Keys:
    if entity.role not in STAFF_ROLES:
        return Keys(pk, sk)  # sparse: plain users are in no listing
    # The instance's moderators and administrators, listed without a scan of the accounts (each
    # new report mails them).
    return Keys(pk, sk, gsi1pk=f"ROLE#{entity.role}", gsi1sk=entity.id)


def _content_keys(entity: Record, pk: str, sk: str) -> Keys:
    if isinstance(entity, Account):
        return _account_keys(entity, pk, sk)
    if isinstance(entity, Discussion | DiscussionReply | DiscussionFollow):
        return _discussion_keys(entity, pk, sk)
    if isinstance(entity, Resource):
        return _resource_keys(entity, pk, sk)
    if isinstance(entity, ActorKey):  # a deleted actor's, once its Delete is out
        return Keys(pk, sk, expires=entity.expires_at)
    if isinstance(entity, OutgoingMail):
        # Listed so that what the stream has not sent yet can be found (tests, operators).
        return Keys(pk, sk, gsi1pk="OUTGOING_MAIL",
                    gsi1sk=f"{entity.created_at.isoformat()}#{entity.id}",
                    expires=entity.expires_at)
    assert isinstance(entity, Participation | CalendarFeed | Comment | AuditEntry | Report)
    return _event_content_keys(entity, pk, sk)


def _event_content_keys(entity: Participation | CalendarFeed | Comment | AuditEntry | Report,
                        pk: str, sk: str) -> Keys:
    if isinstance(entity, Report):
        # Moderators list reports by state, newest first (the queue of open ones above all).
        return Keys(pk, sk, gsi1pk=f"REPORTS#{entity.state}",
                    gsi1sk=f"{entity.created_at.isoformat()}#{entity.id}")
    if isinstance(entity, AuditEntry):
        # One partition lists the whole log by time; no TTL: the log is kept forever.
        return Keys(pk, sk, gsi1pk="AUDIT", gsi1sk=f"{entity.at.isoformat()}#{entity.id}")
    if isinstance(entity, Comment):
        # One query lists an event's comments, oldest first (threads are built in memory).
        return Keys(pk, sk, gsi1pk=f"EVENT#{entity.event}#COMMENTS",
                    gsi1sk=f"{entity.created_at.isoformat()}#{entity.id}")
    if isinstance(entity, CalendarFeed):
        return Keys(pk, sk, gsi1pk=f"FEEDS#{entity.profile}", gsi1sk=entity.token_hash)
    # A person's participations, by the event's start (their agenda, their ICS feed).
    begins = entity.begins_on.isoformat() if entity.begins_on else ""
    return Keys(pk, sk, gsi1pk=f"PARTICIPATING#{entity.participant}",
                gsi1sk=f"{begins}#{entity.event}")


DISCUSSION_KINDS = (Discussion, DiscussionReply, DiscussionFollow)


def _discussion_primary_key(cls: type[Record], key: str) -> tuple[str, str]:
    """A thread, its replies and its followers share the partition DISCUSSION#{id}: deleting a
    thread finds everything of it in one query."""
    if cls is DiscussionFollow:
        discussion, follower = key.split("|", 1)
        return f"DISCUSSION#{discussion}", f"FOLLOWER#{follower}"
    if cls is DiscussionReply:
        discussion, reply = key.split("|", 1)
        return f"DISCUSSION#{discussion}", f"REPLY#{reply}"
    return f"DISCUSSION#{key}", MAIN


def _discussion_keys(entity: Discussion | DiscussionReply | DiscussionFollow, pk: str,
                     sk: str) -> Keys:
    if isinstance(entity, Discussion):
        # The group's list, most recently active first; a deleted thread leaves it, so pages of
        # the list are always full.
        if entity.deleted:
            return Keys(pk, sk)
        return Keys(pk, sk, gsi1pk=f"GROUP#{entity.group}#DISCUSSIONS",
                    gsi1sk=f"{entity.last_reply_at.isoformat()}#{entity.id}")
    if isinstance(entity, DiscussionReply):
        # A remote member's message is also found by its Note id: their Update and Delete
        # name only that (a Delete often without the discussion).
        note = f"NOTE#{entity.ap_id}" if entity.ap_id else None
        return Keys(pk, sk, gsi1pk=f"DISCUSSION#{entity.discussion}#REPLIES",
                    gsi1sk=f"{entity.created_at.isoformat()}#{entity.id}",
                    gsi2pk=note, gsi2sk=entity.key if note else None)
    return Keys(pk, sk)


def resource_folder_partition(group: str, parent: str | None) -> str:
    return f"GROUP#{group}#RESOURCES#{parent or '/'}"


def _resource_keys(entity: Resource, pk: str, sk: str) -> Keys:
    # One query lists a folder, folders first then by title (case-insensitive); a second index
    # lists the whole group's resources by last change (the dashboard's "latest resources").
    order = f"{0 if entity.is_folder else 1}#{entity.title.casefold()[:200]}#{entity.id}"
    return Keys(pk, sk, gsi1pk=resource_folder_partition(entity.group, entity.parent),
                gsi1sk=order, gsi2pk=f"GROUP#{entity.group}#RESOURCES",
                gsi2sk=f"{entity.updated_at.isoformat()}#{entity.id}")


def _agenda(event: Event) -> str | None:
    """The instance-wide index by start time an event sits in: EVENTS for listed ones (home,
    /events/, tags), OTHER_EVENTS for the unlisted and private ones that still take place (the
    reminders and the clock find them there; no public listing reads it); none for drafts,
    deleted events and copies of remote ones."""
    if event.listed:
        return "EVENTS"
    if event.deleted or event.draft or event.is_remote:
        return None
    return "OTHER_EVENTS"


def members_agenda_partition(group: str) -> str:
    return f"GROUP#{group}#MEMBERS_EVENTS"


def _members_agenda(event: Event) -> str | None:
    """The group's index (gsi3) of what only its members see: private events and drafts, which
    `event_lifecycle.members_events` lists; none for what anyone may read (public and unlisted
    events, shown by the public pages and the agenda of followed groups) nor deleted events."""
    if event.deleted or event.is_public:
        return None
    return members_agenda_partition(event.group)


def claim_key(claim: str) -> tuple[str, str]:
    return f"CLAIM#{claim}", MAIN
