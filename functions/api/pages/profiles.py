"""My profiles: add one, edit one, choose the default one, delete one.

All forms post to /app/profiles; the hidden `action` field says which, `name` which profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import profile_settings
from affiche.domain.errors import InvalidInput
from functions.api.pages.common import Page, html, member
from functions.api.pages.views import my_profiles

router = APIGatewayHttpRouter()
PROFILES = "/app/profiles"


def _context(page: Page) -> dict[str, Any]:
    return {"profiles": my_profiles(page.ports, page.me)}


def _create(page: Page, name: str) -> str:
    created = profile_settings.create_profile(page.ports, page.me, name=name,
                                              display_name=page.form.get("display_name"))
    return f"The profile @{created.name} is created."


def _edit(page: Page, name: str) -> str:
    profile_settings.edit_profile(page.ports, page.me, name,
                                  display_name=page.form.get("display_name"),
                                  summary=page.form.get("summary"))
    return f"@{name} is saved."


def _default(page: Page, name: str) -> str:
    profile_settings.set_default_profile(page.ports, page.me, name)
    return f"@{name} is now your default profile."


def _delete(page: Page, name: str) -> str:
    profile_settings.delete_profile(page.ports, page.me, name)
    return f"The profile @{name} is deleted."


ACTIONS: dict[str, Callable[[Page, str], str]] = {
    "create": _create, "edit": _edit, "default": _default, "delete": _delete,
}


@router.get(PROFILES, include_in_schema=False)
@html(router)
def profiles() -> Response[str]:
    page = member(router)
    return page.render("app/profiles.html", **_context(page))


@router.post(PROFILES, include_in_schema=False)
@html(router)
def change_profiles() -> Response[str]:
    page = member(router)
    action, name = page.form.get("action"), page.form.get("name").strip()
    if action not in ACTIONS:
        raise InvalidInput("this form asks for an action this page does not know")
    # The error goes next to the form it came from: "create", or e.g. "edit-ann".
    form = action if action == "create" else f"{action}-{name}"
    with page.errors_in("app/profiles.html", form=form, context=lambda: _context(page)):
        message = ACTIONS[action](page, name)
    return page.redirect(PROFILES, flash=message)
