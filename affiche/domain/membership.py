"""Group membership as a declared state graph (Mobilizon's model: the role *is* the state).

A Membership item's `role` says both what someone may do in a group and where their membership
stands in its flow. Every change of role goes through `TRANSITIONS`, so the whole flow reads at
a glance (the layout follows Takahe's state graphs for follows and memberships):

    (none) --invite--> invited --accept--> member          (an administrator invites)
                          \\------decline--> (none)
    (none) --join----> member                                (open group)
    (none) --request-> not_approved --approve--> member      (moderated group)
                             \\--------reject---> rejected
    rejected --invite--> invited     (a refused person can still be invited, not re-ask)
    member <--make_*--> moderator <--make_*--> administrator (administrators decide)
    member | moderator | administrator | creator --leave--> (none)
    member | moderator | administrator --remove--> (none)

`None` stands for "no Membership item". Declining, leaving and removal delete the item (as
Mobilizon does), so nothing about a former member lingers and they can be invited again. A refused
join request is kept as "rejected" so the same person cannot keep asking the administrators;
only an invitation moves them on. The creator keeps that role until they leave: other
administrators can neither demote nor remove them.

Invariants checked on top of the graph: a group always keeps an administrator (the last one can
neither leave, be demoted nor be removed), and `Actor.member_count` counts the roles in
`roles.MEMBER_ROLES`. Each service commits one ChangeSet: the membership write, a tally of the
group's count and the Activity (DESIGN.md principles 1 and 5). The tally adds to the stored count
atomically and requires the group's `version` as read without bumping it (ports.Tally), so
simultaneous joins of one group all succeed, while a change of the group itself (its openness,
its deletion) made meanwhile fails the commit. A change that could leave the group without an
administrator also puts the group (bumping its version): two administrators leaving at once
cannot both pass the "another administrator remains" check. A failed commit is retried from the
read.

Mail is not sent from here: the recorded activity reaches the change stream's consumer, whose
rule module affiche/notify/rules/membership.py mails the local person concerned (the invitee, the
inviter, the group's administrators, or the member whose membership changed). So a refused or
lost transition sends nothing, and a failing mail server never fails the request (DESIGN.md §9).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Account, Actor, Membership
from affiche.domain.paging import Paged, page_of
from affiche.domain.ports import ChangeSet
from affiche.domain.profiles import acting_profile
from affiche.domain.retry import optimistically
from affiche.domain.roles import ADMIN_ROLES, MEMBER_ROLES, authorize, rank

# (role before, action) -> role after; None is "no Membership item".
TRANSITIONS: dict[tuple[str | None, str], str | None] = {
    # invitations: an administrator invites, the invitee answers
    (None, "invite"): "invited",
    ("rejected", "invite"): "invited",
    ("invited", "accept"): "member",
    ("invited", "decline"): None,
    # asking to join: the group's openness picks "join" (open) or "request" (moderated)
    (None, "join"): "member",
    (None, "request"): "not_approved",
    ("not_approved", "approve"): "member",
    ("not_approved", "reject"): "rejected",
    # roles among members: administrators decide (the creator's role never changes)
    ("member", "make_moderator"): "moderator",
    ("member", "make_administrator"): "administrator",
    ("moderator", "make_member"): "member",
    ("moderator", "make_administrator"): "administrator",
    ("administrator", "make_member"): "member",
    ("administrator", "make_moderator"): "moderator",
    # going away: by oneself, or removed by an administrator
    ("member", "leave"): None,
    ("moderator", "leave"): None,
    ("administrator", "leave"): None,
    ("creator", "leave"): None,
    ("member", "remove"): None,
    ("moderator", "remove"): None,
    ("administrator", "remove"): None,
}

ASSIGNABLE_ROLES = ("member", "moderator", "administrator")
MESSAGE_MAX = 2000

# How a refused transition is explained: "<who> <standing> @<group><hint>".
_STANDING: dict[str | None, str] = {
    None: "is not a member of",
    "rejected": "was refused by",
    "not_approved": "has already asked to join",
    "invited": "is already invited to",
    "member": "is already a member of",
    "moderator": "is already a moderator of",
    "administrator": "is already an administrator of",
    "creator": "is the creator of",
}
_MISSING = {"accept": "has no invitation to join", "decline": "has no invitation to join",
            "approve": "has not asked to join", "reject": "has not asked to join"}
_ONLY_INVITATION = "; only an invitation from an administrator can change that"
_HINTS = {("invited", "join"): "; accept the invitation instead",
          ("invited", "request"): "; accept the invitation instead",
          ("not_approved", "invite"): "; approve the request instead",
          ("not_approved", "request"): "; an administrator will answer it",
          ("rejected", "join"): _ONLY_INVITATION,
          ("rejected", "request"): _ONLY_INVITATION}


def next_role(membership: Membership | None, action: str, group: str, member: str) -> str | None:
    """The role after `action`, or the DomainError explaining why the graph does not allow it."""
    current = membership.role if membership else None
    if (current, action) in TRANSITIONS:
        return TRANSITIONS[(current, action)]
    raise _refusal(current, action, who_is(member), group)


def _refusal(current: str | None, action: str, who: str, group: str) -> DomainError:
    if current is None:
        return NotFound(f"{who} {_MISSING.get(action, 'is not a member of')} @{group}")
    if current == "creator" and (action == "remove" or action.startswith("make_")):
        return PermissionDenied(f"{who} created @{group}: nobody else can remove them or change "
                                "their role (they can leave the group themselves)")
    return Conflict(f"{who} {_STANDING[current]} @{group}{_HINTS.get((current, action), '')}")


def who_is(member: str) -> str:
    return f"@{member}" if is_local(member) else member


def is_local(member: str) -> bool:
    """Local members are profile handles; remote ones are `acct:` or actor URIs."""
    return rules.HANDLE.match(member) is not None


# --- one transition, committed atomically -------------------------------------------------------

@dataclass
class Change:
    """A transition about to be committed: the membership before and after (None: no item)."""

    group: Actor
    before: Membership | None
    after: Membership | None
    activity: str  # Join | Accept | Reject | Invite | Leave | Remove | Update
    actor: str  # local actor name performing the activity (the group or a profile)
    lock_group: bool = False  # bump the group's version (see `locks_group`)

    @property
    def delta(self) -> int:
        return _counts(self.after) - _counts(self.before)

    @property
    def locks_group(self) -> bool:
        """Whether the commit bumps the group's version: when asked, and whenever an
        administrator stops being one, so that two such changes decided on the same read of
        the administrators cannot both commit (a tally alone would let them)."""
        was_admin = self.before is not None and self.before.role in ADMIN_ROLES
        return self.lock_group or (was_admin and (self.after is None
                                                  or self.after.role not in ADMIN_ROLES))

    @property
    def membership(self) -> Membership:
        found = self.after or self.before
        assert found is not None, "a change always concerns one membership"
        return found

    def changeset(self, ports: Ports) -> ChangeSet:
        changes = ChangeSet()
        if self.after is not None:
            changes.put(self.after)
        elif self.before is not None:
            changes.deletes.append(self.before)
        remote = self.group.is_remote  # a remote group's count is its own server's business
        if self.delta and not remote:
            # Atomic: simultaneous joins add up instead of refusing each other (ports.Tally).
            changes.tally(self.group, "member_count", self.delta)
        if self.locks_group and not remote:
            # Putting the group checks and bumps its version: two transitions racing on the
            # same group cannot both commit an administrator set decided from stale reads.
            changes.put(self.group)
        # `target` re-renders the group's public page (its member count) whatever the audience.
        # The activity itself stays "members": who joined or left is members' business, never in
        # a public outbox (DESIGN.md principle 2, tests/functions/test_group_public_output.py).
        changes.record(activities.new(ports, self.activity, self.actor, self.membership,
                                      self.membership.key, audience="members",
                                      target=None if remote else self.group.name))
        return changes


def _counts(membership: Membership | None) -> int:
    return int(membership is not None and membership.role in MEMBER_ROLES)


def _apply(ports: Ports, group_name: str, decide: Callable[[Actor], Change]) -> Change:
    """Read, decide, commit; when a concurrent write wins (Conflict), start again from the read."""
    def attempt() -> Change:
        change = decide(existing_group(ports, group_name))
        ports.repo.commit(change.changeset(ports))
        return change

    return optimistically(attempt)


def _moved(before: Membership, role: str | None, ports: Ports) -> Membership | None:
    return None if role is None else before.evolve(role=role, updated_at=ports.clock.now())


def _admin_count(ports: Ports, group: str) -> int:
    return sum(1 for m in ports.repo.memberships_of_group(group) if m.role in ADMIN_ROLES)


def _keep_an_administrator(ports: Ports, membership: Membership, message: str) -> None:
    if membership.role in ADMIN_ROLES and _admin_count(ports, membership.group) <= 1:
        raise PermissionDenied(message)


# --- invitations ---------------------------------------------------------------------------------

#: Finds a remote person from `@user@host` or their actor URL and returns their actor id (the
#: one key they have here): WebFinger then the actor document, stored (affiche.activitypub.actors).
RemoteResolver = Callable[[str], str]


def invite(ports: Ports, account: Account, group: str, invitee_handle: str,
           profile: str | None = None, *, home_host: str | None = None,
           resolve_remote: RemoteResolver | None = None) -> Membership:
    """Invite a local profile (`name` or `@name`) or a remote person (`@user@host`, actor URL).

    `home_host` is this instance's host, so `@name@home_host` is recognised as local. A remote
    person is stored under their actor id, found by `resolve_remote` before anything is written,
    so an invitation by handle and one by URL name the same member."""
    inviter = acting_profile(ports, account, profile)
    member = invitee(ports, invitee_handle, home_host, resolve_remote)

    def decide(g: Actor) -> Change:
        authorize(membership_of(ports, g.name, inviter.name), "invite_member")
        before = membership_of(ports, g.name, member)
        role = next_role(before, "invite", g.name, member)
        assert role is not None
        now = ports.clock.now()
        after = Membership(group=g.name, member=member, role=role, created_at=now,
                           updated_at=now, invited_by=inviter.name)
        if before is not None:
            after = before.evolve(role=role, updated_at=now, invited_by=inviter.name, message="")
        return Change(g, before, after, "Invite", inviter.name)

    # A remote invitee hears of it from the fan-out (affiche/activitypub/membership_fanout.py)
    # and answers with Accept/Reject{Invite}, read by the inbox (handlers/membership.py).
    return _apply(ports, group, decide).membership


def invitee(ports: Ports, handle: str, home_host: str | None = None,
            resolve_remote: RemoteResolver | None = None) -> str:
    """The member string for an invitee: a local profile name or a remote actor id."""
    value = handle.strip()
    if value.startswith(("http://", "https://")):
        return _remote(rules.http_url(value, "handle"), resolve_remote)
    user, _, host = value.removeprefix("@").partition("@")
    if host and (home_host is None or host.lower() != home_host.lower()):
        return _remote(_remote_account(user, host), resolve_remote)
    name = rules.handle(user, "handle")
    person = ports.repo.get(Actor, name)
    if person is None or person.deleted:
        raise NotFound(f"no profile @{name}")
    if person.is_group:
        raise InvalidInput(f"@{name} is a group; only people can be invited", field="handle")
    return name


_REMOTE_USER = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$")


def _remote_account(user: str, host: str) -> str:
    if not _REMOTE_USER.match(user) or not _HOST.match(host) or "." not in host.split(":")[0]:
        raise InvalidInput("handle must be a local name, @user@host or an actor URL",
                           field="handle")
    return f"@{user.lower()}@{host.lower()}"


def _remote(handle_or_url: str, resolve_remote: RemoteResolver | None) -> str:
    if resolve_remote is None:
        raise InvalidInput("remote people cannot be invited from here", field="handle")
    return resolve_remote(handle_or_url)


def receive_invitation(ports: Ports, inviter: Actor, group: Actor, member: str,
                       activity_id: str | None) -> Membership:
    """A remote group invites one of our profiles (its Invite reached our inbox): the
    invitation waits on the person's page, answered with accept/decline_invitation, whose
    Accept/Reject the fan-out sends back echoing `activity_id`."""
    person = ports.repo.get(Actor, member)
    if person is None or person.deleted or person.is_group or person.is_remote:
        raise NotFound(f"no profile @{member}")
    if not group.is_remote or not group.is_group:
        raise InvalidInput("only a remote group can invite from another server", field="object")

    def decide(g: Actor) -> Change:
        before = membership_of(ports, g.name, member)
        role = next_role(before, "invite", g.name, member)
        assert role is not None
        now = ports.clock.now()
        after = Membership(group=g.name, member=member, role=role, created_at=now,
                           updated_at=now, invited_by=inviter.name, activity_id=activity_id)
        if before is not None:
            after = before.evolve(role=role, updated_at=now, invited_by=inviter.name,
                                  activity_id=activity_id)
        return Change(g, before, after, "Invite", inviter.name)

    return _apply(ports, group.name, decide).membership


def accept_invitation(ports: Ports, account: Account, group: str,
                      profile: str | None = None) -> Membership:
    """The invitee accepts: they become a member (the count changes: public pages re-render)."""
    return accept_invitation_as(ports, acting_profile(ports, account, profile), group)


def accept_invitation_as(ports: Ports, person: Actor, group: str) -> Membership:
    """`person` (a local profile, or a remote actor answering our Invite) accepts."""
    change = _apply(ports, group, lambda g: _answer(ports, g, person.name, "accept", "Accept"))
    return change.membership


def decline_invitation(ports: Ports, account: Account, group: str,
                       profile: str | None = None) -> None:
    """The invitee declines: the invitation is deleted (they may be invited again later)."""
    decline_invitation_as(ports, acting_profile(ports, account, profile), group)


def decline_invitation_as(ports: Ports, person: Actor, group: str) -> None:
    _apply(ports, group, lambda g: _answer(ports, g, person.name, "decline", "Reject"))


def _answer(ports: Ports, group: Actor, member: str, action: str, activity: str) -> Change:
    before = membership_of(ports, group.name, member)
    role = next_role(before, action, group.name, member)
    assert before is not None
    return Change(group, before, _moved(before, role, ports), activity, member)


# --- join requests -------------------------------------------------------------------------------

def request_to_join(ports: Ports, account: Account, group: str, message: str = "",
                    profile: str | None = None) -> Membership:
    """Join an open group at once, or ask a moderated group's administrators to approve."""
    return request_to_join_as(ports, acting_profile(ports, account, profile), group, message)


