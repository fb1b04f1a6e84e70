"""Instance administrators' pages of what failed.

Federation deliveries (`/app/admin/deliveries`): the deliveries given up (the dead-letter queue,
with why) and a form to send them again; the inbound activities whose processing failed. The same
operations as `affiche deliveries dead|replay` and the moderation function's /api/mod/deliveries
routes (affiche/activitypub/dead_letters.py).
Failed changes (`/app/admin/failures`): the stream's failure queue with why, replayed by the
outbox on request, as `affiche failures replay` and /api/mod/failures
(affiche/publish/stream_failures.py)."""

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


@router.get("/app/admin/failures", include_in_schema=False)
@html(router)
def failures() -> Response[str]:
    """Changes whose pages, deliveries or mail failed after their retries, with why, and the
    deliveries given up (their own page replays them)."""
    from affiche.activitypub import dead_letters
    from affiche.publish import stream_failures

    page = member(router)
    instance.require_admin(page.me)
    return page.render("app/admin_failures.html",
                       failed=[f.summary() for f in stream_failures.failures()],
                       failed_count=stream_failures.count(),
                       dead=[d.summary() for d in dead_letters.list_dead()],
                       listed_at_most=stream_failures.PEEK_LIMIT)


@router.post("/app/admin/failures/replay", include_in_schema=False)
@html(router)
def replay_failures() -> Response[str]:
    from affiche.publish import stream_failures

    page = member(router)
    instance.require_admin(page.me)
    ids = page.form.getlist("id")
    everything = page.form.get("all") == "1"
    if not ids and not everything:
        return page.redirect("/app/admin/failures", flash="Choose failed changes to replay.")
    stream_failures.replay_by(page.ports, page.me, ids, everything)
    return page.redirect("/app/admin/failures", flash="Replay requested: the changes are run "
                         "again within seconds; one that fails again stays listed here.")
