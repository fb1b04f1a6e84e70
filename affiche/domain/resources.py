"""A group's resources: a members-only directory of links and folders (Mobilizon's Resources).

Every service takes the *acting actor* (DESIGN.md §9), a local profile today and a remote member
when federation carries resources; who may do what is roles.PERMISSIONS: every member reads
("view_resources") and manages ("manage_resources") them, as in Mobilizon.

Folders nest through `Resource.parent`; a folder is listed folders first, then by title, one page
at a time. Moving refuses to put a folder inside itself or one of its own subfolders (a cycle
would hide them from every listing). Deleting a folder deletes everything inside it in the same
transaction, so a folder never disappears leaving orphans behind; hence the MAX_DELETE bound
(DynamoDB commits at most 100 writes at once).

Adding a link fetches the page it points to for a title, a description and a preview image URL
(`Previewer`, the guarded client's adapter in affiche/web/link_preview.py). The fetch happens
*before* the commit, with a short time limit, rather than from the change stream afterwards:
the link is then stored once, complete, in one transaction with its activity; a slow or dead
site costs the member at most the preview's time limit and leaves a plain link (the URL as its
title), never a half-written one; and no second, activity-less write has to patch the item
later. Addresses inside our network are refused by the client: such a link is stored, never
fetched. What a page says of itself is plain text here, and escaped by every page that shows it.

Each change commits the resource and its Activity (Create / Update / Move / Delete, audience
"members", no target): nothing about resources is ever published to the bucket or federated;
the group's activity page (group_activity.py) lists them from the index the store keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from affiche.domain import activities, rules
from affiche.domain.context import Ports
from affiche.domain.errors import InvalidInput, NotFound, PermissionDenied
from affiche.domain.groups import existing_group, membership_of
from affiche.domain.model import Actor, Resource
from affiche.domain.paging import Paged, page_of
from affiche.domain.ports import ChangeSet
from affiche.domain.roles import authorize

FOLDER, LINK = "folder", "link"
TITLE_MAX = 200
SUMMARY_MAX = 1000
URL_MAX = 2000
PAGE_SIZE = 20
MAX_DELETE = 99  # with its activity, one DynamoDB transaction (100 writes)
RATE_ACTION = "resource-link"  # affiche/web/ratelimit.py DOMAIN_LIMITS


@dataclass(frozen=True)
class LinkPreview:
    """What a page says about itself, as plain text (the previewer strips markup)."""

    title: str = ""
    summary: str = ""
    image_url: str | None = None


#: url -> its preview, or None when it could not be fetched (blocked, slow, not HTML...)
Previewer = Callable[[str], LinkPreview | None]


def no_preview(url: str) -> LinkPreview | None:
    return None


@dataclass(frozen=True)
class Folder:
    """One page of a folder: where it sits (`path`, root first) and what it holds."""

    group: Actor
    folder: Resource | None  # None: the group's root
    path: list[Resource]
    content: Paged[Resource]
    folders: list[Resource] = field(default_factory=list)  # every folder, for "move to"


# --- reading -------------------------------------------------------------------------------------

def browse(ports: Ports, actor: Actor, group: str, folder_id: str | None = None,
           page: int = 1, *, per_page: int = PAGE_SIZE, with_folders: bool = False) -> Folder:
    """A page of the folder `folder_id` (None: the root) of `group`'s resources."""
    found = _member_of(ports, actor, group, "view_resources")
    folder = _folder(ports, group, folder_id) if folder_id else None
    content = page_of(ports.repo.resources_in(group, folder_id), page, per_page)
    return Folder(group=found, folder=folder, path=_path(ports, folder), content=content,
                  folders=all_folders(ports, group) if with_folders else [])


def resource(ports: Ports, actor: Actor, resource_id: str) -> Resource:
    """One resource, for a member of its group."""
    found = _existing(ports, resource_id)
    _member_of(ports, actor, found.group, "view_resources")
    return found


def recent(ports: Ports, actor: Actor, group: str, limit: int = 5) -> list[Resource]:
    """The group's last changed resources (the dashboard)."""
    _member_of(ports, actor, group, "view_resources")
    return ports.repo.recent_resources(group, limit)


def all_folders(ports: Ports, group: str) -> list[Resource]:
    """Every folder of the group, each after its parent, for the "move to" choice."""
    out: list[Resource] = []
    stack: list[str | None] = [None]
    while stack:
        parent = stack.pop()
        children = [r for r in ports.repo.resources_in(group, parent) if r.is_folder]
        out += children
        stack += [c.id for c in reversed(children)]
    return out


# --- writing -------------------------------------------------------------------------------------

def create_folder(ports: Ports, actor: Actor, group: str, title: str,
                  parent: str | None = None) -> Resource:
    _member_of(ports, actor, group, "manage_resources")
    if parent:
        _folder(ports, group, parent)
    now = ports.clock.now()
    created = Resource(id=rules.new_id(), group=group, type=FOLDER, title=_title(title),
                       creator=actor.name, created_at=now, updated_at=now, parent=parent or None)
    _commit(ports, created, "Create", actor)
    return created


def add_link(ports: Ports, actor: Actor, group: str, url: str, *, title: str = "",
             summary: str = "", parent: str | None = None,
             preview: Previewer = no_preview) -> Resource:
    """Store a link; what the page says of itself fills what the member left empty."""
    _member_of(ports, actor, group, "manage_resources")
    if parent:
        _folder(ports, group, parent)
    url = link_url(url)
    given_title = _title(title, required=False)
    given_summary = _summary(summary)
    ports.limiter.hit(RATE_ACTION, actor.name)
    seen = preview(url) or LinkPreview()
    now = ports.clock.now()
    created = Resource(
        id=rules.new_id(), group=group, type=LINK, creator=actor.name, created_at=now,
        updated_at=now, parent=parent or None, url=url,
        title=given_title or clean_text(seen.title, TITLE_MAX) or url[:TITLE_MAX],
        summary=given_summary or clean_text(seen.summary, SUMMARY_MAX),
        image_url=_image_url(seen.image_url))
    _commit(ports, created, "Create", actor)
    return created


