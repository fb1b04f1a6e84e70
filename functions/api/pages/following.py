"""Following across servers: my follows (/app/following) and the remote-follow page
(/app/follow?uri=..., the `http://ostatus.org/schema/1.0/subscribe` template our WebFinger gives).

The remote-follow page serves both directions in two clicks:
- `uri` names one of our groups: a visitor from another server gives their handle and is sent to
  their own server's subscribe page; a logged-in person here follows at once;
- `uri` names a group elsewhere (another site sent one of our people here): they confirm and
  follow it from their profile.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.activitypub import remote_follow
from affiche.domain.errors import InvalidInput, NotFound
from functions.api.pages.common import Page, html, member, visitor
from functions.api.pages.views import my_profiles, profile_options
from functions.api.routes.common import client_address

router = APIGatewayHttpRouter()


def _following_context(page: Page) -> dict[str, Any]:
    profiles = my_profiles(page.ports, page.me)
    from affiche.activitypub.remote_groups import remote_memberships

    elsewhere = remote_memberships(page.ports, page.me)
    return {"following": remote_follow.following(page.ports, page.me),
            "profile_options": profile_options(profiles),
            "profile": page.me.default_profile, "elsewhere": elsewhere,
            "in_groups": {(m.group, m.member) for m, _ in elsewhere}}


@router.get("/app/following", include_in_schema=False)
@html(router)
def following() -> Response[str]:
    page = member(router)
    return page.render("app/following.html", **_following_context(page))


@router.post("/app/following", include_in_schema=False)
@html(router)
def follow() -> Response[str]:
    page = member(router)
    handle = page.form.get("handle")
    with page.errors_in("app/following.html", form="follow",
                        context=lambda: _following_context(page)):
        item = remote_follow.follow_by_handle(page.ports, page.me, handle,
                                              page.form.optional("profile"))
    message = (f"You follow {handle}." if item.state == "accepted" else
               f"Follow request sent to {handle}: its events appear here once it accepts.")
    return page.redirect("/app/following", flash=message)


@router.post("/app/following/unfollow", include_in_schema=False)
@html(router)
def unfollow() -> Response[str]:
    page = member(router)
    with page.errors_in("app/following.html", form="following",
                        context=lambda: _following_context(page)):
        remote_follow.unfollow_remote(page.ports, page.me, page.form.get("group"),
                                      page.form.optional("profile"))
    return page.redirect("/app/following", flash="You no longer follow this group.")


def _remote_follow_context(page: Page, uri: str) -> dict[str, Any]:
    try:
        group = remote_follow.local_group_of(page.ports, uri)
    except (NotFound, InvalidInput):
        group = None  # not one of ours: a group elsewhere, or nothing (the page says which)
    return {"uri": uri, "group": group, "host": _host()}


def _host() -> str:
    from affiche.config import get_settings

    return get_settings().host


@router.get("/app/follow", include_in_schema=False)
@html(router)
def remote_follow_page() -> Response[str]:
    page = visitor(router)
    uri = (page.query("uri") or "").strip()
    if not uri:
        raise NotFound("say which group to follow: /app/follow?uri=@name@server")
    context = _remote_follow_context(page, uri)
    if context["group"] is None and page.account is None:
        raise NotFound("no such group here; log in to follow a group of another server")
    return page.render("app/remote_follow.html", **context)


@router.post("/app/follow", include_in_schema=False)
@html(router)
def remote_follow_submit() -> Response[str]:
    page = visitor(router)
    uri = page.form.get("uri")
    context = _remote_follow_context(page, uri)
    with page.errors_in("app/remote_follow.html", form="remote-follow", context=lambda: context):
        group = remote_follow.local_group_of(page.ports, uri)
        location = remote_follow.subscribe_location(group, page.form.get("handle"),
                                                    client_address(router))
    return page.redirect(location)
