"""Notification mails come from the change stream: a request commits its activity, the outbox
consumer (driven here by the local runner's StreamPoller) asks affiche/notify which mails it
causes and sends them. Each can be switched off in the account settings, none is sent twice when
a batch is retried, and a failing send makes the record fail (so it is retried)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from affiche.config import get_settings
from affiche.domain import rules
from affiche.domain.model import Activity
from affiche.domain.ports import ChangeSet
from affiche.local.pollers import StreamPoller
from affiche.mail import MaildirMailer, compose, read_maildir
from affiche.web.ports import ports
from functions.api.handler import lambda_handler as api
from functions.outbox.handler import lambda_handler as outbox
from functions.reminders.handler import lambda_handler as reminders
from tests.functions.api_client import ApiClient, last_mail_link, signed_up

EVENT = {"title": "Lantern walk", "begins_on": "2031-05-01T18:00", "ends_on": "2031-05-01T21:00",
         "timezone": "Europe/Paris"}


class Stream:
    """The outbox fed by the stream poller; every batch it got is kept, to replay it."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.hold = False  # keep the batches without handling them (to hand them over by hand)
        self.poller = StreamPoller(get_settings().table_name, self.handle)

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.batches.append(event)
        if self.hold:
            return {"batchItemFailures": []}
        answer: dict[str, Any] = outbox(event, context)
        self.answers.append(answer)
        return answer

    def run(self) -> None:
        while self.poller.poll_once():
            pass
        assert all(not a.get("batchItemFailures") for a in self.answers), self.answers


@dataclass
class World:
    stream: Stream
    maildir: Path
    ann: ApiClient
    bob: ApiClient
    uuid: str

    def mails(self, to: str) -> list[str]:
        """Subjects of the mails `to` received, oldest first."""
        found = [m for _, m in read_maildir(str(self.maildir)) if m["To"] == to]
        return [str(m["Subject"]) for m in reversed(found)]

    def subjects(self, to: str, containing: str) -> list[str]:
        return [s for s in self.mails(to) if containing in s]


@pytest.fixture
def world(aws: Path, cheap_crypto: None) -> Iterator[World]:
    stream = Stream()
    ann, bob = ApiClient(api), ApiClient(api)
    signed_up(ann, aws / "mail", "ann@example.org", "ann")
    signed_up(bob, aws / "mail", "bob@example.org", "bob")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club",
                                    "openness": "open"}).status == 201
    uuid = ann.post("/api/groups/club/events", EVENT).body["uuid"]
    stream.run()
    yield World(stream, aws / "mail", ann, bob, uuid)


# --- comments ----------------------------------------------------------------------------------

def test_a_new_comment_mails_the_organiser_and_a_reply_its_parent_author(world: World) -> None:
    # When @bob comments on @ann's event
    first = world.bob.post(f"/api/events/{world.uuid}/comments", {"text": "Can I come?"}).body
    # Then nothing is sent by the request itself...
    assert world.subjects("ann@example.org", "comment") == []
    # ...but once the stream is consumed, @ann is told
    world.stream.run()
    assert world.subjects("ann@example.org", "comment") == ["New comment on Lantern walk"]
    # When @ann replies, @bob is told, and @ann is not told about her own comment
    world.ann.post(f"/api/events/{world.uuid}/comments",
                   {"text": "Sure", "in_reply_to": first["id"]})
    world.stream.run()
    assert world.subjects("bob@example.org", "replied") == [
        "ann replied to your comment on Lantern walk"]
    assert len(world.subjects("ann@example.org", "comment")) == 1


def test_switched_off_notifications_are_not_sent(world: World) -> None:
    # Given @ann switched comment mails off through the API
    answer = world.ann.call("PUT", "/api/me/notifications",
                            {"notifications": {"new_comment": False}})
    assert answer.status == 200 and answer.body["notifications"]["new_comment"] is False
    assert answer.body["notifications"]["event_reminder"] is True  # the others are kept
    # When @bob comments
    world.bob.post(f"/api/events/{world.uuid}/comments", {"text": "Can I come?"})
    world.stream.run()
    # Then she gets nothing
    assert world.subjects("ann@example.org", "comment") == []
    # And switching them on again works
    world.ann.call("PUT", "/api/me/notifications", {"notifications": {"new_comment": True}})
    world.bob.post(f"/api/events/{world.uuid}/comments", {"text": "Hello?"})
    world.stream.run()
    assert len(world.subjects("ann@example.org", "comment")) == 1


def test_unknown_notification_names_are_refused(world: World) -> None:
    answer = world.ann.call("PUT", "/api/me/notifications", {"notifications": {"spam": True}})
    assert answer.status == 400 and "unknown notifications: spam" in answer.body["message"]
    assert world.ann.get("/api/me/notifications").body["notifications"]["new_comment"] is True


