"""The logged-in account's profiles: list, create, edit, delete, and choose the default one."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import profile_settings
from affiche.domain.model import Account, Actor
from functions.api.routes.common import Input, caller, json_response

router = APIGatewayHttpRouter()


class ProfileInput(Input):
    name: str
    display_name: str
    summary: str = ""


class ProfileEdit(Input):
    display_name: str | None = None
    summary: str | None = None


class DefaultInput(Input):
    name: str


def profile_json(profile: Actor, account: Account) -> dict[str, Any]:
    return {"name": profile.name, "display_name": profile.display_name,
            "summary": profile.summary_html, "summary_source": profile.summary_source,
            "avatar": profile.avatar, "default": profile.name == account.default_profile}


@router.get("/api/me/profiles", summary="The profiles of the logged-in account")
def list_profiles() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    profiles = sorted(context.repo.profiles_of(account.id), key=lambda p: p.name)
    return json_response(200, {"profiles": [profile_json(p, account) for p in profiles],
                               "default_profile": account.default_profile})


@router.post("/api/me/profiles", status_code=201,
             summary="Add a profile, with its own handle and key pair")
def create_profile(body: ProfileInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    profile = profile_settings.create_profile(context, account, **body.model_dump())
    return json_response(201, profile_json(profile, account))


@router.put("/api/me/profiles/<name>", summary="Change a profile's display name or summary")
def edit_profile(name: str, body: ProfileEdit) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    profile = profile_settings.edit_profile(context, account, name, **body.model_dump())
    return json_response(200, profile_json(profile, account))


@router.delete("/api/me/profiles/<name>",
               summary="Delete a profile; what it wrote in groups stays, as a deleted profile")
def delete_profile(name: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    profile_settings.delete_profile(context, account, name)
    return json_response(200, {"deleted": name})


@router.put("/api/me/default-profile", summary="Choose the profile used when none is named")
def set_default(body: DefaultInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    updated = profile_settings.set_default_profile(context, account, body.name)
    return json_response(200, {"default_profile": updated.default_profile})
