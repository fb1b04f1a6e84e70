"""Fan-out: which ActivityStreams documents one recorded activity sends, and to which inboxes.

Called by the outbox's stream consumer for each new Activity (DESIGN.md §9: effects after the
commit come from the stream); `plan` decides, `fan_out` hands each delivery to
`affiche.activitypub.delivery.enqueue` (one queue message per distinct inbox). Nothing is sent
from a request. Each entity kind registers its planner (`register_planner`), and group content
(events, posts) registers with `register_content` (comments plan their own, in
comment_fanout.py), so a new kind edits no switch here.

What goes out:
- Create / Update / Delete of a public or unlisted event or post -> the group's remote followers
  (their servers' shared inboxes, each once). Members-only and private things never go to
  followers; an event or post that *becomes* members-only is withdrawn from them with a Delete.
- An activity a member performs in a group (actor = a person, e.g. a comment) is relayed by the
  group as `Announce{Create}` (FEP-1b12, what Lemmy and Mobilizon read) *and* a plain `Announce`
  of the object, because Mastodon ignores the first and treats the second as a boost.
- The group's `Accept` of a remote Follow -> the follower, echoing its Follow (Mastodon matches
  the Accept to its pending follow by the echoed id).
- One of our people's `Follow` / `Undo{Follow}` of a remote group -> that group's inbox.
- Update / Delete of a group's own actor -> its remote followers and members (they refresh their
  copy); a suspended group is a Delete.
- A suspended or deleted person: Delete of each Note they federated and of the Person
  (suspension_fanout.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.domain.model import Activity, Actor, Event, Follow, Post, is_remote_name
from affiche.domain.ports import Repository

SHAREABLE = frozenset({"public", "unlisted"})


@dataclass(frozen=True)
class Delivery:
    activity: dict[str, Any]
    sender: str  # the local actor whose key signs it
    inboxes: tuple[str, ...]


# --- kinds register themselves (DESIGN.md §9) ----------------------------------------------------

Planner = Callable[[Activity, Repository, ap.Urls], list["Delivery"]]


@dataclass(frozen=True)
class ContentKind:
    """A kind of group content sent to the group's followers: how to write its object, its id
    (for the Tombstone of a Delete) and the type a Tombstone says it was."""

    to_object: Callable[[ap.Urls, Activity], dict[str, Any]]
    object_id: Callable[[ap.Urls, str], str]
    former_type: str


_planners: dict[str, Planner] = {}
CONTENT: dict[str, ContentKind] = {}
#: Modules (dotted paths) that register planners or content kinds of their own: imported by
#: `plan` on first use, like the inbound handlers' HANDLER_MODULES.
PLANNER_MODULES: tuple[str, ...] = ("affiche.activitypub.participation_fanout",
                                   "affiche.activitypub.comment_fanout",
                                   "affiche.activitypub.report_fanout",
                                   "affiche.activitypub.membership_fanout",
                                   "affiche.activitypub.discussion_fanout")
_loaded = False
#: Kinds whose activities by a remote actor still send something: our answer to them, or (a
#: remote member's discussion message) the group's relay to its other remote members.
ANSWERED: frozenset[str] = frozenset({"follow", "participation", "membership",
                                      "discussion_reply"})


def register_planner(kind: str) -> Callable[[Planner], Planner]:
    """Decorator: `fn` plans the deliveries of activities about entities of `kind`."""

    def decorate(fn: Planner) -> Planner:
        if kind in _planners and _planners[kind] is not fn:
            raise ValueError(f"{kind} already has a fan-out planner")
        _planners[kind] = fn
        return fn

    return decorate


def register_content(kind: str, content: ContentKind) -> None:
    """`kind` is group content: Create/Update/Delete go to the group's followers."""
    CONTENT[kind] = content
    register_planner(kind)(_content)


def _load() -> None:
    global _loaded
    if not _loaded:
        for name in PLANNER_MODULES:
            importlib.import_module(name)
        _loaded = True


def remote_follower_inboxes(repo: Repository, group: str) -> list[str]:
    """Inboxes of the group's accepted remote followers: shared inboxes first choice, each once."""
    inboxes: list[str] = []
    for item in repo.followers_of(group):
        if item.state != "accepted" or not is_remote_name(item.follower):
            continue
        follower = repo.get(Actor, item.follower)
        inbox = follower.delivery_inbox if follower and not follower.deleted else None
        if inbox:
            inboxes.append(inbox)
    return list(dict.fromkeys(inboxes))


def _tombstone(urls: ap.Urls, activity: Activity) -> dict[str, Any]:
    kind = CONTENT[activity.object_kind]
    return {"id": kind.object_id(urls, activity.object_key), "type": "Tombstone",
            "formerType": kind.former_type}


def _object(urls: ap.Urls, activity: Activity) -> dict[str, Any]:
    return CONTENT[activity.object_kind].to_object(urls, activity)