def test_a_retried_batch_does_not_mail_twice(world: World) -> None:
    world.bob.post(f"/api/events/{world.uuid}/comments", {"text": "Can I come?"})
    world.stream.run()
    batch = world.stream.batches[-1]
    # When the same batch is delivered again (at-least-once delivery)
    assert not outbox(batch, None).get("batchItemFailures")
    # Then @ann still has one mail
    assert len(world.subjects("ann@example.org", "comment")) == 1


def test_a_failing_mail_fails_the_record_and_is_sent_on_retry(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a mail server that is down
    def down(self: MaildirMailer, to: str, template: str, context: dict[str, Any]) -> None:
        raise ConnectionError("mail server unreachable")

    world.stream.hold = True
    answer = world.bob.post(f"/api/events/{world.uuid}/comments", {"text": "Can I come?"})
    assert answer.status == 201  # the request never waits for mail
    world.stream.run()
    batch = world.stream.batches[-1]
    with monkeypatch.context() as patch:
        patch.setattr(MaildirMailer, "send", down)
        failed = outbox(batch, None)["batchItemFailures"]
    # Then the record is reported failed, so the stream retries it
    assert len(failed) == 1
    assert world.subjects("ann@example.org", "comment") == []
    # When it is retried with the mail server back, the mail goes, once
    assert not outbox(batch, None).get("batchItemFailures")
    assert not outbox(batch, None).get("batchItemFailures")
    assert world.subjects("ann@example.org", "comment") == ["New comment on Lantern walk"]


# --- participation (through the participation routes) --------------------------------------------

def restricted_event(world: World) -> str:
    created = world.ann.post("/api/groups/club/events",
                             {**EVENT, "title": "Night walk", "join_mode": "restricted"})
    assert created.status == 201, created.body
    return str(created.body["uuid"])


def answer(world: World, uuid: str, approve: bool, message: str = "") -> None:
    answered = world.ann.post(f"/api/events/{uuid}/participants/answer",
                              {"participants": ["bob"], "approve": approve, "message": message})
    assert answered.status == 200, answered.body


def test_participation_requests_and_answers_are_mailed(world: World) -> None:
    uuid = restricted_event(world)
    # When @bob asks to take part in a restricted event
    asked = world.bob.post(f"/api/events/{uuid}/participation", {"message": "I bring a lantern"})
    assert asked.status == 201, asked.body
    world.stream.run()
    # Then its organiser is told, with his message
    assert world.subjects("ann@example.org", "asks to take part") == [
        "@bob asks to take part in Night walk"]
    # When the request is approved with a word, then rejected (say, after he misbehaved)
    answer(world, uuid, True, "Welcome aboard")
    answer(world, uuid, False)
    world.stream.run()
    assert world.subjects("bob@example.org", "Night walk") == [
        "You take part in Night walk", "Your participation in Night walk was declined"]
    approved = next(m for _, m in read_maildir(str(world.maildir))
                    if m["To"] == "bob@example.org" and "You take part" in str(m["Subject"]))
    assert "Welcome aboard" in approved.get_content()


def test_participation_answers_respect_the_switch(world: World) -> None:
    uuid = restricted_event(world)
    world.bob.call("PUT", "/api/me/notifications",
                   {"notifications": {"participation_answer": False}})
    assert world.bob.post(f"/api/events/{uuid}/participation", {}).status == 201
    answer(world, uuid, True)
    world.stream.run()
    assert world.subjects("bob@example.org", "Night walk") == []


# --- event changes and reminders -----------------------------------------------------------------

def take_part(world: World, uuid: str, anonymous: str = "anon@example.org") -> None:
    """@bob takes part in the event, and so does an anonymous visitor (confirmed by email)."""
    from affiche.domain import anonymous_participation
    from affiche.domain.model import Event, InstanceSettings

    assert world.bob.post(f"/api/events/{uuid}/participation", {}).status == 201
    repo = ports().repo
    settings = repo.get(InstanceSettings, InstanceSettings.key) or InstanceSettings()
    event = repo.get(Event, uuid)
    assert event is not None
    changes = ChangeSet().put(event.evolve(anonymous_participation=True))
    if not settings.anonymous_participation:
        changes.put(settings.evolve(anonymous_participation=True))
    repo.commit(changes)
    anonymous_participation.register(ports(), uuid, email=anonymous)
    anonymous_participation.confirm(ports(), last_mail_link(world.maildir, anonymous))
    world.stream.run()


@pytest.fixture
def participants(world: World) -> None:
    take_part(world, world.uuid)


def test_moving_or_cancelling_an_event_mails_its_participants(world: World,
                                                              participants: None) -> None:
    # When only the title changes, nobody is told
    assert world.ann.call("PUT", f"/api/events/{world.uuid}",
                          {**EVENT, "title": "Lantern walk!"}).status == 200
    world.stream.run()
    assert world.subjects("bob@example.org", "Lantern") == []
    # When the time changes, participants are told (not those waiting for approval)
    moved = {**EVENT, "title": "Lantern walk!", "begins_on": "2031-05-01T19:00"}
    assert world.ann.call("PUT", f"/api/events/{world.uuid}", moved).status == 200
    world.stream.run()
    assert world.subjects("bob@example.org", "changed") == ["Lantern walk! has changed"]
    assert world.subjects("anon@example.org", "changed") == ["Lantern walk! has changed"]
    assert world.subjects("ann@example.org", "changed") == []
    # When it is cancelled, they are told too
    cancelled = {**moved, "status": "cancelled"}
    assert world.ann.call("PUT", f"/api/events/{world.uuid}", cancelled).status == 200
    world.stream.run()
    assert world.subjects("bob@example.org", "cancelled") == ["Lantern walk! is cancelled"]


def test_deleting_an_upcoming_event_tells_its_participants(world: World,
                                                          participants: None) -> None:
    # Given the Delete the event editor records (the event's last snapshot, marked deleted)
    from affiche.domain.model import Event

    event = ports().repo.get(Event, world.uuid)
    assert event is not None
    gone = event.evolve(deleted=True).to_dict()
    gone.pop("version")
    ports().repo.commit(ChangeSet().record(Activity(
        id=rules.new_id(), type="Delete", actor="club", object_kind="event",
        object_key=world.uuid, published=datetime.now(UTC), audience="public", object=gone)))
    world.stream.run()
    assert world.subjects("bob@example.org", "cancelled") == ["Lantern walk is cancelled"]


def test_the_reminder_is_sent_once_the_day_before(world: World) -> None:
    # Given an event that begins in 20 hours, an unlisted one too, and one next week, all with
    # participants
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20)
    later = soon + timedelta(days=7)
    for title, begins, visibility in (("Tomorrow's walk", soon, "public"),
                                      ("Quiet walk", soon, "unlisted"),
                                      ("Next week's walk", later, "public")):
        created = world.ann.post("/api/groups/club/events", {
            "title": title, "begins_on": begins.isoformat(), "visibility": visibility,
            "ends_on": (begins + timedelta(hours=2)).isoformat(), "timezone": "UTC"})
        assert created.status == 201
        take_part(world, created.body["uuid"])
    world.stream.run()
    # When the scheduled job runs, then runs again a quarter of an hour later
    assert reminders({}, None) == {"sent": 4}
    assert reminders({}, None) == {"sent": 0}
    # Then each participant got one reminder per event of tomorrow, listed or not
    assert sorted(world.subjects("bob@example.org", "Tomorrow:")) == [
        "Tomorrow: Quiet walk", "Tomorrow: Tomorrow's walk"]
    assert sorted(world.subjects("anon@example.org", "Tomorrow:")) == [
        "Tomorrow: Quiet walk", "Tomorrow: Tomorrow's walk"]


