"""A group's resources (affiche/domain/resources.py) and its activity (group_activity.py), for
its members. The caller acts as one of their profiles (`profile`, default: the account's); the
rules live in the domain services. Nothing here is ever written to the bucket."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import group_activity, resources
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Actor, Resource
from affiche.domain.paging import Paged, page_number
from affiche.domain.profiles import acting_profile
from affiche.web.link_preview import fetch_preview
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


class ResourceInput(Input):
    type: Literal["folder", "link"]
    title: str = ""
    url: str | None = None
    summary: str = ""
    parent: str | None = None
    profile: str | None = None


class ResourceChange(Input):
    """Any of: a new title, a new summary (links), a new folder (`parent`, null: the root)."""

    title: str | None = None
    summary: str | None = None
    parent: str | None = None
    profile: str | None = None


def resource_json(item: Resource) -> dict[str, Any]:
    data = item.to_dict()
    data.pop("version")
    return data


def paged_json(found: Paged[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"page": found.page, "per_page": found.per_page, "total": found.total,
            "pages": found.pages, "items": items}


def _query(name: str) -> str | None:
    return router.current_event.get_query_string_value(name) or None


def _acting(profile: str | None) -> tuple[Any, Actor]:
    context, account, _ = caller(router)
    return context, acting_profile(context, account, profile)


@router.get("/api/groups/<name>/resources",
            summary="A folder of a group's resources (members): `folder` (default the root), "
                    "`page`")
def list_resources(name: str) -> Response[dict[str, Any]]:
    context, actor = _acting(_query("profile"))
    found = resources.browse(context, actor, name, _query("folder"), page_number(_query("page")))
    body = paged_json(found.content, [resource_json(r) for r in found.content.items])
    body.update(folder=resource_json(found.folder) if found.folder else None,
                path=[{"id": f.id, "title": f.title} for f in found.path])
    return json_response(200, body)


@router.post("/api/groups/<name>/resources", status_code=201,
             summary="Add a folder, or a link (its title, description and image are read from "
                     "the page when not given)")
def create_resource(name: str, body: ResourceInput) -> Response[dict[str, Any]]:
    context, actor = _acting(body.profile)
    if body.type == "folder":
        created = resources.create_folder(context, actor, name, body.title, body.parent)
    else:
        created = resources.add_link(context, actor, name, body.url or "", title=body.title,
                                     summary=body.summary, parent=body.parent,
                                     preview=fetch_preview)
    return json_response(201, resource_json(created))


@router.get("/api/resources/<resource_id>", summary="One resource (members of its group)")
def get_resource(resource_id: str) -> Response[dict[str, Any]]:
    context, actor = _acting(_query("profile"))
    return json_response(200, resource_json(resources.resource(context, actor, resource_id)))


@router.patch("/api/resources/<resource_id>",
              summary="Rename a resource, change a link's description, or move it to a folder")
def change_resource(resource_id: str, body: ResourceChange) -> Response[dict[str, Any]]:
    context, actor = _acting(body.profile)
    sent = body.model_fields_set
    if "parent" in sent and sent & {"title", "summary"}:
        # Two commits could half-apply; one change per request keeps each whole.
        raise InvalidInput("rename and move in two requests", field="parent")
    if not sent & {"title", "summary", "parent"}:
        raise InvalidInput("send a new title, summary or parent", field="title")
    changed = resources.resource(context, actor, resource_id)
    if "title" in sent or "summary" in sent:
        changed = resources.update(context, actor, resource_id, title=body.title,
                                   summary=body.summary)
    if "parent" in sent:
        changed = resources.move(context, actor, resource_id, body.parent)
    return json_response(200, resource_json(changed))


@router.delete("/api/resources/<resource_id>",
               summary="Delete a resource; a folder goes with everything in it")
def delete_resource(resource_id: str) -> Response[dict[str, Any]]:
    context, actor = _acting(_query("profile"))
    deleted = resources.delete(context, actor, resource_id)
    return json_response(200, {"deleted": deleted})


@router.get("/api/groups/<name>/activity",
            summary="What changed in a group, newest first (members); `before`: the cursor "
                    "`older` of the previous page")
def activity(name: str) -> Response[dict[str, Any]]:
    context, actor = _acting(_query("profile"))
    found = group_activity.timeline(context, actor, name, _query("before"))
    return json_response(200, {"items": [
        {"id": e.activity.id, "type": e.activity.type, "object_kind": e.activity.object_kind,
         "object_key": e.activity.object_key, "actor": e.activity.actor, "who": e.who,
         "text": f"{e.who} {e.what}", "published": e.activity.published.isoformat()}
        for e in found.entries], "older": found.older})
