"""Taking part in an event, as HTML forms (POST, then 303): the participate page the public event
page links to, the organisers' participants page, a person's events with their private calendar
link, and participation without an account (email, confirmation link, cancel link).

Same use cases as functions/api/routes/participation.py, through the same domain services; the
rate limits of anonymous participation live in affiche/web/participation_web.py for both."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from affiche.domain import anonymous_participation, calendar_feeds, participation
from affiche.domain.errors import DomainError, InvalidInput, NotAuthenticated, PermissionDenied
from affiche.domain.model import Actor, Event, Participation
from affiche.domain.profiles import acting_profile
from affiche.web import participation_web
from functions.api.pages.common import Page, html, member, visitor
from functions.api.pages.views import my_profiles, profile_options
from functions.api.routes.common import client_address

router = APIGatewayHttpRouter()

STATE_NAMES = {"participant": "You take part", "not_approved": "Waiting for the organisers",
               "invited": "Invited by the organisers",
               "not_confirmed": "Waiting for the email confirmation",
               "rejected": "Declined by the organisers", "organizer": "Organiser"}
PARTICIPANT_STATES = {"participant": "Takes part", "not_approved": "Asks to take part",
                      "not_confirmed": "Email not confirmed", "rejected": "Declined",
                      "invited": "Invited",
                      "organizer": "Organiser"}


def participate_url(uuid: str) -> str:
    return f"/app/events/{uuid}/participate"


def _refusal(page: Page, event: Event, profile: Actor | None, invited: bool) -> str | None:
    """Why this person cannot join now (cancelled, over, external, full...), or None."""
    try:
        if profile is None:
            participation.check_open(page.ports, event)
        else:
            participation.check_may_join(page.ports, profile, event, invited=invited)
    except DomainError as error:
        return error.message
    # A restricted event still takes requests when full: the organisers may add places.
    if participation.places_left(event) == 0 and event.join_mode != "restricted":
        return f"“{event.title}” is full ({event.capacity} places)"
    return None


def _participate_context(page: Page, uuid: str) -> dict[str, Any]:
    event = participation.existing_event(page.ports, uuid)
    anonymous = page.account is None
    if anonymous and not anonymous_participation.allowed(page.ports, event):
        raise NotAuthenticated("log in first")
    profiles = [] if anonymous else my_profiles(page.ports, page.me)
    profile = None if anonymous else acting_profile(
        page.ports, page.me, page.form.optional("profile") or page.query("profile"))
    mine = participation.participation_of(page.ports, uuid, profile.name) if profile else None
    if event.visibility == "private" and profile and not mine and not _member(page, event,
                                                                            profiles):
        raise PermissionDenied(f"only members of @{event.group} can see this event")
    return {"event": event, "profile": profile, "profiles": profiles,
            "profile_options": profile_options(profiles), "mine": mine,
            "state_names": STATE_NAMES,
            "refusal": _refusal(page, event, profile, bool(mine and mine.role == "invited")),
            "places_left": participation.places_left(event),
            "external_url": getattr(event, "external_url", None),
            "anonymous_allowed": anonymous_participation.allowed(page.ports, event),
            "organiser": any(participation.is_organiser(page.ports, p, event) for p in profiles)}


def _member(page: Page, event: Event, profiles: list[Actor]) -> bool:
    from affiche.domain.groups import membership_of
    from affiche.domain.roles import MEMBER_ROLES

    return any((m := membership_of(page.ports, event.group, p.name)) and m.role in MEMBER_ROLES
               for p in profiles)


@router.get("/app/events/<uuid>/participate", include_in_schema=False)
@html(router)
def participate_form(uuid: str) -> Response[str]:
    page = visitor(router)
    return page.render("app/participate.html", **_participate_context(page, uuid))


@router.post("/app/events/<uuid>/participate", include_in_schema=False)
@html(router)
def participate(uuid: str) -> Response[str]:
    page = member(router)
    with page.errors_in("app/participate.html", form="participate",
                        context=lambda: _participate_context(page, uuid)):
        me = acting_profile(page.ports, page.me, page.form.optional("profile"))
        if page.form.get("action") == "leave":
            participation.leave_event(page.ports, me, uuid)
            message = "You no longer take part in this event."
        else:
            joined = participation.join_event(page.ports, me, uuid,
                                              message=page.form.get("message"))
            message = ("Your request is sent to the organisers." if joined.role == "not_approved"
                       else "You take part in this event.")
    return page.redirect(f"{participate_url(uuid)}?profile={me.name}", flash=message)


@router.post("/app/events/<uuid>/participate-anonymously", include_in_schema=False)
@html(router)
def participate_anonymously(uuid: str) -> Response[str]:
    page = visitor(router)
    with page.errors_in("app/participate.html", form="anonymous",
                        context=lambda: _participate_context(page, uuid)):
        email = page.form.get("email")
        participation_web.limit_anonymous(client_address(router), email)
        anonymous_participation.register(page.ports, uuid, email=email,
                                         name=page.form.get("name"))
    return page.redirect(participate_url(uuid), flash="Almost done: open the link we sent to "
                         "your mailbox to confirm your participation.")


# --- the organisers' page ------------------------------------------------------------------------

def _organiser(page: Page, event: Event) -> Actor:
    """The caller's profile that may manage this event's participants."""
    for profile in my_profiles(page.ports, page.me):
        if participation.is_organiser(page.ports, profile, event):
            return profile
    raise PermissionDenied("only a group moderator or above can see and answer the participants "
                           "of its events")


def _participants_context(page: Page, uuid: str) -> dict[str, Any]:
    event = participation.existing_event(page.ports, uuid)
    organiser = _organiser(page, event)
    everyone = participation.participants(page.ports, organiser, uuid)
    found = everyone[:participation.PAGE_MAX]  # requests first; the CSV has everyone
    return {"event": event, "organiser": organiser, "participants": found,
            "total": len(everyone), "names": _names(page, found),
            "state_names": PARTICIPANT_STATES,
            "places_left": participation.places_left(event)}


def _names(page: Page, found: list[Participation]) -> dict[str, str]:
    names = {}
    for p in found:
        if p.participant.startswith("anon:"):
            names[p.participant] = (p.display_name or "Anonymous") + " (no account)"
        else:
            person = page.ports.repo.get(Actor, p.participant)
            shown = participation.who_is(p.participant)
            names[p.participant] = f"{person.display_name} ({shown})" if person else shown
    return names


@router.get("/app/events/<uuid>/participants", include_in_schema=False)
@html(router)
def participants_page(uuid: str) -> Response[str]:
    page = member(router)
    return page.render("app/participants.html", **_participants_context(page, uuid))


@router.post("/app/events/<uuid>/participants", include_in_schema=False)
@html(router)
def answer(uuid: str) -> Response[str]:
    page = member(router)
    with page.errors_in("app/participants.html", form="answer",
                        context=lambda: _participants_context(page, uuid)):
        event = participation.existing_event(page.ports, uuid)
        decision = page.form.get("decision")
        if decision not in {"approve", "reject"}:
            raise InvalidInput("choose approve or reject", field="decision")
        chosen = page.form.getlist("participants")
        answered = participation.answer_requests(
            page.ports, _organiser(page, event), uuid, chosen, decision == "approve",
            page.form.get("message"))
    verb = "approved" if decision == "approve" else "declined"
    return page.redirect(f"/app/events/{uuid}/participants",
                         flash=f"{len(answered)} participation(s) {verb}.")


@router.post("/app/events/<uuid>/participants/invite", include_in_schema=False)
@html(router)
def invite(uuid: str) -> Response[str]:
    page = member(router)
    with page.errors_in("app/participants.html", form="invite",
                        context=lambda: _participants_context(page, uuid)):
        event = participation.existing_event(page.ports, uuid)
        invited = participation.invite_to_event(page.ports, _organiser(page, event), uuid,
                                                page.form.get("handle"))
    return page.redirect(f"/app/events/{uuid}/participants",
                         flash=f"{participation.who_is(invited.participant)} is invited.")


# --- my events and my private calendar link ------------------------------------------------------

def _mine_context(page: Page) -> dict[str, Any]:
    profiles = my_profiles(page.ports, page.me)
    rows = [(profile, p, e) for profile in profiles
            for p, e in participation.my_participations(page.ports, profile)]
    return {"rows": sorted(rows, key=lambda r: r[2].begins_on), "profiles": profiles,
            "profile_options": profile_options(profiles), "state_names": STATE_NAMES,
            "feeds": {p.name: calendar_feeds.has_link(page.ports, p) for p in profiles}}


@router.get("/app/participations", include_in_schema=False)
@html(router)
def my_events() -> Response[str]:
    page = member(router)
    return page.render("app/participations.html", **_mine_context(page))


@router.post("/app/participations/calendar", include_in_schema=False)
@html(router)
def new_calendar_link() -> Response[str]:
    page = member(router)
    with page.errors_in("app/participations.html", form="calendar",
                        context=lambda: _mine_context(page)):
        profile = acting_profile(page.ports, page.me, page.form.optional("profile"))
        if page.form.get("action") == "revoke":
            calendar_feeds.revoke(page.ports, profile)
            return page.redirect("/app/participations",
                                 flash=f"The calendar link of @{profile.name} no longer works.")
        secret = calendar_feeds.new_link(page.ports, profile)
    # Shown once: only its hash is stored. The previous link stopped working.
    return page.redirect("/app/participations",
                         flash=f"Your new private calendar link (keep it secret; any previous "
                         f"link stopped working): {participation_web.feed_url(secret)}")


# --- without an account: the emailed links -------------------------------------------------------

def _token_form(page: Page, kind: str) -> Response[str]:
    heading = {"confirm": "Confirm your participation", "cancel": "Cancel your participation"}
    return page.render("app/participation_token.html", heading=heading[kind], kind=kind,
                       token=page.query("token") or "")


@router.get("/app/participations/confirm", include_in_schema=False)
@html(router)
def confirm_form() -> Response[str]:
    # A button, not an action on GET: mail scanners open links, people press buttons.
    return _token_form(visitor(router), "confirm")


@router.get("/app/participations/cancel", include_in_schema=False)
@html(router)
def cancel_form() -> Response[str]:
    return _token_form(visitor(router), "cancel")


@router.post("/app/participations/confirm", include_in_schema=False)
@html(router)
def confirm() -> Response[str]:
    page = visitor(router)
    confirmed = anonymous_participation.confirm(page.ports, page.form.get("token"))
    event = participation.existing_event(page.ports, confirmed.event)
    said = (f"You take part in “{event.title}”." if confirmed.role == "participant" else
            f"Your request to take part in “{event.title}” is sent to the organisers.")
    return page.redirect(f"/app/participations/done?event={event.uuid}", flash=said)


@router.post("/app/participations/cancel", include_in_schema=False)
@html(router)
def cancel() -> Response[str]:
    page = visitor(router)
    event = anonymous_participation.cancel(page.ports, page.form.get("token"))
    return page.redirect(f"/app/participations/done?event={event.uuid}",
                         flash=f"Your participation in “{event.title}” is cancelled.")


@router.get("/app/participations/done", include_in_schema=False)
@html(router)
def done() -> Response[str]:
    page = visitor(router)
    uuid = page.query("event") or ""
    links = [(f"/events/{uuid}/", "Back to the event")] if uuid.replace("-", "").isalnum() else []
    return page.render("app/message.html", heading="Done",
                       paragraphs=[] if page.flash else ["Nothing more to do."], links=links)
