"""Groups: create, read, change settings. Avatar and banner uploads: group_images.py."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import groups
from affiche.domain.errors import NotFound
from affiche.domain.model import Actor
from affiche.web.ports import ports
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


class GroupInput(Input):
    name: str
    display_name: str
    summary: str = ""
    visibility: str = "public"
    openness: str = "moderated"
    timezone: str = ""
    profile: str | None = None


class GroupSettingsInput(Input):
    """Fields to change; those left out keep their value."""

    display_name: str | None = None
    summary: str | None = None
    visibility: str | None = None
    openness: str | None = None
    timezone: str | None = None
    profile: str | None = None


def group_json(group: Actor) -> dict[str, Any]:
    return {"name": group.name, "display_name": group.display_name, "summary": group.summary_html,
            "visibility": group.visibility, "openness": group.openness,
            "timezone": group.timezone or "UTC",
            "member_count": group.member_count, "avatar": group.avatar, "banner": group.banner}


@router.post("/api/groups", status_code=201, summary="Create a group; you become its creator")
def create(body: GroupInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    group = groups.create_group(context, account, **body.model_dump())
    return json_response(201, group_json(group))


@router.get("/api/groups/<name>", summary="A group's public description")
def read(name: str) -> Response[dict[str, Any]]:
    group = ports().repo.get(Actor, name)
    if group is None or not group.is_group or group.deleted:
        raise NotFound(f"no group @{name}")
    return json_response(200, group_json(group))


@router.put("/api/groups/<name>", summary="Change a group's settings (administrators)")
def update(name: str, body: GroupSettingsInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    group = groups.update_group(context, account, name, **body.model_dump())
    return json_response(200, group_json(group))
