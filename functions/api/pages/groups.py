"""Creating a group, and its dashboard: members and roles, join requests, invitations,
settings and images. Each dashboard form posts to its own action URL and comes back with 303.

What a viewer sees follows affiche/domain/roles.py PERMISSIONS (a plain member sees the member
list, administrators also the forms); the domain services check the same table again on every
POST, so a hand-made form gains nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.activitypub.invitees import remote_resolver
from affiche.config import get_settings
from affiche.domain import group_activity, group_images, groups, membership, resources, roles
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Actor, Membership
from affiche.domain.paging import Paged, page_number, page_of
from affiche.publish.media import store_media
from affiche.web import ratelimit
from functions.api.pages.common import Page, field_errors, html, member
from functions.api.pages.discussion_views import latest_discussions
from functions.api.pages.event_views import (
    group_events,
    members_posts,
    older_drafts,
    zone_options,
)
from functions.api.pages.views import COMMON, my_profiles, profile_options
from functions.api.routes.common import client_address

router = APIGatewayHttpRouter()
Action = Callable[[Page, str | None], str]  # does one thing; returns the flash message


def dashboard_url(name: str) -> str:
    return f"/app/groups/{name}/"


# --- creating a group -----------------------------------------------------------------------
def _new_group_context(page: Page) -> dict[str, Any]:
    profiles = my_profiles(page.ports, page.me)
    return {"profiles": profiles, "profile_options": profile_options(profiles), **COMMON}


@router.get("/app/groups/new", include_in_schema=False)
@html(router)
def new_group() -> Response[str]:
    page = member(router)
    return page.render("app/group_new.html", **_new_group_context(page))


@router.post("/app/groups/new", include_in_schema=False)
@html(router)
def create_group() -> Response[str]:
    page = member(router)
    form = page.form
    with page.errors_in("app/group_new.html", form="group",
                        context=lambda: _new_group_context(page)):
        group = groups.create_group(page.ports, page.me, name=form.get("name"),
                                    display_name=form.get("display_name"),
                                    summary=form.get("summary"),
                                    visibility=form.get("visibility", "public"),
                                    openness=form.get("openness", "moderated"),
                                    profile=form.optional("profile"))
    return page.redirect(dashboard_url(group.name), flash=f"The group @{group.name} is created.")


# --- the dashboard --------------------------------------------------------------------------
def viewer(page: Page, name: str) -> Membership:
    """The caller's membership: of all their profiles in the group, the one with the highest
    role acts on the dashboard (PermissionDenied when none is a member)."""
    mine = [m for m in membership.groups_of(page.ports, page.me)
            if m.group == name and m.role in roles.MEMBER_ROLES]
    best = max(mine, key=lambda m: roles.rank(m.role)).member if mine else None
    return membership.viewer_membership(page.ports, page.me, name, "view_group_dashboard", best)


def _settings_of(group: Actor) -> dict[str, str]:
    return {"display_name": group.display_name, "summary": group.summary_source,
            "visibility": group.visibility, "openness": group.openness,
            "timezone": group.timezone or "UTC"}


def _invited(page: Page, name: str) -> list[Membership]:
    # Invitations waiting for an answer; membership.py lists members and requests, not these.
    found = [m for m in page.ports.repo.memberships_of_group(name) if m.role == "invited"]
    return sorted(found, key=lambda m: m.created_at)


def _paged(page: Page, people: list[Membership], parameter: str) -> Paged[Membership]:
    return page_of(people, page_number(page.query(parameter)), membership.MEMBERS_PER_PAGE)


def dashboard_context(page: Page, name: str) -> dict[str, Any]:
    group = groups.existing_group(page.ports, name)
    mine = viewer(page, name)
    can = {action: roles.allowed(mine, action) for action in roles.PERMISSIONS}
    events = group_events(page.ports, name, mine, page.ports.clock.now(),
                          page_number(page.query("events")))
    return {
        "group": group, "mine": mine, "can": can,
        **_members_and_latest(page, name, mine),
        # Every list of people comes a page at a time, each with its own ?parameter.
        "pending": _paged(page, membership.pending_requests(page.ports, name), "requests")
        if can["review_join_request"] else None,
        "invited": _paged(page, _invited(page, name), "invitations")
        if can["invite_member"] else None,
        "settings": _settings_of(group), **COMMON,
        "zone_choices": [(z, z) for z in zone_options()],
        # Upcoming events a page at a time (?events=); organisers reach the participants page
        # of each one on that page (no second read of the group's events).
        "group_events": events.items, "events_paged": events,
        "older_drafts": older_drafts(page.ports, name, mine, page.ports.clock.now()),
        "participation_events": [e for e in events.items if not e.draft]
        if can["manage_participants"] else [],
        "members_posts": members_posts(page.ports, name, mine),
        "latest_discussions": latest_discussions(page.ports, name, mine),
    }


def _members_and_latest(page: Page, name: str, mine: Membership) -> dict[str, Any]:
    """A page of members, and the latest resources and activity (pages/resources.py)."""
    members = membership.members_page(page.ports, name, page_number(page.query("page")))
    me = page.ports.repo.get(Actor, mine.member)
    assert me is not None
    return {"members": members.items, "members_paged": members,
            "latest_resources": resources.recent(page.ports, me, name),
            "latest_activity": group_activity.timeline(page.ports, me, name, per_page=5)}


@router.get("/app/groups/<name>/", include_in_schema=False)
@html(router)
def dashboard(name: str) -> Response[str]:
    page = member(router)
    return page.render("app/dashboard.html", **dashboard_context(page, name))


def _act(name: str, form: str, action: Action, *, done: str | None = None) -> Response[str]:
    """Run one dashboard action; on a domain error show the dashboard again, the message next
    to `form`; on success go to `done` (the dashboard by default) with the action's message."""
    page = member(router)
    with page.errors_in("app/dashboard.html", form=form,
                        context=lambda: dashboard_context(page, name)):
        message = action(page, page.form.optional("profile"))
    return page.redirect(done or dashboard_url(name), flash=message)