def request_to_join_as(ports: Ports, me: Actor, group: str, message: str = "") -> Membership:
    """`me` (a local profile, or a remote person whose Join reached our group) asks to join."""
    message = rules.text(message, "message", max_length=MESSAGE_MAX, required=False)

    def decide(g: Actor) -> Change:
        if g.openness == "invite_only":
            raise PermissionDenied("this group only accepts members by invitation")
        action = "join" if g.openness == "open" else "request"
        before = membership_of(ports, g.name, me.name)
        role = next_role(before, action, g.name, me.name)
        assert role is not None
        now = ports.clock.now()
        after = Membership(group=g.name, member=me.name, role=role, created_at=now,
                           updated_at=now, message=message)
        return Change(g, before, after, "Join", me.name)

    return _apply(ports, group, decide).membership


# --- our people in groups of other servers ------------------------------------------------------

def _remote_group(group: Actor) -> Actor:
    if not group.is_remote or not group.is_group or group.deleted:
        raise InvalidInput("this is not a group of another server", field="group")
    return group


def join_remote_group(ports: Ports, me: Actor, group: Actor, message: str = "") -> Membership:
    """One of our people asks to join a group of another server: the membership waits
    (not_approved) for that server's Accept{Join} or Reject{Join}, whatever the group's
    openness, which is its server's to apply. The Join goes out through the fan-out
    (affiche/activitypub/membership_fanout.py), never inline."""
    if me.is_remote or me.is_group or me.deleted:
        raise InvalidInput("only one of our people can join a group of another server")
    _remote_group(group)
    message = rules.text(message, "message", max_length=MESSAGE_MAX, required=False)

    def decide(g: Actor) -> Change:
        before = membership_of(ports, g.name, me.name)
        role = next_role(before, "request", g.name, me.name)
        now = ports.clock.now()
        after = Membership(group=g.name, member=me.name, role=str(role), created_at=now,
                           updated_at=now, message=message)
        return Change(g, before, after, "Join", me.name)

    return _apply(ports, group.name, decide).membership


