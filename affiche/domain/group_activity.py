"""A group's activity: what changed in it (events, posts, discussions, resources, members,
settings), who did it and when, newest first, for its members (Mobilizon's group timeline).

The source is the Activity every change already records (DESIGN.md principle 1): an activity
concerns a group when its snapshot names a local `group` (events, posts, memberships,
resources, and any later kind that does the same) or when it is the group's own actor. The
store indexes those under the group (affiche/store/keys.py, gsi2 GROUP#{group}#ACTIVITY), so
the page reads one query per page whoever acted: membership activities are recorded under the
acting person or the group, comments and participations name no group and stay out.

How an entry reads is a small registry of phrasings by (object_kind, type), which other kinds
extend with `register`; an unknown pair gets a generic phrase, so a new kind shows up at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, PermissionDenied
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Activity, Actor, is_remote_name
from affiche.domain.roles import allowed, authorize

PAGE_SIZE = 20


def group_concerned(activity: Activity) -> str | None:
    """The local group `activity` belongs to the timeline of, if any."""
    obj = activity.object
    if activity.object_kind == "actor":
        return activity.object_key if obj.get("type") == "Group" else None
    group = obj.get("group")
    if isinstance(group, str) and group and not is_remote_name(group):
        return group
    return None


# --- phrasings -----------------------------------------------------------------------------------

Phrase = Callable[[Activity], str]
PHRASES: dict[tuple[str, str], Phrase] = {}


def register(object_kind: str, type_: str, phrase: str | Phrase) -> None:
    """How an activity of `type_` about an `object_kind` reads after its author's name.
    A string may name {title} (the object's title or name) and {member} (a membership's)."""
    PHRASES[(object_kind, type_)] = phrase if callable(phrase) else _template(phrase)


def _template(text: str) -> Phrase:
    return lambda activity: text.format(title=title_of(activity), member=_member(activity))


def title_of(activity: Activity) -> str:
    obj = activity.object
    for name in ("title", "display_name", "name"):
        value = obj.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _member(activity: Activity) -> str:
    member = str(activity.object.get("member", ""))
    return f"@{member}" if member and not is_remote_name(member) else member


def _generic(activity: Activity) -> str:
    kind = activity.object_kind.replace("_", " ")
    title = title_of(activity)
    verb = {"Create": "created", "Update": "updated", "Delete": "deleted"}.get(
        activity.type, "changed")
    return f"{verb} the {kind} “{title}”" if title else f"{verb} a {kind}"


def _joined(activity: Activity) -> str:
    return "asked to join the group" if activity.object.get("role") == "not_approved" \
        else "joined the group"


def _accepted(activity: Activity) -> str:
    if activity.actor == activity.object.get("member"):
        return "accepted the invitation to join"
    return f"approved the join request of {_member(activity)}"


def _rejected(activity: Activity) -> str:
    if activity.actor == activity.object.get("member"):
        return "declined the invitation to join"
    return f"refused the join request of {_member(activity)}"


for _kind, _label in (("event", "event"), ("post", "post"), ("discussion", "discussion")):
    register(_kind, "Create", f"created the {_label} “{{title}}”")
    register(_kind, "Update", f"updated the {_label} “{{title}}”")
    register(_kind, "Delete", f"deleted the {_label} “{{title}}”")
register("post", "Create", "published the post “{title}”")
register("resource", "Create", "added “{title}” to the resources")
register("resource", "Update", "renamed the resource “{title}”")
register("resource", "Move", "moved the resource “{title}”")
register("resource", "Delete", "deleted the resource “{title}”")
# Recorded under the group itself (the actor is the group): "@club was created".
register("actor", "Create", "was created")
register("actor", "Update", "updated its settings")
register("membership", "Join", _joined)
register("membership", "Invite", "invited {member}")
register("membership", "Accept", _accepted)
register("membership", "Reject", _rejected)
register("membership", "Leave", "left the group")
register("membership", "Remove", "removed {member} from the group")
register("membership", "Update", lambda a: "made {member} {role}".format(
    member=_member(a), role=str(a.object.get("role", "a member"))))


def phrase(activity: Activity) -> str:
    return PHRASES.get((activity.object_kind, activity.type), _generic)(activity)


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One line of the timeline: who did it, what (plain text, escaped by every page), when."""

    activity: Activity
    who: str  # the acting profile's handle (or the group's, for what it did itself)
    what: str

    @property
    def when(self) -> datetime:
        return self.activity.published


@dataclass(frozen=True)
class Timeline:
    entries: list[Entry]
    older: str | None  # the cursor of the next (older) page, None at the end


def author(activity: Activity) -> str:
    """Who did it. Events and posts are published by the group (their activities' actor), but
    their snapshot names the profile that created them: for a Create, that is the person who
    acted. Later edits may be anyone's among the moderators, so they stay the group's."""
    if activity.type == "Create":
        creator = activity.object.get("organizer") or activity.object.get("author")
        if isinstance(creator, str) and creator:
            return creator
    return activity.actor


def entry(activity: Activity, handles: dict[str, str]) -> Entry:
    name = author(activity)
    who = handles.get(name) or (name if is_remote_name(name) else f"@{name}")
    return Entry(activity=activity, who=who, what=phrase(activity))


def hidden_from(activity: Activity, can_see_drafts: bool) -> bool:
    """Drafts are the moderators' business, also in the timeline (Mobilizon's rule)."""
    return bool(activity.object.get("draft")) and not can_see_drafts


def timeline(ports: Ports, actor: Actor, group: str, before: str | None = None,
             per_page: int = PAGE_SIZE) -> Timeline:
    """A page of `group`'s activity for `actor`, a member; `before` is the cursor of the page
    (`Timeline.older` of the previous one). Drafts stay hidden from those who cannot edit."""
    existing_group(ports, group)
    if actor.deleted or actor.is_group:
        raise PermissionDenied("only people can see a group's activity")
    mine = authorize(membership_of(ports, group, actor.name), "view_group_activity")
    if before is not None and not _CURSOR.match(before):
        raise InvalidInput("before must be the cursor of a page of this activity",
                           field="before")
    found = ports.repo.group_activity(group, before=before, limit=per_page + 1)
    page, more = found[:per_page], len(found) > per_page
    drafts = allowed(mine, "edit_event")
    shown = [a for a in page if not hidden_from(a, drafts)]
    names = {author(a) for a in shown if is_remote_name(author(a))}
    handles = {n: a.handle for n in names if (a := ports.repo.get(Actor, n)) is not None}
    older = f"{page[-1].published.isoformat()}#{page[-1].id}" if more and page else None
    return Timeline(entries=[entry(a, handles) for a in shown], older=older)


_CURSOR = re.compile(r"^\d{4}-\d\d-\d\dT[0-9:.+-]+#[0-9a-f-]{1,64}$")
