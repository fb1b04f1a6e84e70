"""Events of a group (posts: routes/posts.py).

`PATCH /api/events/{uuid}` changes only the fields sent; `PUT` needs the title and the times and
also keeps every optional field it is not sent (so a client sending only a new time never erases
the place). Send a field as null or empty to clear it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import event_lifecycle, event_pictures, events
from affiche.domain.errors import NotAuthenticated, NotFound, PermissionDenied
from affiche.domain.model import Account, Event
from affiche.publish.media import store_media
from affiche.web.guard import raw_body
from affiche.web.ports import ports
from affiche.web.sessions import account_for
from functions.api.routes.common import Input, caller, json_response, session_secret

router = APIGatewayHttpRouter()


class AddressInput(Input):
    name: str = ""
    street: str = ""
    locality: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None


class EventFields(Input):
    """Every field of the editor, all optional (PATCH)."""

    title: str | None = None
    begins_on: str | None = None
    ends_on: str | None = None
    timezone: str | None = None
    description: str | None = None
    online_url: str | None = None
    address: AddressInput | None = None
    capacity: int | None = None
    visibility: str | None = None
    status: str | None = None
    join_mode: str | None = None
    tags: list[str] | None = None
    category: str | None = None
    accessibility: list[str] | None = None
    contacts: list[str] | None = None
    external_url: str | None = None
    draft: bool | None = None
    profile: str | None = None
    anonymous_participation: bool = False

    def changes(self) -> dict[str, Any]:
        """The fields the client sent; null clears an optional one."""
        sent = self.model_dump(exclude_unset=True, exclude={"profile"})
        lists = {"tags", "accessibility", "contacts"}
        return {k: ([] if k in lists else "" if k == "description" else v) if v is None else v
                for k, v in sent.items()
                if not (v is None and k in {"title", "begins_on", "ends_on", "visibility",
                                            "status", "join_mode", "draft"})}


class EventBody(EventFields):
    """Creating an event, or replacing it (PUT): the title and the times are required."""

    title: str
    begins_on: str
    ends_on: str
    tags: list[str] = Field(default_factory=list)

    def to_input(self) -> events.EventInput:
        return events.EventInput(**{k: v for k, v in self.changes().items()})


class Acting(Input):
    """Bodies that only say which of the caller's profiles acts (default: the account's)."""

    profile: str | None = None


def event_json(event: Event) -> dict[str, Any]:
    data = event.to_dict()
    data.pop("description_source")
    return data


def _profile_param() -> str | None:
    return router.current_event.get_query_string_value("profile") or None


def _acting(body: Acting | None) -> str | None:
    return body.profile if body else None


@router.post("/api/groups/<name>/events", status_code=201,
             summary="Create an event in a group (draft: true "
             "keeps it unpublished)")
def create_event(name: str, body: EventBody) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = events.create_event(context, account, name, body.to_input(), profile=body.profile)
    return json_response(201, event_json(event))


@router.put("/api/events/<uuid>", summary="Replace an event's details (optional fields not "
            "sent keep their value)")
def update_event(uuid: str, body: EventBody) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = events.patch_event(context, account, uuid, body.changes(), profile=body.profile)
    return json_response(200, event_json(event))


@router.patch("/api/events/<uuid>", summary="Change only the fields sent")
def patch_event(uuid: str, body: EventFields) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = events.patch_event(context, account, uuid, body.changes(), profile=body.profile)
    return json_response(200, event_json(event))


@router.delete("/api/events/<uuid>", summary="Delete an event (its pages disappear)")
def delete_event(uuid: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = event_lifecycle.delete_event(context, account, uuid, profile=_profile_param(),
                                         store_media=store_media)
    return json_response(200, {"uuid": event.uuid, "deleted": True})


@router.post("/api/events/<uuid>/cancel", summary="Cancel an event (it stays, marked cancelled)")
def cancel_event(uuid: str, body: Acting | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = event_lifecycle.cancel_event(context, account, uuid, profile=_acting(body))
    return json_response(200, event_json(event))


@router.post("/api/events/<uuid>/publish", summary="Publish a draft")
def publish_event(uuid: str, body: Acting | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = event_lifecycle.publish_event(context, account, uuid, profile=_acting(body))
    return json_response(200, event_json(event))


@router.post("/api/events/<uuid>/duplicate", status_code=201,
             summary="Copy an event as a new draft")
def duplicate_event(uuid: str, body: Acting | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = event_lifecycle.duplicate_event(context, account, uuid, profile=_acting(body))
    return json_response(201, event_json(event))


@router.post("/api/events/<uuid>/picture", summary="Upload the event's picture (image body)")
def upload_picture(uuid: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    request = router.current_event
    event = event_pictures.set_event_picture(
        context, account, uuid, raw_body(request.raw_event),
        request.headers.get("content-type", ""), store_media, profile=_profile_param())
    return json_response(200, event_json(event))


@router.delete("/api/events/<uuid>/picture", summary="Remove the event's picture")
def remove_picture(uuid: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = event_pictures.clear_event_picture(context, account, uuid, profile=_profile_param(),
                                               store_media=store_media)
    return json_response(200, event_json(event))


def _reader() -> Account | None:
    """The logged-in account, if any: private events and drafts need one, public ones don't."""
    with contextlib.suppress(NotAuthenticated, PermissionDenied):
        account, _ = account_for(ports(), session_secret(router))
        return account
    return None


@router.get("/api/events/<uuid>", summary="An event (private ones: the group's members; "
            "drafts: its moderators)")
def read_event(uuid: str) -> Response[dict[str, Any]]:
    event = ports().repo.get(Event, uuid)
    if event is None or event.deleted:
        raise NotFound(f"no event {uuid}")
    if not event.is_public:
        event = event_lifecycle.readable_event(ports(), _reader(), uuid)
    return json_response(200, event_json(event))