def remote_join_answered(ports: Ports, group: Actor, member: str,
                         accepted: bool) -> Membership:
    """The remote group answered our person's Join: not_approved -> member (Accept) or
    rejected (Reject). The same answer twice changes nothing; nothing is sent back."""
    _remote_group(group)
    action, settled = ("approve", "member") if accepted else ("reject", "rejected")

    def decide(g: Actor) -> Change:
        before = membership_of(ports, g.name, member)
        if before is not None and before.role == settled:
            raise _Unchanged(before)
        role = next_role(before, action, g.name, member)
        assert before is not None
        return Change(g, before, _moved(before, role, ports), "Accept" if accepted else "Reject",
                      g.name)

    try:
        return _apply(ports, group.name, decide).membership
    except _Unchanged as same:
        return same.membership


def removed_by_remote_group(ports: Ports, group: Actor, member: str) -> None:
    """A remote group removed one of our people (its `Remove`): the membership goes."""
    _remote_group(group)

    def decide(g: Actor) -> Change:
        before = membership_of(ports, g.name, member)
        next_role(before, "remove", g.name, member)
        assert before is not None
        return Change(g, before, None, "Remove", g.name)

    _apply(ports, group.name, decide)


class _Unchanged(Exception):  # a control-flow signal: the same answer came twice
    def __init__(self, membership: Membership) -> None:
        self.membership = membership


