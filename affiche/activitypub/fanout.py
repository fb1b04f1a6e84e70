"""Fan-out: which ActivityStreams documents one recorded activity sends, and to which inboxes.

Called by the outbox's stream consumer for each new Activity (DESIGN.md §9: effects after the
commit come from the stream); `plan` decides, `fan_out` hands each delivery to
`affiche.activitypub.delivery.enqueue` (one queue message per distinct inbox). Nothing is sent
from a request.

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
- Update / Delete of a group's own actor -> its remote followers (they refresh their copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.domain.model import Activity, Actor, Event, Follow, Post, is_remote_name
from affiche.domain.ports import Repository

SHAREABLE = frozenset({"public", "unlisted"})
CONTENT_KINDS = frozenset({"event", "post"})


@dataclass(frozen=True)
class Delivery:
    activity: dict[str, Any]
    sender: str  # the local actor whose key signs it
    inboxes: tuple[str, ...]


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
    obj = activity.object
    ids = {"event": lambda: urls.event(activity.object_key),
           "post": lambda: urls.post(activity.object_key),
           "actor": lambda: urls.actor(activity.object_key)}
    former = {"event": "Event", "post": "Article", "actor": str(obj.get("type", "Person"))}
    return {"id": ids[activity.object_kind](), "type": "Tombstone",
            "formerType": former[activity.object_kind]}


def _object(urls: ap.Urls, activity: Activity) -> dict[str, Any]:
    if activity.object_kind == "event":
        return ap.event_object(urls, Event.from_dict(activity.object), activity.audience)
    if activity.object_kind == "post":
        return ap.post_object(urls, Post.from_dict(activity.object), activity.audience)
    doc = ap.actor_document(urls, Actor.from_dict(activity.object))
    doc.pop("@context", None)
    return doc


def _content(repo: Repository, urls: ap.Urls, activity: Activity) -> list[Delivery]:
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


def _follow(repo: Repository, urls: ap.Urls, activity: Activity) -> list[Delivery]:
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


def _actor(repo: Repository, urls: ap.Urls, activity: Activity) -> list[Delivery]:
    if activity.type not in {"Update", "Delete"} or activity.object.get("type") != "Group":
        return []
    inboxes = tuple(remote_follower_inboxes(repo, activity.object_key))
    if not inboxes:
        return []
    obj = _tombstone(urls, activity) if activity.type == "Delete" else _object(urls, activity)
    return [Delivery(ap.activity_document(urls, activity, obj), activity.object_key, inboxes)]


def plan(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    """The deliveries `activity` causes (none for most activities)."""
    if is_remote_name(activity.actor) and activity.object_kind != "follow":
        return []  # remote actors speak for themselves
    if activity.object_kind in CONTENT_KINDS and activity.type in {"Create", "Update", "Delete"}:
        return _content(repo, urls, activity)
    if activity.object_kind == "follow":
        return _follow(repo, urls, activity)
    if activity.object_kind == "actor":
        return _actor(repo, urls, activity)
    return []


def fan_out(activity: Activity, *, repo: Repository, urls: ap.Urls,
            queue: Any = None) -> int:
    """Queue every delivery of `activity`; returns how many queue messages were sent."""
    from affiche.activitypub.delivery import enqueue

    return sum(enqueue(d.activity, sender=d.sender, inboxes=d.inboxes, queue=queue)
               for d in plan(activity, repo, urls))
