"""Instance administrators' page of federation deliveries (`/app/admin/deliveries`): the
deliveries given up (the dead-letter queue, with why) and a form to send them again; the inbound
activities whose processing failed. The same operations as `affiche deliveries dead|replay` and
the moderation function's /api/mod/deliveries routes (affiche/activitypub/dead_letters.py)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import instance
from functions.api.pages.common import html, member

router = APIGatewayHttpRouter()


@router.get("/app/admin/deliveries", include_in_schema=False)
@html(router)
def deliveries() -> Response[str]:
    from affiche.activitypub import dead_letters
    from affiche.activitypub.inbox import DynamoInbound

    page = member(router)
    instance.require_admin(page.me)
    return page.render("app/admin_deliveries.html",
                       dead=[d.summary() for d in dead_letters.list_dead()],
                       failed=DynamoInbound().in_state("failed"))


@router.post("/app/admin/deliveries/replay", include_in_schema=False)
@html(router)
def replay() -> Response[str]:
    from affiche.activitypub import dead_letters

    page = member(router)
    instance.require_admin(page.me)
    ids = page.form.getlist("id")
    everything = page.form.get("all") == "1"
    if not ids and not everything:
        return page.redirect("/app/admin/deliveries", flash="Choose deliveries to send again.")
    replayed = dead_letters.replay_by(page.ports, page.me, ids, None, everything)
    return page.redirect("/app/admin/deliveries",
                         flash=f"{len(replayed)} delivery(ies) queued again.")