def approve_request(ports: Ports, account: Account, group: str, member: str,
                    profile: str | None = None) -> Membership:
    return _review(ports, account, group, member, profile, "approve", "Accept").membership


def reject_request(ports: Ports, account: Account, group: str, member: str,
                   profile: str | None = None) -> Membership:
    return _review(ports, account, group, member, profile, "reject", "Reject").membership


def _review(ports: Ports, account: Account, group: str, member: str, profile: str | None,
            action: str, activity: str) -> Change:
    admin = acting_profile(ports, account, profile)

    def decide(g: Actor) -> Change:
        authorize(membership_of(ports, g.name, admin.name), "review_join_request")
        before = membership_of(ports, g.name, member)
        role = next_role(before, action, g.name, member)
        assert before is not None
        return Change(g, before, _moved(before, role, ports), activity, g.name)

    return _apply(ports, group, decide)


# --- leaving, removal, roles ---------------------------------------------------------------------

def leave(ports: Ports, account: Account, group: str, profile: str | None = None) -> None:
    """Leave a group. The last administrator must first appoint another one."""
    leave_as(ports, acting_profile(ports, account, profile), group)


def leave_as(ports: Ports, me: Actor, group: str) -> None:
    """`me` (a local profile, or a remote member whose Leave reached our group) leaves."""

    def decide(g: Actor) -> Change:
        before = membership_of(ports, g.name, me.name)
        next_role(before, "leave", g.name, me.name)
        assert before is not None
        if not g.is_remote:  # a remote group's administrators are its own server's business
            _keep_an_administrator(ports, before, f"you are the last administrator of "
                                   f"@{g.name}: appoint another administrator before leaving")
        return Change(g, before, None, "Leave", me.name)

    _apply(ports, group, decide)


