"""Taking part without an account (Mobilizon's anonymous participation), by email.

Allowed only when both the instance (InstanceSettings.anonymous_participation) and the event
(Event.anonymous_participation) say so, for public events with a free or restricted join mode.
A visitor gives an email and an optional name; a Participation "anon:<random id>" is stored as
"not_confirmed" (it takes no place) with two emailed tokens: one confirms (the participation
becomes "participant", or "not_approved" on a restricted event, through the same capacity-guarded
transaction as everyone's), one cancels, valid until the event ends. No account is created and
the email lives on the Participation only. Rate limits (per address, per email) are the web
layer's (affiche/web/ratelimit.py), applied by the route and the page alike.
"""

from __future__ import annotations

from datetime import timedelta

from affiche.domain import outgoing, participation, rules
from affiche.domain.accounts import instance_settings
from affiche.domain.context import Ports
from affiche.domain.errors import Conflict, NotFound, PermissionDenied
from affiche.domain.model import Event, Participation, Token
from affiche.domain.participation import Change, apply, check_open, existing_event, next_role
from affiche.domain.ports import ChangeSet

CONFIRM_TTL = timedelta(hours=48)
CONFIRM, CANCEL = "participation_confirm", "participation_cancel"


def allowed(ports: Ports, event: Event) -> bool:
    """Whether a visitor without an account may take part in `event`."""
    return (instance_settings(ports).anonymous_participation and event.anonymous_participation
            and event.visibility in {"public", "unlisted"}
            and event.join_mode in {"free", "restricted"})


def register(ports: Ports, uuid: str, *, email: str, name: str = "") -> Participation:
    """Store a not-yet-confirmed participation and mail the confirmation and cancel links."""
    email = rules.email(email)
    name = rules.text(name, "name", max_length=100, required=False)
    if any(c in name for c in "\r\n") or not name.isprintable():
        from affiche.domain.errors import InvalidInput

        raise InvalidInput("name must be a single line of text", field="name")
    event = existing_event(ports, uuid)
    if not allowed(ports, event):
        raise PermissionDenied("this event does not take participants without an account; "
                               "log in to take part")
    check_open(ports, event)
    if participation.places_left(event) == 0:
        raise participation.EventFull(f"“{event.title}” is full ({event.capacity} places)")
    if any(p.email == email for p in ports.repo.participations_of_event(uuid)):
        raise Conflict("this email address already has a participation in this event; "
                       "look for the confirmation mail")
    confirm_secret, cancel_secret = rules.new_secret(), rules.new_secret()
    anonymous = "anon:" + rules.new_secret()[:22]
    now = ports.clock.now()
    after = Participation(event=uuid, participant=anonymous, role="not_confirmed",
                          created_at=now, updated_at=now, email=email, display_name=name,
                          begins_on=event.begins_on)
    next_role(None, "register", "this visitor", event)

    def tokens(changes: ChangeSet) -> None:
        payload = {"event": uuid, "participant": anonymous}
        changes.put(Token(token_hash=rules.digest(confirm_secret), purpose=CONFIRM,
                          account_id=anonymous, expires_at=now + CONFIRM_TTL, payload=payload),
                    Token(token_hash=rules.digest(cancel_secret), purpose=CANCEL,
                          account_id=anonymous, expires_at=max(event.ends_on, now + CONFIRM_TTL),
                          payload=payload),
                    outgoing.mail(ports, email, CONFIRM,
                                  {"name": name or email, "title": event.title,
                                   "token": confirm_secret, "cancel_token": cancel_secret},
                                  ttl=CONFIRM_TTL))

    apply(ports, uuid, lambda e: Change(e, [(None, after)], "Join", anonymous), tokens)
    return after


def _token(ports: Ports, secret: str, purpose: str) -> Token:
    token = ports.repo.get(Token, rules.digest(secret)) if secret else None
    if token is None or token.purpose != purpose or token.expires_at <= ports.clock.now():
        raise NotFound("this link is invalid, has expired or was already used")
    return token


def confirm(ports: Ports, secret: str) -> Participation:
    """The visitor confirms their address: they take a place (or ask for one)."""
    token = _token(ports, secret, CONFIRM)
    uuid, anonymous = token.payload["event"], token.payload["participant"]

    def decide(event: Event) -> Change:
        check_open(ports, event)
        before = participation.participation_of(ports, uuid, anonymous)
        action = "confirm_request" if event.join_mode == "restricted" else "confirm"
        role = next_role(before, action, "this visitor", event)
        assert before is not None
        return Change(event, [(before, before.evolve(role=role, updated_at=ports.clock.now()))],
                      "Join", anonymous)

    change = apply(ports, uuid, decide, lambda changes: changes.deletes.append(token))
    return change.participations[0]


def cancel(ports: Ports, secret: str) -> Event:
    """The visitor cancels from the link in their mail: the participation is deleted."""
    token = _token(ports, secret, CANCEL)
    uuid, anonymous = token.payload["event"], token.payload["participant"]

    def decide(event: Event) -> Change:
        before = participation.participation_of(ports, uuid, anonymous)
        next_role(before, "leave", "this visitor", event)
        return Change(event, [(before, None)], "Leave", anonymous)

    return apply(ports, uuid, decide, lambda changes: changes.deletes.append(token)).event
