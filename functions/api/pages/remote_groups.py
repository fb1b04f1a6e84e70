"""Joining and leaving groups of other servers from my pages.

- /app/following lists the remote groups I follow with "Ask to join", and a form to ask to join a
  group by its address (`@garden@mobilizon.example`); POST /app/remote-groups/join.
- My space (/app/) lists my memberships there, pending or accepted, with "Leave";
  POST /app/remote-groups/leave.
The use cases are affiche.activitypub.remote_groups over affiche.domain.membership; the Join and
Leave go out through the fan-out, the group's answer comes back to the inbox.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.activitypub import remote_groups
from functions.api.pages.common import html, member
from functions.api.pages.following import _following_context
from functions.api.pages.home import home_context

router = APIGatewayHttpRouter()


@router.post("/app/remote-groups/join", include_in_schema=False)
@html(router)
def join() -> Response[str]:
    page = member(router)
    handle = page.form.get("handle")
    with page.errors_in("app/following.html", form="join",
                        context=lambda: _following_context(page)):
        joined = remote_groups.join_by_handle(page.ports, page.me, handle,
                                              page.form.optional("profile"),
                                              page.form.optional("message") or "")
    if joined.role == "not_approved":
        message = f"Request to join {handle} sent: it shows in My space until the group answers."
    else:
        message = f"You joined {handle}."
    return page.redirect("/app/following", flash=message)


@router.post("/app/remote-groups/leave", include_in_schema=False)
@html(router)
def leave() -> Response[str]:
    page = member(router)
    group = page.form.get("group")
    with page.errors_in("app/home.html", form="groups", context=lambda: home_context(page)):
        remote_groups.leave_remote(page.ports, page.me, group, page.form.optional("profile"))
    return page.redirect("/app/", flash=f"You left {group}.")
