"""Taking part in events: join, leave, the organisers' list and answers, the CSV export, the
private calendar feed, and anonymous participation by email.

Thin calls into affiche.domain.participation (and its anonymous and calendar-feed companions):
the state graph, capacity and permissions live there. Participant lists are private: answered
here on demand, never written to the bucket (DESIGN.md principle 2)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from affiche.domain import anonymous_participation, calendar_feeds, participation
from affiche.domain.errors import InvalidInput
from affiche.domain.model import Participation
from affiche.domain.profiles import acting_profile
from affiche.web import participation_web
from affiche.web.ports import ports
from functions.api.routes.common import Input, caller, client_address, json_response

router = APIGatewayHttpRouter()
PAGE_SIZE = 50


class JoinEventInput(Input):
    message: str = ""
    profile: str | None = None


class AnswerInput(Input):
    participants: list[str] = Field(min_length=1, max_length=participation.BATCH_MAX)
    approve: bool
    message: str = ""
    profile: str | None = None


class InviteInput(Input):
    handle: str
    profile: str | None = None


class AnonymousInput(Input):
    email: str
    name: str = ""


class TokenInput(Input):
    token: str


class FeedInput(Input):
    profile: str | None = None


def participation_json(item: Participation) -> dict[str, Any]:
    # The role is also the state of the participation's flow. Never the anonymous email.
    return {"event": item.event, "participant": item.participant, "role": item.role,
            "state": item.role, "message": item.message, "name": item.display_name,
            "created_at": item.created_at.isoformat(), "updated_at": item.updated_at.isoformat()}


def _profile_param() -> str | None:
    return router.current_event.get_query_string_value("profile") or None


def _int_param(name: str, default: int, highest: int) -> int:
    raw = router.current_event.get_query_string_value(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise InvalidInput(f"{name} must be a whole number from 1 to {highest}", field=name)
    return int(raw)


@router.post("/api/events/<uuid>/participation", status_code=201,
             summary="Take part in an event (or ask to)")
def join(uuid: str, body: JoinEventInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    body = body or JoinEventInput()
    me = acting_profile(context, account, body.profile)
    joined = participation.join_event(context, me, uuid, message=body.message)
    return json_response(201, participation_json(joined))


@router.delete("/api/events/<uuid>/participation", summary="Stop taking part in an event")
def leave(uuid: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, _profile_param())
    participation.leave_event(context, me, uuid)
    return json_response(200, {"event": uuid, "participant": me.name, "state": "left"})


@router.get("/api/events/<uuid>/participants",
            summary="An event's participants with their states (organisers), 50 a page")
def participants(uuid: str) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, _profile_param())
    role = router.current_event.get_query_string_value("state") or None
    found = participation.participants(context, me, uuid, role=role)
    page = _int_param("page", 1, 10_000)
    limit = _int_param("limit", PAGE_SIZE, participation.PAGE_MAX)
    shown = found[(page - 1) * limit: page * limit]
    return json_response(200, {"participants": [participation_json(p) for p in shown],
                               "total": len(found), "page": page, "limit": limit})


@router.post("/api/events/<uuid>/participants/answer",
             summary="Approve or reject several participants at once (organisers)")
def answer(uuid: str, body: AnswerInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, body.profile)
    answered = participation.answer_requests(context, me, uuid, body.participants, body.approve,
                                             body.message)
    return json_response(200, {"participants": [participation_json(p) for p in answered]})


@router.post("/api/events/<uuid>/participants/invite", status_code=201,
             summary="Invite a local profile to take part (organisers)")
def invite(uuid: str, body: InviteInput) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, body.profile)
    invited = participation.invite_to_event(context, me, uuid, body.handle)
    return json_response(201, participation_json(invited))


@router.get("/api/events/<uuid>/participants.csv",
            summary="An event's participants as CSV (organisers)",
            responses={200: {"description": "one line per participant",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def participants_csv(uuid: str) -> Response[str]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, _profile_param())
    body = participation.participants_csv(context, me, uuid)
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body,
                    headers={"Content-Disposition":
                             f'attachment; filename="participants-{uuid}.csv"'})


@router.get("/api/me/participations", summary="The events my profiles take part in")
def my_participations() -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, _profile_param())
    found = participation.my_participations(context, me)
    return json_response(200, {"participations": [
        {**participation_json(p), "title": e.title, "begins_on": e.begins_on.isoformat()}
        for p, e in found]})


@router.post("/api/me/calendar-feed", status_code=201,
             summary="Make a new private calendar link (the previous one stops working)")
def new_feed(body: FeedInput | None = None) -> Response[dict[str, Any]]:
    context, account, _ = caller(router)
    me = acting_profile(context, account, body.profile if body else None)
    secret = calendar_feeds.new_link(context, me)
    return json_response(201, {"profile": me.name, "url": participation_web.feed_url(secret)})


@router.get("/api/feeds/<token>.ics", summary="A private calendar of the events one takes part in")
def feed(token: str) -> Response[str]:
    profile, events = calendar_feeds.feed(ports(), token)
    return participation_web.calendar_response(profile, events)


@router.post("/api/events/<uuid>/anonymous-participation", status_code=202,
             summary="Take part without an account: a confirmation link is mailed")
def anonymous_join(uuid: str, body: AnonymousInput) -> Response[dict[str, Any]]:
    participation_web.limit_anonymous(client_address(router), body.email)
    anonymous_participation.register(ports(), uuid, email=body.email, name=body.name)
    return json_response(202, {"event": uuid, "state": "not_confirmed",
                               "message": "check your mailbox to confirm your participation"})


@router.post("/api/participations/confirm", summary="Confirm an anonymous participation")
def anonymous_confirm(body: TokenInput) -> Response[dict[str, Any]]:
    confirmed = anonymous_participation.confirm(ports(), body.token)
    return json_response(200, {"event": confirmed.event, "state": confirmed.role})


@router.post("/api/participations/cancel", summary="Cancel an anonymous participation")
def anonymous_cancel(body: TokenInput) -> Response[dict[str, Any]]:
    event = anonymous_participation.cancel(ports(), body.token)
    return json_response(200, {"event": event.uuid, "state": "left"})
