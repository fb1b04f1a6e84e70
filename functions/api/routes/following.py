"""Following groups on other servers by handle (`@name@host`): thin calls into
affiche.activitypub.remote_follow. Following a group of this server: members.py."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.activitypub import remote_follow
from affiche.domain.model import Actor, Follow
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


class FollowHandleInput(Input):
    handle: str
    profile: str | None = None


class UnfollowInput(Input):
    group: str  # as GET /api/me/following gives it: a local name or a remote group's id
    profile: str | None = None


def following_json(item: Follow, group: Actor | None) -> dict[str, Any]:
    return {"group": item.followed, "follower": item.follower, "state": item.state,
            "handle": group.handle if group else None,
            "display_name": group.display_name if group else None,
            "created_at": item.created_at.isoformat()}


@router.post("/api/me/following", status_code=201,
             summary="Follow a group by its handle, here or on another server (@name@host)")
def follow(body: FollowHandleInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    item = remote_follow.follow_by_handle(context, account, body.handle, body.profile)
    return json_response(201, following_json(item, context.repo.get(Actor, item.followed)))


@router.get("/api/me/following", summary="Groups my profiles follow, pending follows included")
def following() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    items = [following_json(item, group)
             for item, group in remote_follow.following(context, account)]
    return json_response(200, {"following": items})


@router.delete("/api/me/following", summary="Stop following a group (here or elsewhere)")
def unfollow(body: UnfollowInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    remote_follow.unfollow_remote(context, account, body.group, body.profile)
    return json_response(200, {"group": body.group, "following": False})
