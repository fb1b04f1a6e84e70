"""Building the Activity that accompanies every public change (DESIGN.md principle 1)."""

from __future__ import annotations

from affiche.domain import rules
from affiche.domain.context import Ports
from affiche.domain.model import Activity, Record


def new(ports: Ports, type_: str, actor: str, obj: Record, key: str, *, audience: str,
        target: str | None = None) -> Activity:
    snapshot = obj.to_dict()
    snapshot.pop("version", None)
    # Which account owns a profile is private, and the activity log outlives the account (an
    # account deletion keeps its profiles' history): the owner never enters a snapshot.
    snapshot.pop("account_id", None)
    return Activity(id=rules.new_id(), type=type_, actor=actor, object_kind=obj.kind,
                    object_key=key, published=ports.clock.now(), audience=audience,
                    object=snapshot, target=target)


#: Set in the snapshot of an activity that brings back what answered 410 (content a moderator
#: restored, an actor whose suspension ended): the outbox then lifts the Gone markers
#: (affiche/publish/tombstones.lifted) and the mail rules stay quiet (nothing new happened).
RESTORED = "restored"


def restoring(activity: Activity) -> Activity:
    activity.object[RESTORED] = True
    return activity


def is_restoring(activity: Activity) -> bool:
    return bool(activity.object.get(RESTORED))