def _content(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    if activity.type not in {"Create", "Update", "Delete"}:
        return []
    group = str(activity.object.get("group") or activity.target or activity.actor)
    inboxes = tuple(remote_follower_inboxes(repo, group))
    if not inboxes:
        return []
    if activity.audience not in SHAREABLE:
        if activity.type != "Update":
            return []  # never shown to followers: nothing to withdraw either
        # It became members-only: withdraw what followers were sent, say nothing of the rest.
        doc = ap.activity_document(urls, activity, _tombstone(urls, activity))
        doc.update(type="Delete", id=doc["id"] + "#withdrawn", to=[ap.PUBLIC], cc=[])
        return [Delivery(doc, group, inboxes)]
    obj = _tombstone(urls, activity) if activity.type == "Delete" else _object(urls, activity)
    doc = ap.activity_document(urls, activity, obj)
    if activity.actor == group:
        return [Delivery(doc, group, inboxes)]
    return _relayed(urls, activity, doc, group, inboxes)


def _relayed(urls: ap.Urls, activity: Activity, doc: dict[str, Any], group: str,
             inboxes: tuple[str, ...]) -> list[Delivery]:
    """A member's activity, re-sent by the group (FEP-1b12) and boosted for Mastodon."""
    group_url = urls.actor(group)
    followers = group_url + "followers"
    wrapper = {"@context": ap.CONTEXT, "actor": group_url, "type": "Announce",
               "to": [ap.PUBLIC], "cc": [followers]}
    inner = {k: v for k, v in doc.items() if k != "@context"}
    object_id = inner["object"]["id"] if isinstance(inner["object"], dict) else inner["object"]
    return [Delivery({**wrapper, "id": doc["id"] + "#announce", "object": inner}, group, inboxes),
            Delivery({**wrapper, "id": doc["id"] + "#boost", "object": object_id}, group,
                     inboxes)]


def _follow_document(urls: ap.Urls, follow: Follow) -> dict[str, Any]:
    """The Follow as its sender wrote it: theirs (remote follower) or ours (local follower)."""
    follower = follow.follower if is_remote_name(follow.follower) else urls.actor(follow.follower)
    followed = follow.followed if is_remote_name(follow.followed) else urls.actor(follow.followed)
    follow_id = follow.activity_id or ""
    if follow_id and not is_remote_name(follow_id):
        follow_id = urls.activity(follow_id)
    return {"id": follow_id, "type": "Follow", "actor": follower, "object": followed}


@register_planner("follow")
def _follow(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    follow = Follow.from_dict(activity.object)
    base = {"@context": ap.CONTEXT, "id": urls.activity(activity.id)}
    if activity.type == "Accept" and is_remote_name(follow.follower):
        follower = repo.get(Actor, follow.follower)
        if follower is None or not follower.inbox:
            return []
        doc = {**base, "type": "Accept", "actor": urls.actor(follow.followed),
               "object": _follow_document(urls, follow), "to": [follow.follower]}
        return [Delivery(doc, follow.followed, (follower.inbox,))]
    if activity.type in {"Follow", "Undo"} and is_remote_name(follow.followed) and not (
            is_remote_name(follow.follower)):
        group = repo.get(Actor, follow.followed)
        if group is None or not group.inbox:
            return []
        if activity.type == "Follow":
            doc = {**base, **_follow_document(urls, follow), "to": [follow.followed]}
            doc["id"] = urls.activity(activity.id)
        else:
            doc = {**base, "type": "Undo", "actor": urls.actor(follow.follower),
                   "object": _follow_document(urls, follow), "to": [follow.followed]}
        return [Delivery(doc, follow.follower, (group.inbox,))]
    return []


@register_planner("actor")
def _actor(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    if activity.object.get("type") == "Person":
        from affiche.activitypub import suspension_fanout

        if activity.type == "Delete":
            return suspension_fanout.plan_person_deletion(activity, repo, urls)
        if activity.type == "Update":
            return suspension_fanout.plan_person_suspension(activity, repo, urls)
        return []
    if activity.type not in {"Update", "Delete"} or activity.object.get("type") != "Group":
        return []
    inboxes = tuple(dict.fromkeys([*remote_follower_inboxes(repo, activity.object_key),
                                   *_remote_member_inboxes(repo, activity.object_key)]))
    if not inboxes:
        return []
    # A suspended group is gone for its followers (as Mastodon federates a suspension); when
    # restored, its document is sent again as an Update.
    gone = activity.type == "Delete" or bool(activity.object.get("suspended"))
    if gone:
        obj: dict[str, Any] = {"id": urls.actor(activity.object_key), "type": "Tombstone",
                               "formerType": "Group"}
    else:
        obj = ap.actor_document(urls, Actor.from_dict(activity.object))
        obj.pop("@context", None)
    doc = ap.activity_document(urls, activity, obj)
    if activity.actor != activity.object_key:  # an administrator's change: the group says it
        doc.update(actor=urls.actor(activity.object_key), to=[ap.PUBLIC],
                   cc=[urls.actor(activity.object_key) + "followers"])
    if gone:
        doc["type"] = "Delete"
    return [Delivery(doc, activity.object_key, inboxes)]


def _remote_member_inboxes(repo: Repository, group: str) -> list[str]:
    # Remote members hold the group too (Mobilizon federates a group's suspension to them).
    from affiche.activitypub.discussion_fanout import remote_member_inboxes

    return list(remote_member_inboxes(repo, group).values())


register_content("event", ContentKind(
    lambda urls, a: ap.event_object(urls, Event.from_dict(a.object), a.audience),
    lambda urls, key: urls.event(key), "Event"))
register_content("post", ContentKind(
    lambda urls, a: ap.post_object(urls, Post.from_dict(a.object), a.audience),
    lambda urls, key: urls.post(key), "Article"))


def plan(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    """The deliveries `activity` causes (none for most activities)."""
    _load()
    if is_remote_name(activity.actor) and activity.object_kind not in ANSWERED:
        return []  # remote actors speak for themselves
    planner = _planners.get(activity.object_kind)
    return planner(activity, repo, urls) if planner else []


def fan_out(activity: Activity, *, repo: Repository, urls: ap.Urls,
            queue: Any = None) -> int:
    """Queue every delivery of `activity`; returns how many queue messages were sent."""
    from affiche.activitypub.delivery import enqueue

    return sum(enqueue(d.activity, sender=d.sender, inboxes=d.inboxes, queue=queue)
               for d in plan(activity, repo, urls))