def remove_member(ports: Ports, account: Account, group: str, member: str,
                  profile: str | None = None) -> None:
    """An administrator removes someone else (to go away yourself, use `leave`)."""
    admin = acting_profile(ports, account, profile)
    if member == admin.name:
        raise PermissionDenied("you cannot remove yourself; leave the group instead")

    def decide(g: Actor) -> Change:
        authorize(membership_of(ports, g.name, admin.name), "remove_member")
        before = membership_of(ports, g.name, member)
        next_role(before, "remove", g.name, member)
        assert before is not None
        _keep_an_administrator(ports, before, f"{who_is(member)} is the last administrator of "
                               f"@{g.name} and cannot be removed")
        return Change(g, before, None, "Remove", g.name)

    _apply(ports, group, decide)


def change_role(ports: Ports, account: Account, group: str, member: str, role: str,
                profile: str | None = None) -> Membership:
    """Make a member a member, moderator or administrator (administrators only)."""
    admin = acting_profile(ports, account, profile)
    role = rules.choice(role, "role", ASSIGNABLE_ROLES)

    def decide(g: Actor) -> Change:
        mine = authorize(membership_of(ports, g.name, admin.name), "change_role")
        if role == "administrator":
            authorize(mine, "appoint_administrator")
        before = membership_of(ports, g.name, member)
        after = next_role(before, f"make_{role}", g.name, member)
        assert before is not None
        if after not in ADMIN_ROLES:
            _keep_an_administrator(ports, before, f"{who_is(member)} is the last administrator "
                                   f"of @{g.name}: appoint another administrator first")
        # lock_group: two administrators demoting each other at once must not both succeed.
        return Change(g, before, _moved(before, after, ports), "Update", g.name, lock_group=True)

    return _apply(ports, group, decide).membership


