"""Coming into a group from outside: join (or ask to), follow, answer an invitation.

The public group page (a static file, theme actor.html) links to /app/groups/<name>/join and
/follow; these pages need an account, so anonymous visitors are sent to log in first and come
back here afterwards."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import follows, groups, membership
from affiche.domain.groups import membership_of
from affiche.domain.model import is_remote_name
from affiche.domain.profiles import acting_profile
from functions.api.pages.common import Page, html, member
from functions.api.pages.home import home_context
from functions.api.pages.views import COMMON, my_profiles, profile_options

router = APIGatewayHttpRouter()


def _join_context(page: Page, name: str) -> dict[str, Any]:
    group = groups.existing_group(page.ports, name)
    profiles = my_profiles(page.ports, page.me)
    profile = acting_profile(page.ports, page.me, page.form.optional("profile"))
    # Where the account already stands with this group, through any of its profiles.
    standing = [m for p in profiles if (m := membership_of(page.ports, name, p.name))]
    return {"group": group, "profile": profile, "profiles": profiles,
            "profile_options": profile_options(profiles),
            "current": standing[0] if standing else None, **COMMON}


@router.get("/app/groups/<name>/join", include_in_schema=False)
@html(router)
def join_form(name: str) -> Response[str]:
    page = member(router)
    return page.render("app/join.html", **_join_context(page, name))


@router.post("/app/groups/<name>/join", include_in_schema=False)
@html(router)
def join(name: str) -> Response[str]:
    page = member(router)
    with page.errors_in("app/join.html", form="join", context=lambda: _join_context(page, name)):
        joined = membership.request_to_join(page.ports, page.me, name, page.form.get("message"),
                                            page.form.optional("profile"))
    if joined.role == "not_approved":
        return page.redirect(f"/app/groups/{name}/join",
                             flash=f"Your request to join @{name} is sent to its administrators.")
    return page.redirect(f"/app/groups/{name}/", flash=f"Welcome to @{name}!")


def _follow_context(page: Page, name: str) -> dict[str, Any]:
    group = groups.existing_group(page.ports, name)
    profile = acting_profile(page.ports, page.me, page.form.optional("profile"))
    following = any(g.name == name for g in follows.followed_groups(page.ports, profile.name))
    return {"group": group, "profile": profile, "following": following}


@router.get("/app/groups/<name>/follow", include_in_schema=False)
@html(router)
def follow_form(name: str) -> Response[str]:
    page = member(router)
    return page.render("app/follow.html", **_follow_context(page, name))


@router.post("/app/groups/<name>/follow", include_in_schema=False)
@html(router)
def follow(name: str) -> Response[str]:
    page = member(router)
    profile = page.form.optional("profile")
    with page.errors_in("app/follow.html", form="follow",
                        context=lambda: _follow_context(page, name)):
        if page.form.get("action") == "unfollow":
            follows.unfollow(page.ports, page.me, name, profile)
            message = f"You no longer follow @{name}."
        else:
            follows.follow(page.ports, page.me, name, profile)
            message = f"You follow @{name}: its events are in your agenda."
    return page.redirect(f"/app/groups/{name}/follow", flash=message)


def _invited_to(page: Page, group: str) -> str:
    """A remote group's id does not fit in a path segment: its forms post to
    /app/invitations/-/... with the id in a `group` field."""
    return page.form.get("group") if group == "-" else group


@router.post("/app/invitations/<group>/accept", include_in_schema=False)
@html(router)
def accept(group: str) -> Response[str]:
    page = member(router)
    group = _invited_to(page, group)
    with page.errors_in("app/home.html", form="invitations",
                        context=lambda: home_context(page)):
        membership.accept_invitation(page.ports, page.me, group, page.form.optional("profile"))
    if is_remote_name(group):  # its server keeps its pages; ours is "My space"
        return page.redirect("/app/", flash=f"You accepted the invitation to {group}.")
    return page.redirect(f"/app/groups/{group}/", flash=f"Welcome to @{group}!")


@router.post("/app/invitations/<group>/decline", include_in_schema=False)
@html(router)
def decline(group: str) -> Response[str]:
    page = member(router)
    group = _invited_to(page, group)
    with page.errors_in("app/home.html", form="invitations",
                        context=lambda: home_context(page)):
        membership.decline_invitation(page.ports, page.me, group, page.form.optional("profile"))
    return page.redirect("/app/", flash=f"You declined the invitation to @{group}.")
