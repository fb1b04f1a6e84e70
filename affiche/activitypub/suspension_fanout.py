"""What remote servers are told when an administrator suspends one of our people, or when a
person deletes their account or one of their profiles.

Suspending hides a profile here (affiche/domain/administration.py) and records one `Update` of
the Person with `suspended: true`. Remote servers still hold what the person federated: their
public comments (`Note`s sent to the group's followers and to the people they answered) and
their replies in group discussions (sent to the group's remote members). As Mastodon does on a
suspension, they are told to drop it all, from the change stream (fanout.plan), never inline:

- a `Delete{Tombstone}` of each comment and discussion reply still standing, planned by the
  kind's own planner exactly as the author's own deletion would be, so it reaches the inboxes
  that received the Note and no other;
- then a `Delete` of the Person actor itself (object and actor: the Person, as Mastodon sends
  it) to every inbox that received something of theirs, and to the remote groups they follow or
  belong to.

Restoring is a new start for remote servers: having applied the Delete, they forget the actor and
its Notes. Nothing is sent on restore; they fetch the actor again (its page is back) the next time
the person acts, and the Notes deleted over there stay deleted (they are still here, shown again).
The activity ids are derived from the suspension's, so a retried stream record sends the same ids
and receivers de-duplicate them.

A deletion (the profile's own `Delete`, recorded by domain/retirement.py) sends the same: what
Mastodon sends when an account is deleted. The profile's private key outlives it for that
(retirement.KEY_OUTLIVES_ACTOR); the Notes stay here under "Deleted profile", as the group's
content they answer does.
"""

from __future__ import annotations

from typing import Any

from affiche.activitypub import vocabulary as ap
from affiche.activitypub.fanout import Delivery
from affiche.domain import rules
from affiche.domain.model import (
    Activity,
    Actor,
    Comment,
    DiscussionReply,
    Record,
    is_remote_name,
)
from affiche.domain.ports import Repository

#: What a person federates as Notes, by kind: withdrawn on suspension.
WITHDRAWN: dict[str, type[Record]] = {"comment": Comment, "discussion_reply": DiscussionReply}
#: How far back the person's outbox is read (their whole history in practice).
HISTORY_LIMIT = 10_000


def _standing(repo: Repository, person: str) -> list[tuple[Activity, Record]]:
    """The person's Creates of federated kinds whose object still stands here, oldest first."""
    found: dict[tuple[str, str], tuple[Activity, Record]] = {}
    for created in reversed(repo.outbox(person, limit=HISTORY_LIMIT)):
        cls = WITHDRAWN.get(created.object_kind)
        if created.type != "Create" or cls is None:
            continue
        current = repo.get(cls, created.object_key)
        if current is not None and not getattr(current, "deleted", False):
            found[(created.object_kind, created.object_key)] = (created, current)
    return list(found.values())


def _withdrawal(suspension: Activity, created: Activity, current: Record) -> Activity:
    snapshot = current.to_dict()
    snapshot.pop("version", None)
    snapshot.update(text_source="", text_html="")  # a Tombstone goes out: no text is needed
    suffix = rules.digest(f"{created.object_kind}#{created.object_key}")[:16]
    return Activity(id=f"{suspension.id}-{suffix}", type="Delete", actor=created.actor,
                    object_kind=created.object_kind, object_key=created.object_key,
                    published=suspension.published, audience=created.audience,
                    object=snapshot, target=created.target)


def _groups_of(repo: Repository, person: str) -> list[str]:
    """Inboxes of the remote groups the person follows or belongs to."""
    names = [f.followed for f in repo.following_of(person)]
    names += [m.group for m in repo.memberships_of(person)]
    inboxes = []
    for name in dict.fromkeys(n for n in names if is_remote_name(n)):
        group = repo.get(Actor, name)
        inbox = group.delivery_inbox if group is not None and not group.deleted else None
        if inbox:
            inboxes.append(inbox)
    return inboxes


def plan_person_suspension(activity: Activity, repo: Repository,
                           urls: ap.Urls) -> list[Delivery]:
    """The deliveries of one of our people's suspension (an `Update` with `suspended: true`)."""
    if (activity.type != "Update" or not activity.object.get("suspended")
            or activity.actor == activity.object_key):
        return []  # restored, or the person's own edit: nothing to send (see above)
    return _person_gone(activity, repo, urls)


def plan_person_deletion(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    """The deliveries of one of our people's deletion (the profile's own `Delete`)."""
    if activity.type != "Delete" or activity.actor != activity.object_key:
        return []
    return _person_gone(activity, repo, urls)


def _person_gone(activity: Activity, repo: Repository, urls: ap.Urls) -> list[Delivery]:
    """Delete each Note of the person where it went, then the person, wherever they are known."""
    from affiche.activitypub.fanout import plan

    person = activity.object_key
    deliveries: list[Delivery] = []
    for created, current in _standing(repo, person):
        deliveries += plan(_withdrawal(activity, created, current), repo, urls)
    reached = [inbox for d in deliveries for inbox in d.inboxes]
    inboxes = tuple(dict.fromkeys([*reached, *_groups_of(repo, person)]))
    if inboxes:
        actor = urls.actor(person)
        doc: dict[str, Any] = {"@context": ap.CONTEXT, "type": "Delete",
                               "id": urls.activity(activity.id) + "#delete-actor",
                               "actor": actor, "object": actor, "to": [ap.PUBLIC],
                               "published": activity.published.isoformat()}
        deliveries.append(Delivery(doc, person, inboxes))
    return deliveries
