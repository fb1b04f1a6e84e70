"""Events and posts of a group."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import events, posts
from affiche.domain.errors import NotFound
from affiche.domain.model import Event
from affiche.web.ports import ports
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


class AddressInput(Input):
    name: str = ""
    street: str = ""
    locality: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""


class EventBody(Input):
    title: str
    begins_on: str
    ends_on: str
    timezone: str
    description: str = ""
    online_url: str | None = None
    address: AddressInput | None = None
    capacity: int | None = None
    visibility: str = "public"
    status: str = "confirmed"
    join_mode: str = "free"
    tags: list[str] = Field(default_factory=list)
    profile: str | None = None
    anonymous_participation: bool = False

    def to_input(self) -> events.EventInput:
        data = self.model_dump(exclude={"profile"})
        return events.EventInput(**data)


class PostBody(Input):
    title: str
    body: str
    visibility: str = "public"
    profile: str | None = None


def event_json(event: Event) -> dict[str, Any]:
    data = event.to_dict()
    data.pop("description_source")
    return data


@router.post("/api/groups/<name>/events", summary="Create an event in a group")
def create_event(name: str, body: EventBody) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = events.create_event(context, account, name, body.to_input(), profile=body.profile)
    return json_response(201, event_json(event))


@router.put("/api/events/<uuid>", summary="Replace an event's details")
def update_event(uuid: str, body: EventBody) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = events.update_event(context, account, uuid, body.to_input(), profile=body.profile)
    return json_response(200, event_json(event))


@router.get("/api/events/<uuid>", summary="An event")
def read_event(uuid: str) -> Response[dict[str, Any]]:
    event = ports().repo.get(Event, uuid)
    if event is None or not event.is_public:
        raise NotFound(f"no event {uuid}")
    return json_response(200, event_json(event))


@router.post("/api/groups/<name>/posts", summary="Publish a post in a group")
def create_post(name: str, body: PostBody) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    post = posts.create_post(context, account, name, title=body.title, body=body.body,
                             visibility=body.visibility, profile=body.profile)
    return json_response(201, {"slug": post.slug, "title": post.title, "group": post.group,
                               "visibility": post.visibility})