def update(ports: Ports, actor: Actor, resource_id: str, *, title: str | None = None,
           summary: str | None = None) -> Resource:
    """Rename a resource (and change a link's description)."""
    found = _existing(ports, resource_id)
    _member_of(ports, actor, found.group, "manage_resources")
    changes: dict[str, str] = {}
    if title is not None:
        changes["title"] = _title(title)
    if summary is not None and not found.is_folder:
        changes["summary"] = _summary(summary)
    if not changes:
        raise InvalidInput("send a new title or summary", field="title")
    updated = found.evolve(**changes, updated_at=ports.clock.now())
    _commit(ports, updated, "Update", actor)
    return updated


def move(ports: Ports, actor: Actor, resource_id: str, parent: str | None) -> Resource:
    """Put a resource in the folder `parent` (None: the root)."""
    found = _existing(ports, resource_id)
    _member_of(ports, actor, found.group, "manage_resources")
    parent = parent or None
    if parent is not None:
        target = _folder(ports, found.group, parent, field_name="parent")
        if found.is_folder and found.id in {f.id for f in [target, *_path(ports, target)]}:
            raise InvalidInput("a folder cannot go inside itself or one of its subfolders",
                               field="parent")
    if parent == found.parent:
        return found
    moved = found.evolve(parent=parent, updated_at=ports.clock.now())
    _commit(ports, moved, "Move", actor)
    return moved


def delete(ports: Ports, actor: Actor, resource_id: str) -> int:
    """Delete a resource, and a folder with everything in it; returns how many went."""
    found = _existing(ports, resource_id)
    _member_of(ports, actor, found.group, "manage_resources")
    doomed = [found, *_descendants(ports, found)]
    changes = ChangeSet()
    changes.deletes.extend(doomed)
    changes.record(activities.new(ports, "Delete", actor.name, found, found.id,
                                  audience="members"))
    ports.repo.commit(changes)
    return len(doomed)


def link_url(value: str) -> str:
    """An http(s) URL with a host; `javascript:`, `data:` and the rest are refused."""
    value = value.strip()
    if not value or len(value) > URL_MAX or _CONTROL.search(value) or " " in value:
        raise InvalidInput(f"url must be an http or https URL of at most {URL_MAX} characters",
                           field="url")
    return rules.http_url(value, "url")


# --- helpers -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str, max_length: int) -> str:
    """One line of plain text (fetched titles and descriptions): control characters and runs
    of spaces become one space; cut at `max_length`."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", value or "")).strip()
    return text if len(text) <= max_length else text[:max_length - 1].rstrip() + "…"


def _title(value: str, *, required: bool = True) -> str:
    if _CONTROL.search(value):
        raise InvalidInput("title must not contain control characters", field="title")
    return rules.text(value, "title", max_length=TITLE_MAX, required=required)


def _summary(value: str) -> str:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise InvalidInput("summary must not contain control characters", field="summary")
    return rules.text(value, "summary", max_length=SUMMARY_MAX, required=False)


def _image_url(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return link_url(value)
    except InvalidInput:
        return None  # a page's odd og:image is dropped, the link is kept


def _member_of(ports: Ports, actor: Actor, group: str, action: str) -> Actor:
    found = existing_group(ports, group)
    if actor.deleted or actor.is_group:
        raise PermissionDenied("only people can use a group's resources")
    authorize(membership_of(ports, group, actor.name), action)
    return found


def _existing(ports: Ports, resource_id: str) -> Resource:
    found = ports.repo.get(Resource, resource_id)
    if found is None:
        raise NotFound(f"no resource {resource_id}")
    return found


def _folder(ports: Ports, group: str, folder_id: str, field_name: str = "parent") -> Resource:
    found = ports.repo.get(Resource, folder_id)
    if found is None or found.group != group or not found.is_folder:
        raise InvalidInput(f"{field_name} must be a folder of @{group}'s resources",
                           field=field_name)
    return found


def _path(ports: Ports, folder: Resource | None) -> list[Resource]:
    """The folders above `folder`, root first (bounded: a broken chain cannot loop)."""
    out: list[Resource] = []
    current = folder.parent if folder else None
    while current and len(out) < 100:
        found = ports.repo.get(Resource, current)
        if found is None:
            break
        out.insert(0, found)
        current = found.parent
    return out


def _descendants(ports: Ports, folder: Resource) -> list[Resource]:
    if not folder.is_folder:
        return []
    out: list[Resource] = []
    stack = [folder.id]
    while stack:
        children = ports.repo.resources_in(folder.group, stack.pop())
        out += children
        if len(out) + 1 > MAX_DELETE:
            raise InvalidInput(f"this folder holds more than {MAX_DELETE - 1} resources: "
                               "delete or move some of them first", field="resource")
        stack += [c.id for c in children if c.is_folder]
    return out


def _commit(ports: Ports, item: Resource, type_: str, actor: Actor) -> None:
    changes = ChangeSet().put(item)
    # Members only, and no target: the outbox renders and delivers nothing for a resource.
    changes.record(activities.new(ports, type_, actor.name, item, item.id, audience="members"))
    ports.repo.commit(changes)