# --- headers -------------------------------------------------------------------------------------

def test_a_carriage_return_in_a_subject_never_breaks_a_mail(aws: Path) -> None:
    message = compose(get_settings(), "ann@example.org", "join_request", {
        "name": "ann", "member": "@bob", "group": "club", "message": "",
        "group_display": "Evil\r\nBcc: victim@example.org\rClub"})
    assert "\r" not in str(message["Subject"]) and "\n" not in str(message["Subject"])
    assert message["Bcc"] is None
    assert "Evil Bcc: victim@example.org Club" in str(message["Subject"])


# --- membership mails come from the stream too ---------------------------------------------------

def test_membership_mails_are_sent_after_the_commit_by_the_stream(world: World) -> None:
    # Given a moderated group whose display name carries a carriage return (stored before
    # display names refused control characters; its mail once crashed after the commit)
    assert world.ann.post("/api/groups", {"name": "strict", "display_name": "Strict Club",
                                          "openness": "moderated"}).status == 201
    from affiche.domain.model import Actor

    repo = ports().repo
    group = repo.get(Actor, "strict")
    assert group is not None
    repo.commit(ChangeSet().put(group.evolve(display_name="Evil\rClub")))
    # When @bob asks to join, the request answers without mailing anyone...
    assert world.bob.post("/api/groups/strict/join", {"message": "Hi"}).status in range(200, 300)
    assert world.subjects("ann@example.org", "asks to join") == []
    # ...and the stream's consumer mails the administrator, the subject on one line
    world.stream.run()
    assert world.subjects("ann@example.org", "asks to join") == ["@bob asks to join Evil Club"]
