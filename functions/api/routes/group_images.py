"""A group's avatar and banner: upload (raw image bytes as the body) and removal.

The body is the image itself, sent with its own Content-Type (image/png, image/jpeg, image/webp
or image/gif), not JSON: affiche/web/guard.py lets exactly these paths through with their own
size limits before routing. The routes read the raw bytes from the event themselves.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import group_images
from affiche.publish.media import store_media
from affiche.web.guard import raw_body
from functions.api.routes.common import caller, json_response
from functions.api.routes.groups import group_json

router = APIGatewayHttpRouter()


def _upload(name: str, slot: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    event = router.current_event
    profile = event.query_string_parameters.get("profile")
    group = group_images.set_group_image(
        context, account, name, slot, raw_body(event.raw_event),
        event.headers.get("content-type", ""), store_media, profile=profile)
    return json_response(200, group_json(group))


def _remove(name: str, slot: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    profile = router.current_event.query_string_parameters.get("profile")
    group = group_images.clear_group_image(context, account, name, slot, profile=profile,
                                            store_media=store_media)
    return json_response(200, group_json(group))


@router.post("/api/groups/<name>/avatar", summary="Upload the group's avatar (image body)")
def upload_avatar(name: str) -> Response[dict[str, Any]]:
    return _upload(name, "avatar")


@router.post("/api/groups/<name>/banner", summary="Upload the group's banner (image body)")
def upload_banner(name: str) -> Response[dict[str, Any]]:
    return _upload(name, "banner")


@router.delete("/api/groups/<name>/avatar", summary="Remove the group's avatar")
def remove_avatar(name: str) -> Response[dict[str, Any]]:
    return _remove(name, "avatar")


@router.delete("/api/groups/<name>/banner", summary="Remove the group's banner")
def remove_banner(name: str) -> Response[dict[str, Any]]:
    return _remove(name, "banner")
