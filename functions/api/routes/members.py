"""Group membership (invitations, join requests, roles, leaving) and following groups.

Every route is a thin call into affiche.domain.membership / follows; the rules (who may do what,
which transitions exist) live there. Member lists are private: answered here on demand, never
written to the bucket (DESIGN.md principle 2)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.activitypub.invitees import remote_resolver
from affiche.config import get_settings
from affiche.domain import follows, membership
from affiche.domain.model import Event, Follow, Membership
from affiche.domain.paging import Paged, page_number, page_of
from affiche.web import ratelimit
from functions.api.routes.common import Input, caller, client_address, json_response

router = APIGatewayHttpRouter()


class ActingInput(Input):
    """Bodies that only say which of the caller's profiles acts (default: the account's)."""

    profile: str | None = None


class InviteInput(ActingInput):
    handle: str


class JoinInput(ActingInput):
    message: str = ""


class RoleInput(ActingInput):
    role: str


def membership_json(item: Membership) -> dict[str, Any]:
    # The role is also the state of the membership's flow (invited, not_approved, member...).
    return {"group": item.group, "member": item.member, "role": item.role, "state": item.role,
            "invited_by": item.invited_by, "message": item.message,
            "created_at": item.created_at.isoformat(), "updated_at": item.updated_at.isoformat()}


def follow_json(item: Follow) -> dict[str, Any]:
    return {"group": item.followed, "follower": item.follower, "state": item.state,
            "created_at": item.created_at.isoformat()}


def event_json(event: Event) -> dict[str, Any]:
    return {"uuid": event.uuid, "group": event.group, "title": event.title,
            "begins_on": event.begins_on.isoformat(), "ends_on": event.ends_on.isoformat(),
            "timezone": event.timezone, "status": event.status, "visibility": event.visibility}


def _profile_param() -> str | None:
    """`?profile=` for reads and DELETEs, which carry no body."""
    return router.current_event.get_query_string_value("profile") or None


def _acting(body: ActingInput | None) -> str | None:
    return body.profile if body else None


# --- invitations ---------------------------------------------------------------------------------

@router.post("/api/groups/<name>/invitations", status_code=201,
             summary="Invite a person to a group (admins)")
def invite(name: str, body: InviteInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    ratelimit.hit(ratelimit.INVITE_PER_ACCOUNT, account.id)
    ratelimit.hit(ratelimit.INVITE_PER_ADDRESS, client_address(router))
    invited = membership.invite(context, account, name, body.handle, body.profile,
                                home_host=get_settings().host,
                                resolve_remote=remote_resolver(context))
    return json_response(201, membership_json(invited))


@router.get("/api/invitations", summary="Invitations waiting for an answer from me")
def my_invitations() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    found = membership.invitations_for(context, account)
    return json_response(200, {"invitations": [membership_json(m) for m in found]})


@router.post("/api/groups/<name>/invitations/accept", summary="Accept an invitation")
def accept_invitation(name: str, body: ActingInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    joined = membership.accept_invitation(context, account, name, _acting(body))
    return json_response(200, membership_json(joined))


@router.post("/api/groups/<name>/invitations/decline", summary="Decline an invitation")
def decline_invitation(name: str, body: ActingInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    membership.decline_invitation(context, account, name, _acting(body))
    return json_response(200, {"group": name, "state": "declined"})


# --- join requests -------------------------------------------------------------------------------

@router.post("/api/groups/<name>/join", status_code=201,
             summary="Join an open group, or ask a moderated group to let you in")
def join(name: str, body: JoinInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    body = body or JoinInput()
    joined = membership.request_to_join(context, account, name, body.message, body.profile)
    return json_response(201, membership_json(joined))


@router.get("/api/groups/<name>/requests",
            summary="Join requests waiting for approval (admins), oldest first, a page at a "
            "time (`page`, from 1)")
def requests(name: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    membership.viewer_membership(context, account, name, "review_join_request", _profile_param())
    found = page_of(membership.pending_requests(context, name), _page(),
                    membership.MEMBERS_PER_PAGE)
    return json_response(200, {"requests": [membership_json(m) for m in found.items],
                               **_paging(found)})


@router.post("/api/groups/<name>/requests/<member>/approve", summary="Approve a join request")
def approve(name: str, member: str, body: ActingInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    approved = membership.approve_request(context, account, name, member, _acting(body))
    return json_response(200, membership_json(approved))


@router.post("/api/groups/<name>/requests/<member>/reject", summary="Reject a join request")
def reject(name: str, member: str, body: ActingInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    rejected = membership.reject_request(context, account, name, member, _acting(body))
    return json_response(200, membership_json(rejected))


# --- members -------------------------------------------------------------------------------------

@router.post("/api/groups/<name>/leave", summary="Leave a group")
def leave(name: str, body: ActingInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    membership.leave(context, account, name, _acting(body))
    return json_response(200, {"group": name, "state": "left"})


@router.get("/api/groups/<name>/members",
            summary="A group's members (members only), a page at a time (`page`, from 1)")
def members(name: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    membership.viewer_membership(context, account, name, "view_members", _profile_param())
    found = membership.members_page(context, name, _page())
    return json_response(200, {"members": [{"member": m.member, "role": m.role,
                                            "since": m.created_at.isoformat()}
                                           for m in found.items], **_paging(found)})


def _page() -> int:
    return page_number(router.current_event.get_query_string_value("page"))


def _paging(found: Paged[Membership]) -> dict[str, int]:
    return {"page": found.page, "per_page": found.per_page, "total": found.total,
            "pages": found.pages}


@router.put("/api/groups/<name>/members/<member>", summary="Change a member's role (admins)")
def change_role(name: str, member: str, body: RoleInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    changed = membership.change_role(context, account, name, member, body.role, body.profile)
    return json_response(200, membership_json(changed))


@router.delete("/api/groups/<name>/members/<member>", summary="Remove a member (admins)")
def remove(name: str, member: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    membership.remove_member(context, account, name, member, _profile_param())
    return json_response(200, {"group": name, "member": member, "state": "removed"})


@router.get("/api/me/groups", summary="My memberships, in every state, across my profiles")
def my_groups() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    found = membership.groups_of(context, account)
    return json_response(200, {"memberships": [membership_json(m) for m in found]})


class JoinByAddressInput(JoinInput):
    handle: str


@router.post("/api/me/groups",
             summary="Ask to join a group by its address (@name@host, here or on another "
                     "server, or its actor URL)")
def join_by_address(body: JoinByAddressInput) -> Response[dict[str, Any]]:
    from affiche.activitypub.remote_groups import join_by_handle

    context, account, _ = caller(router)
    joined = join_by_handle(context, account, body.handle, body.profile, body.message)
    return json_response(201, membership_json(joined))


# --- following -----------------------------------------------------------------------------------

@router.post("/api/groups/<name>/follow", status_code=201,
             summary="Follow a group's public events and posts")
def follow(name: str, body: ActingInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    created = follows.follow(context, account, name, _acting(body))
    return json_response(201, follow_json(created))


@router.delete("/api/groups/<name>/follow", summary="Stop following a group")
def unfollow(name: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    follows.unfollow(context, account, name, _profile_param())
    return json_response(200, {"group": name, "state": "unfollowed"})


@router.get("/api/me/upcoming", summary="Upcoming events of the groups I follow or belong to")
def my_upcoming() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    found = follows.upcoming_for(context, account)
    return json_response(200, {"events": [event_json(e) for e in found]})