# --- listings ------------------------------------------------------------------------------------

def members(ports: Ports, group: str) -> list[Membership]:
    """Members proper (roles in MEMBER_ROLES), highest role first, then by name."""
    found = [m for m in ports.repo.memberships_of_group(group) if m.role in MEMBER_ROLES]
    return sorted(found, key=lambda m: (-rank(m.role), m.member))


MEMBERS_PER_PAGE = 20


def members_page(ports: Ports, group: str, page: int = 1,
                 per_page: int = MEMBERS_PER_PAGE) -> Paged[Membership]:
    """One page of `members` (the dashboard, the API): a big group's list stays readable."""
    return page_of(members(ports, group), page, per_page)


def pending_requests(ports: Ports, group: str) -> list[Membership]:
    """Join requests waiting for an administrator, oldest first."""
    found = [m for m in ports.repo.memberships_of_group(group) if m.role == "not_approved"]
    return sorted(found, key=lambda m: m.created_at)


def invitations_for(ports: Ports, account: Account) -> list[Membership]:
    """Open invitations addressed to any of the account's profiles."""
    return [m for m in groups_of(ports, account) if m.role == "invited"]


def groups_of(ports: Ports, account: Account) -> list[Membership]:
    """Every membership (in any state) of every profile of the account, by group name."""
    found = [m for p in ports.repo.profiles_of(account.id) if not p.is_group
             for m in ports.repo.memberships_of(p.name)]
    return sorted(found, key=lambda m: (m.group, m.member))


def viewer_membership(ports: Ports, account: Account, group: str, action: str,
                      profile: str | None = None) -> Membership:
    """The caller's membership in `group`, when its role may do `action` (members-only views)."""
    existing_group(ports, group)
    me = acting_profile(ports, account, profile)
    return authorize(membership_of(ports, group, me.name), action)
