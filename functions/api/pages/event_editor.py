"""The organiser's event editor (members' pages): create, edit, save as draft and publish
later, duplicate, cancel, delete; and the members' page of an event, which is how a private
event (the group's members) or a draft (its moderators) is read. Each form posts to its own
URL and comes back with 303; errors come back next to the form, with what was typed.

The domain services check the roles again on every POST (affiche/domain/roles.py), and an
event someone may not read is a 404 here as in the API.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import event_fields, event_lifecycle, event_pictures, events, groups, roles
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Event, Membership
from affiche.publish.event_page import event_page_context
from affiche.publish.media import store_media
from affiche.web.forms import Form
from functions.api.pages.common import Page, html, member
from functions.api.pages.event_views import EDITOR_OPTIONS, form_values, zone_options
from functions.api.pages.pictures import apply_picture, uploaded_picture

router = APIGatewayHttpRouter()
EVENT_PICTURE = (event_pictures.set_event_picture, event_pictures.clear_event_picture)
WORDS = re.compile(r"[\s,]+")


def event_url(uuid: str) -> str:
    return f"/app/events/{uuid}/"


def _words(text: str) -> list[str]:
    return [w for w in WORDS.split(text.strip()) if w]


def _capacity(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("capacity must be a whole number", field="capacity")
    return int(text[:8])


def input_from_form(form: Form) -> events.EventInput:
    """The editor form as the domain's input; the buttons say draft or publish."""
    place = {k: form.get(f"address.{k}") for k in (*event_fields.ADDRESS_TEXT, "latitude",
                                                   "longitude")}
    return events.EventInput(
        title=form.get("title"), begins_on=form.get("begins_on"), ends_on=form.get("ends_on"),
        timezone=form.get("timezone"), description=form.get("description"),
        online_url=form.optional("online_url"),
        address=place if any(v.strip() for v in place.values()) else None,
        capacity=_capacity(form.get("capacity")), visibility=form.get("visibility", "public"),
        status=form.get("status", "confirmed"), join_mode=form.get("join_mode", "free"),
        tags=_words(form.get("tags")), category=form.optional("category"),
        accessibility=form.getlist("accessibility"), contacts=_words(form.get("contacts")),
        external_url=form.optional("external_url"), draft=form.get("save") == "draft")


def _acting(page: Page, group: str) -> Membership:
    """The caller's membership in `group` that may edit events (PermissionDenied otherwise)."""
    best = event_lifecycle.best_membership(page.ports, page.me, group)
    groups.existing_group(page.ports, group)
    return roles.authorize(best, "edit_event")


# --- the form --------------------------------------------------------------------------------
def _form_context(page: Page, group: str, event: Event | None) -> dict[str, Any]:
    return {"group": groups.existing_group(page.ports, group), "event": event,
            "zones": zone_options(), **EDITOR_OPTIONS}


def _show_form(page: Page, group: str, event: Event | None) -> Response[str]:
    values, checked = form_values(events.input_of(event) if event else None)
    if event is None:  # a new event starts in its group's zone
        values["timezone"] = groups.existing_group(page.ports, group).timezone or values["timezone"]
    return page.render("app/event_form.html", values=values, checked=checked,
                       **_form_context(page, group, event))


def _errors(page: Page, group: str, event: Event | None) -> Any:
    return page.errors_in("app/event_form.html", form="event",
                          context=lambda: _form_context(page, group, event),
                          checked=page.form.getlist("accessibility"))


@router.get("/app/groups/<name>/events/new", include_in_schema=False)
@html(router)
def new_event(name: str) -> Response[str]:
    page = member(router)
    _acting(page, name)
    return _show_form(page, name, None)


@router.post("/app/groups/<name>/events/new", include_in_schema=False)
@html(router)
def create_event(name: str) -> Response[str]:
    page = member(router)
    with _errors(page, name, None):
        profile = _acting(page, name).member
        picture = uploaded_picture(page)
        event = events.create_event(page.ports, page.me, name, input_from_form(page.form),
                                    profile=profile)
        event = apply_picture(page, event, event.uuid, profile, picture, *EVENT_PICTURE)
    done = "saved as a draft" if event.draft else "published"
    return page.redirect(event_url(event.uuid), flash=f"“{event.title}” is {done}.")


def _editable(page: Page, uuid: str) -> tuple[Event, str]:
    event = event_lifecycle.readable_event(page.ports, page.me, uuid)
    return event, _acting(page, event.group).member


@router.get("/app/events/<uuid>/edit", include_in_schema=False)
@html(router)
def edit_event(uuid: str) -> Response[str]:
    page = member(router)
    event, _ = _editable(page, uuid)
    return _show_form(page, event.group, event)


@router.post("/app/events/<uuid>/edit", include_in_schema=False)
@html(router)
def save_event(uuid: str) -> Response[str]:
    page = member(router)
    event, profile = _editable(page, uuid)
    with _errors(page, event.group, event):
        picture = uploaded_picture(page)
        saved = events.update_event(page.ports, page.me, uuid, input_from_form(page.form),
                                    profile=profile)
        saved = apply_picture(page, saved, uuid, profile, picture, *EVENT_PICTURE)
    state = "saved as a draft" if saved.draft else "saved"
    return page.redirect(event_url(uuid), flash=f"“{saved.title}” is {state}.")


# --- the members' page of an event and its actions ------------------------------------------
def _event_context(page: Page, event: Event) -> dict[str, Any]:
    group = groups.existing_group(page.ports, event.group)
    mine = event_lifecycle.best_membership(page.ports, page.me, event.group)
    return {"event": event, "group": group, "calendar": event.is_public,
            "can_edit": roles.allowed(mine, "edit_event"),
            **event_page_context(event, page.ports.clock.now())}


@router.get("/app/events/<uuid>/", include_in_schema=False)
@html(router)
def show_event(uuid: str) -> Response[str]:
    page = member(router)
    event = event_lifecycle.readable_event(page.ports, page.me, uuid)
    return page.render("app/event.html", **_event_context(page, event))


ACTIONS = {
    "publish": (event_lifecycle.publish_event, "is published."),
    "cancel": (event_lifecycle.cancel_event, "is cancelled."),
    "duplicate": (event_lifecycle.duplicate_event, "is copied: this is the copy, a draft."),
}


def _action(uuid: str, name: str) -> Response[str]:
    page = member(router)
    event, profile = _editable(page, uuid)
    service, message = ACTIONS[name]
    with page.errors_in("app/event.html", form="actions",
                        context=lambda: _event_context(page, event)):
        result = service(page.ports, page.me, uuid, profile=profile)
    return page.redirect(event_url(result.uuid), flash=f"“{event.title}” {message}")


@router.post("/app/events/<uuid>/publish", include_in_schema=False)
@html(router)
def publish_event(uuid: str) -> Response[str]:
    return _action(uuid, "publish")


@router.post("/app/events/<uuid>/cancel", include_in_schema=False)
@html(router)
def cancel_event(uuid: str) -> Response[str]:
    return _action(uuid, "cancel")


@router.post("/app/events/<uuid>/duplicate", include_in_schema=False)
@html(router)
def duplicate_event(uuid: str) -> Response[str]:
    return _action(uuid, "duplicate")


@router.post("/app/events/<uuid>/delete", include_in_schema=False)
@html(router)
def delete_event(uuid: str) -> Response[str]:
    page = member(router)
    event, profile = _editable(page, uuid)
    event_lifecycle.delete_event(page.ports, page.me, uuid, profile=profile,
                                 store_media=store_media)
    return page.redirect(f"/app/groups/{event.group}/", flash=f"“{event.title}” is deleted.")
