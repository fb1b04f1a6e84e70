"""Members' pages of a group's resources (folders and links) and of its activity, linked from
the group dashboard. Plain forms (POST, then 303 back to the folder); every rule lives in
affiche/domain/resources.py and group_activity.py. A link's preview image is shown as a link
only: an <img> would make each member's browser fetch from a stranger's host."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import group_activity, membership, resources, roles
from affiche.domain.groups import existing_group
from affiche.domain.model import Actor, Resource
from affiche.domain.paging import page_number
from affiche.domain.profiles import acting_profile
from affiche.web.link_preview import fetch_preview
from functions.api.pages.common import Page, html, member

router = APIGatewayHttpRouter()
FOLDER_PAGE = "app/resources.html"
EDIT_PAGE = "app/resource_edit.html"


def acting_member(page: Page, group: str) -> Actor:
    """The profile acting in `group`: the one the form or the URL names, else the account's
    profile with the highest role there, else its default one (which the domain then refuses
    when it is no member)."""
    named = page.form.optional("profile") or page.query("profile")
    if not named:
        mine = [m for m in membership.groups_of(page.ports, page.me)
                if m.group == group and m.role in roles.MEMBER_ROLES]
        named = max(mine, key=lambda m: roles.rank(m.role)).member if mine else None
    return acting_profile(page.ports, page.me, named)


def folder_url(group: str, folder: str | None = None) -> str:
    return f"/app/groups/{group}/resources" + (f"?folder={folder}" if folder else "")


def _folder_context(page: Page, name: str) -> dict[str, Any]:
    me = acting_member(page, name)
    folder = page.query("folder") or page.form.optional("parent")
    found = resources.browse(page.ports, me, name, folder, page_number(page.query("page")))
    return {"group": found.group, "folder": found.folder, "path": found.path,
            "content": found.content, "actor": me}


@router.get("/app/groups/<name>/resources", include_in_schema=False)
@html(router)
def folder(name: str) -> Response[str]:
    page = member(router)
    return page.render(FOLDER_PAGE, **_folder_context(page, name))


@router.post("/app/groups/<name>/resources", include_in_schema=False)
@html(router)
def add(name: str) -> Response[str]:
    page = member(router)
    form = page.form
    kind = form.get("type", "link")
    with page.errors_in(FOLDER_PAGE, form=kind, context=lambda: _folder_context(page, name)):
        me = acting_member(page, name)
        parent = form.optional("parent")
        if kind == "folder":
            created = resources.create_folder(page.ports, me, name, form.get("title"), parent)
        else:
            created = resources.add_link(page.ports, me, name, form.get("url"),
                                         title=form.get("title", ""),
                                         summary=form.get("summary", ""), parent=parent,
                                         preview=fetch_preview)
    return page.redirect(folder_url(name, created.parent),
                         flash=f"“{created.title}” is added.")


def _resource(page: Page, resource_id: str) -> tuple[Actor, Resource]:
    found = page.ports.repo.get(Resource, resource_id)
    me = acting_member(page, found.group) if found else None
    if me is None:
        me = acting_profile(page.ports, page.me, None)
    return me, resources.resource(page.ports, me, resource_id)


def _edit_context(page: Page, resource_id: str) -> dict[str, Any]:
    me, item = _resource(page, resource_id)
    return {"item": item, "actor": me, "folders": resources.all_folders(page.ports, item.group),
            "group": existing_group(page.ports, item.group)}


@router.get("/app/resources/<resource_id>/edit", include_in_schema=False)
@html(router)
def edit_form(resource_id: str) -> Response[str]:
    page = member(router)
    context = _edit_context(page, resource_id)
    item = context["item"]
    return page.render(EDIT_PAGE, values={"title": item.title, "summary": item.summary},
                       **context)


@router.post("/app/resources/<resource_id>/edit", include_in_schema=False)
@html(router)
def edit(resource_id: str) -> Response[str]:
    page = member(router)
    with page.errors_in(EDIT_PAGE, form="rename", context=lambda: _edit_context(page, resource_id)):
        me, item = _resource(page, resource_id)
        summary = None if item.is_folder else page.form.get("summary", "")
        changed = resources.update(page.ports, me, resource_id, title=page.form.get("title"),
                                   summary=summary)
    return page.redirect(folder_url(changed.group, changed.parent),
                         flash=f"“{changed.title}” is saved.")


@router.post("/app/resources/<resource_id>/move", include_in_schema=False)
@html(router)
def move(resource_id: str) -> Response[str]:
    page = member(router)
    with page.errors_in(EDIT_PAGE, form="move", context=lambda: _edit_context(page, resource_id)):
        me, _ = _resource(page, resource_id)
        moved = resources.move(page.ports, me, resource_id, page.form.optional("parent"))
    return page.redirect(folder_url(moved.group, moved.parent),
                         flash=f"“{moved.title}” is moved.")


@router.post("/app/resources/<resource_id>/delete", include_in_schema=False)
@html(router)
def delete(resource_id: str) -> Response[str]:
    page = member(router)
    with page.errors_in(EDIT_PAGE, form="delete",
                        context=lambda: _edit_context(page, resource_id)):
        me, item = _resource(page, resource_id)
        resources.delete(page.ports, me, resource_id)
    return page.redirect(folder_url(item.group, item.parent), flash=f"“{item.title}” is deleted.")


@router.get("/app/groups/<name>/activity", include_in_schema=False)
@html(router)
def activity(name: str) -> Response[str]:
    page = member(router)
    me = acting_member(page, name)
    found = group_activity.timeline(page.ports, me, name, page.query("before"))
    return page.render("app/group_activity.html", group=existing_group(page.ports, name),
                       timeline=found, actor=me)