@router.post("/app/groups/<name>/invite", include_in_schema=False)
@html(router)
def invite(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        ratelimit.hit(ratelimit.INVITE_PER_ACCOUNT, page.me.id)
        ratelimit.hit(ratelimit.INVITE_PER_ADDRESS, client_address(router))
        invited = membership.invite(page.ports, page.me, name, page.form.get("handle"), profile,
                                    home_host=get_settings().host,
                                    resolve_remote=remote_resolver(page.ports))
        return f"{membership.who_is(invited.member)} is invited."

    return _act(name, "invite", act)


@router.post("/app/groups/<name>/approve", include_in_schema=False)
@html(router)
def approve(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        approved = membership.approve_request(page.ports, page.me, name,
                                              page.form.get("member"), profile)
        return f"{membership.who_is(approved.member)} is now a member."

    return _act(name, "requests", act)


@router.post("/app/groups/<name>/reject", include_in_schema=False)
@html(router)
def reject(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        refused = membership.reject_request(page.ports, page.me, name, page.form.get("member"),
                                            profile)
        return f"The request of {membership.who_is(refused.member)} is refused."

    return _act(name, "requests", act)


@router.post("/app/groups/<name>/role", include_in_schema=False)
@html(router)
def change_role(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        changed = membership.change_role(page.ports, page.me, name, page.form.get("member"),
                                         page.form.get("role"), profile)
        return f"{membership.who_is(changed.member)} is now {changed.role}."

    return _act(name, "members", act)


@router.post("/app/groups/<name>/remove", include_in_schema=False)
@html(router)
def remove(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        removed = page.form.get("member")
        membership.remove_member(page.ports, page.me, name, removed, profile)
        return f"{membership.who_is(removed)} is no longer a member."

    return _act(name, "members", act)


@router.post("/app/groups/<name>/leave", include_in_schema=False)
@html(router)
def leave(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        membership.leave(page.ports, page.me, name, profile)
        return f"You left @{name}."

    return _act(name, "leave", act, done="/app/")


@router.post("/app/groups/<name>/settings", include_in_schema=False)
@html(router)
def settings(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        form = page.form
        groups.update_group(page.ports, page.me, name, display_name=form.get("display_name"),
                            summary=form.get("summary"), visibility=form.get("visibility"),
                            openness=form.get("openness"), profile=profile,
                            timezone=form.get("timezone"))
        return "The settings are saved."

    return _act(name, "settings", act)


@router.post("/app/groups/<name>/images", include_in_schema=False)
@html(router)
def images(name: str) -> Response[str]:
    def act(page: Page, profile: str | None) -> str:
        slot = page.form.get("slot")
        if page.form.get("clear"):
            group_images.clear_group_image(page.ports, page.me, name, slot, profile=profile,
                                           store_media=store_media)
            return f"The {slot} is removed."
        upload = page.form.file(f"image-{slot}") or page.form.file("image")
        if upload is None:
            raise InvalidInput("choose an image file to upload", field=f"image-{slot}")
        with field_errors(f"image-{slot}"):  # shown at that slot's file field
            group_images.set_group_image(page.ports, page.me, name, slot, upload.data,
                                         upload.content_type, store_media, profile=profile)
        return f"The {slot} is updated."

    return _act(name, "images", act)
