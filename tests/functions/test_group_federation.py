"""Group federation through the real inbox handler (moto behind), with real fediverse payloads
signed by test keys whose actor documents a fake remote server serves (httpx.MockTransport):
follows of our groups and their Accept, Undo, actor updates and deletions, our people's follows
of remote groups, remote events in their agenda, and the fan-out of our groups' content."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from affiche.activitypub.fanout import fan_out, plan
from affiche.activitypub.vocabulary import Urls
from affiche.domain import accounts, events, follows, posts
from affiche.domain.context import Ports
from affiche.domain.model import Account, Activity, Actor, Event, Follow
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.conftest import load_fixture
from tests.functions.test_inbox import (  # noqa: F401  (fixtures)
    ALICE,
    PUBLIC,
    Consumer,
    FixedKeys,
    RemoteServer,
    actor_doc,
    follow,
    instance,
    records,
    remote,
)
from tests.functions.test_inbox import deliver as deliver_to_inbox

URLS = Urls(PUBLIC)
_consumer: list[Consumer] = []
OUTCOMES = {"processed": "accepted", "ignored": "ignored", "failed": "failed"}


@pytest.fixture(autouse=True)
def inbound_consumer(aws: Path) -> Consumer:
    """The stream consumer that runs the inbound handlers (the inbox only stores and answers)."""
    _consumer[:] = [Consumer()]
    return _consumer[0]


def deliver(activity: dict[str, Any] | bytes, **kw: Any) -> tuple[int, dict[str, Any]]:
    """Deliver to the inbox, let the consumer run the handler, and report its outcome as the
    stored item records it ("accepted" for processed, "ignored" with its reason)."""
    status, body = deliver_to_inbox(activity, **kw)
    if status != 202 or body.get("status") != "received":
        return status, body
    _consumer[0].drain()
    record = next(r for r in records() if r.get("id", "") == body["id"]
                  or r["activity"].get("id") == body["id"])
    return status, {"status": OUTCOMES.get(record["state"], record["state"]), "id": body["id"],
                    "detail": record.get("detail") or record.get("reason")
                    or record.get("error") or ""}
BOB = "https://remote.example/users/bob"
CAROL = "https://other.example/users/carol"
GARDEN = "https://remote.example/c/garden"  # a remote group
SHARED_INBOX = "https://remote.example/inbox"
EVENT = events.EventInput(title="Bike repair", begins_on="2031-05-01T10:00",
                          ends_on="2031-05-01T12:00", timezone="Europe/Paris",
                          address={"name": "Hall", "locality": "Lyon"})


def person(actor_id: str, key: str, shared: str | None = SHARED_INBOX) -> dict[str, Any]:
    doc = actor_doc(actor_id, key)
    doc["preferredUsername"] = actor_id.rsplit("/", 1)[1]
    if shared:
        doc["endpoints"] = {"sharedInbox": shared}
    return doc


@pytest.fixture
def world(request: pytest.FixtureRequest) -> RemoteServer:
    """Given @club here; alice and bob on remote.example (one shared inbox), carol elsewhere,
    and the remote group garden on remote.example."""
    server: RemoteServer = request.getfixturevalue("instance")
    server.documents.update({
        ALICE: person(ALICE, "alice"), BOB: person(BOB, "bob"),
        CAROL: person(CAROL, "carol", shared=None),
        GARDEN: {**person(GARDEN, "garden"), "type": "Group", "name": "Garden club"},
    })
    return server


def ports() -> Ports:
    return Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=FixedKeys())


def ann() -> Account:
    account = ports().repo.get(Account, str(ports().repo.get(Actor, "ann").account_id))  # type: ignore[union-attr]
    assert account is not None
    return account


def follow_from(actor: str, n: int = 1) -> dict[str, Any]:
    return follow(actor=actor, id=f"{actor}/follows/{n}")


def deliver_as(activity: dict[str, Any], actor: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    key = actor.rsplit("/", 1)[1]
    return deliver(activity, key_id=f"{actor}#main-key", key_name=key, **kw)


def latest(actor: str, type_: str) -> Activity:
    return next(a for a in DynamoRepository().outbox(actor, limit=50) if a.type == type_)


class Queue:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def send(self, bodies: list[str], delay_seconds: int = 0) -> None:
        self.bodies += [json.loads(b) for b in bodies]


# --- a remote person follows one of our groups --------------------------------------------------

def test_a_mastodon_follow_is_accepted_and_the_accept_echoes_it(world: RemoteServer) -> None:
    # When alice's Mastodon follows @club (Mastodon's real Follow payload)
    status, body = deliver(follow())
    # Then she follows it at once, and we keep a copy of her actor with its inboxes
    assert (status, body["status"]) == (202, "accepted")
    stored = DynamoRepository().get(Follow, f"club|{ALICE}")
    assert stored is not None and stored.state == "accepted"
    assert stored.activity_id == "https://remote.example/follows/1"
    alice = DynamoRepository().get(Actor, ALICE)
    assert alice is not None and alice.inbox == f"{ALICE}/inbox"
    assert alice.shared_inbox == SHARED_INBOX and alice.handle == "@alice@remote.example"
    assert DynamoRepository().counter("followers:club") == 1
    # And the group's Accept goes to her personal inbox, echoing her Follow
    queue = Queue()
    assert fan_out(latest("club", "Accept"), repo=DynamoRepository(), urls=URLS, queue=queue) == 1
    (message,) = queue.bodies
    assert message["inbox"] == f"{ALICE}/inbox" and message["sender"] == "club"
    accept = message["activity"]
    assert accept["type"] == "Accept" and accept["actor"] == f"{PUBLIC}/@club/"
    assert accept["object"] == {"id": "https://remote.example/follows/1", "type": "Follow",
                                "actor": ALICE, "object": f"{PUBLIC}/@club/"}


def test_a_repeated_follow_is_accepted_again(world: RemoteServer) -> None:
    deliver(follow())
    status, body = deliver(follow(id="https://remote.example/follows/again"))
    assert (status, body["status"]) == (202, "accepted")
    assert latest("club", "Accept").object["activity_id"] == "https://remote.example/follows/again"
    assert DynamoRepository().counter("followers:club") == 1


def test_undo_follow_stops_following(world: RemoteServer) -> None:
    deliver(follow())
    undo = load_fixture("mastodon/undo-follow.json", actor=ALICE, id=f"{ALICE}#undo")
    undo["object"] = {**undo["object"], "actor": ALICE, "object": f"{PUBLIC}/@club/"}
    status, body = deliver(undo)
    assert (status, body["status"]) == (202, "accepted")
    assert DynamoRepository().get(Follow, f"club|{ALICE}") is None
    assert DynamoRepository().counter("followers:club") == 0


def test_a_follow_of_a_person_or_unknown_actor_is_ignored(world: RemoteServer) -> None:
    status, body = deliver(follow(object=f"{PUBLIC}/@ann/"))
    assert (status, body["status"]) == (202, "ignored")
    assert DynamoRepository().followers_of("ann") == []


def test_an_actor_update_refreshes_our_copy(world: RemoteServer) -> None:
    deliver(follow())
    update = load_fixture("mastodon/mastodon-update.json", actor=ALICE, id=f"{ALICE}#update-1")
    update["object"] = {**update["object"], "id": ALICE, "inbox": f"{ALICE}/inbox",
                        "name": "Alice\nRenamed"}
    status, body = deliver(update)
    assert (status, body["status"]) == (202, "accepted")
    alice = DynamoRepository().get(Actor, ALICE)
    assert alice is not None and alice.display_name == "Alice Renamed"  # no newline kept


def test_an_update_of_someone_else_is_ignored(world: RemoteServer) -> None:
    deliver(follow())
    update = {"id": f"{ALICE}#u2", "type": "Update", "actor": ALICE,
              "object": {"id": BOB, "type": "Person", "inbox": f"{BOB}/inbox", "name": "Evil"}}
    _, body = deliver(update)
    assert body["status"] == "ignored"
    assert DynamoRepository().get(Actor, BOB) is None


def test_a_self_delete_removes_follows_and_memberships(world: RemoteServer) -> None:
    deliver(follow())
    delete = load_fixture("mastodon/delete-actor.json", id=f"{ALICE}#delete", actor=ALICE,
                          object=ALICE)
    status, body = deliver(delete, path="/inbox")
    assert (status, body["status"]) == (202, "accepted")
    assert DynamoRepository().get(Follow, f"club|{ALICE}") is None
    assert DynamoRepository().counter("followers:club") == 0
    alice = DynamoRepository().get(Actor, ALICE)
    assert alice is not None and alice.deleted


# --- fan-out ----------------------------------------------------------------------------------

def _followed_by_three(world: RemoteServer) -> None:
    for actor in (ALICE, BOB, CAROL):
        status, _ = deliver_as(follow_from(actor), actor)
        assert status == 202
    follows.follow(ports(), ann(), "club")  # a local follower gets nothing delivered


def test_a_public_event_goes_once_to_each_server(world: RemoteServer) -> None:
    # Given alice and bob (one server, one shared inbox) and carol (no shared inbox) follow @club
    _followed_by_three(world)
    # When a public event is created
    created = events.create_event(ports(), ann(), "club", EVENT)
    (delivery,) = plan(latest("club", "Create"), DynamoRepository(), URLS)
    # Then one Create goes to remote.example's shared inbox and one to carol's own inbox
    assert sorted(delivery.inboxes) == sorted([SHARED_INBOX, f"{CAROL}/inbox"])
    assert delivery.sender == "club"
    obj = delivery.activity["object"]
    assert delivery.activity["type"] == "Create" and obj["id"] == URLS.event(created.uuid)
    # with a summary Mastodon shows: date, time and place
    assert "Thursday 01 May 2031, 10:00" in obj["summary"] and "Hall" in obj["summary"]
    assert obj["startTime"] and obj["location"]["id"].endswith("#place")


def test_private_and_members_only_things_never_go_to_followers(world: RemoteServer) -> None:
    _followed_by_three(world)
    repo = DynamoRepository()
    events.create_event(ports(), ann(), "club", events.EventInput(
        **{**EVENT.__dict__, "visibility": "private"}))
    assert plan(latest("club", "Create"), repo, URLS) == []
    posts.create_post(ports(), ann(), "club", title="Minutes", body="secret",
                      visibility="members")
    assert plan(latest("club", "Create"), repo, URLS) == []


def test_an_event_made_private_is_withdrawn(world: RemoteServer) -> None:
    _followed_by_three(world)
    created = events.create_event(ports(), ann(), "club", EVENT)
    events.update_event(ports(), ann(), created.uuid, events.EventInput(
        **{**EVENT.__dict__, "title": "Secret now", "visibility": "private"}))
    (delivery,) = plan(latest("club", "Update"), DynamoRepository(), URLS)
    assert delivery.activity["type"] == "Delete"
    assert delivery.activity["object"]["type"] == "Tombstone"
    assert "Secret now" not in json.dumps(delivery.activity)


def test_a_public_post_goes_to_followers(world: RemoteServer) -> None:
    _followed_by_three(world)
    post = posts.create_post(ports(), ann(), "club", title="News", body="Hello")
    (delivery,) = plan(latest("club", "Create"), DynamoRepository(), URLS)
    assert delivery.activity["object"]["id"] == URLS.post(post.slug)
    assert delivery.activity["object"]["type"] == "Article"


def test_a_post_edit_unpublish_and_delete_reach_followers(world: RemoteServer) -> None:
    # Given followers and a draft post: nothing goes out for a draft
    _followed_by_three(world)
    repo = DynamoRepository()
    post = posts.create_post(ports(), ann(), "club", title="News", body="Hello", draft=True)
    assert [a for a in repo.outbox("club", limit=50) if a.object_key == post.slug] == []
    # When it is published, edited, unpublished, published again and deleted
    posts.publish_post(ports(), ann(), post.slug)
    assert plan(latest("club", "Create"), repo, URLS)[0].activity["object"]["name"] == "News"
    posts.patch_post(ports(), ann(), post.slug, {"title": "Better news"})
    (update,) = plan(latest("club", "Update"), repo, URLS)
    # Then followers get the new Article, then a Delete (Tombstone) for each withdrawal
    assert update.activity["object"]["name"] == "Better news"
    posts.unpublish_post(ports(), ann(), post.slug)
    (withdrawn,) = plan(latest("club", "Delete"), repo, URLS)
    assert withdrawn.activity["object"] == {"id": URLS.post(post.slug), "type": "Tombstone",
                                            "formerType": "Article"}
    posts.publish_post(ports(), ann(), post.slug)
    posts.delete_post(ports(), ann(), post.slug)
    deletes = [a for a in repo.outbox("club", limit=50)
               if a.type == "Delete" and a.object_key == post.slug]
    assert len(deletes) == 2
    assert plan(deletes[0], repo, URLS)[0].activity["object"]["type"] == "Tombstone"


def test_a_members_activity_is_relayed_by_the_group(world: RemoteServer) -> None:
    # Given a public activity performed by a member in the group (e.g. a comment, later)
    _followed_by_three(world)
    created = events.create_event(ports(), ann(), "club", EVENT)
    activity = latest("club", "Create").evolve(actor="ann")
    # Then the group relays it twice: Announce{Create} (FEP-1b12) and a plain Announce (boost)
    wrapped, boost = plan(activity, DynamoRepository(), URLS)
    assert wrapped.activity["type"] == boost.activity["type"] == "Announce"
    assert wrapped.activity["actor"] == boost.activity["actor"] == f"{PUBLIC}/@club/"
    assert wrapped.activity["object"]["type"] == "Create"
    assert boost.activity["object"] == URLS.event(created.uuid)
    assert wrapped.activity["id"] != boost.activity["id"]


# --- our people follow remote groups ------------------------------------------------------------

def test_following_a_remote_group_waits_for_its_accept(world: RemoteServer) -> None:
    from affiche.activitypub.actors import resolve_actor

    repo = DynamoRepository()
    garden = resolve_actor(repo, GARDEN)
    me = repo.get(Actor, "ann")
    assert me is not None
    created = follows.follow_remote(ports(), me, garden)
    assert created.state == "pending"
    # The Follow goes to the group's own inbox, signed by ann
    (delivery,) = plan(latest("ann", "Follow"), repo, URLS)
    assert delivery.inboxes == (f"{GARDEN}/inbox",) and delivery.sender == "ann"
    sent = delivery.activity
    assert (sent["type"], sent["actor"], sent["object"]) == (
        "Follow", f"{PUBLIC}/@ann/", GARDEN)
    # When the group accepts (Lemmy's real Accept payload, pointed at us)
    accept = load_fixture("lemmy/accept-follow.json", actor=GARDEN, id=f"{GARDEN}#accept-1")
    accept["object"] = {**accept["object"], "actor": f"{PUBLIC}/@ann/", "object": GARDEN,
                        "id": sent["id"]}
    status, body = deliver_as(accept, GARDEN, path="/@ann/inbox")
    assert (status, body["status"]) == (202, "accepted")
    stored = repo.get(Follow, f"{GARDEN}|ann")
    assert stored is not None and stored.state == "accepted"
    # And the group's new event lands in ann's agenda, never on public pages
    event = load_fixture("gancio/gancio-event-activity.json")
    obj = {**(event.get("object", event)), "id": f"{GARDEN}/events/1",
           "attributedTo": GARDEN, "name": "Seed swap",
           "startTime": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
           "endTime": None, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    create = {"id": f"{GARDEN}/events/1#create", "type": "Create", "actor": GARDEN,
              "object": obj}
    status, body = deliver_as(create, GARDEN, path="/inbox")
    assert (status, body["status"]) == (202, "accepted"), body
    agenda = follows.upcoming_for(ports(), ann())
    assert [e.title for e in agenda] == ["Seed swap"]
    kept = repo.get(Event, f"{GARDEN}/events/1")
    assert kept is not None and kept.is_remote and not kept.listed
    assert repo.upcoming_events(datetime.now(UTC)) == []
    # Undo: ann unfollows; the Undo{Follow} echoes the Follow
    follows.unfollow(ports(), ann(), GARDEN)
    (undo,) = plan(latest("ann", "Undo"), repo, URLS)
    assert undo.activity["type"] == "Undo" and undo.activity["object"]["id"] == sent["id"]


def test_events_of_groups_nobody_follows_are_ignored(world: RemoteServer) -> None:
    create = {"id": f"{GARDEN}/events/2#create", "type": "Create", "actor": GARDEN,
              "object": {"id": f"{GARDEN}/events/2", "type": "Event", "name": "Spam",
                         "startTime": "2031-01-01T10:00:00Z", "attributedTo": GARDEN}}
    status, body = deliver_as(create, GARDEN, path="/inbox")
    assert (status, body["status"]) == (202, "ignored")
    assert DynamoRepository().get(Event, f"{GARDEN}/events/2") is None


def test_remote_actors_never_become_files(world: RemoteServer, aws: Path) -> None:
    from affiche.config import get_settings
    from affiche.publish import artifacts
    from affiche.publish.renderer import Renderer

    deliver(follow())
    renderer = Renderer(get_settings(), DynamoRepository(), datetime.now(UTC))
    assert renderer.actor(ALICE).files == []
    planned = artifacts.everything(DynamoRepository())
    assert not [a for a in planned if ALICE in a]
    assert [a for a in DynamoRepository().listed_groups() if a.is_remote] == []
    assert accounts  # imported for the fixtures' signup


# --- Mobilizon's group events -----------------------------------------------------------------

MZ_GROUP = "http://mobilizon1.com/@group"
MZ_USER = "http://mobilizon1.com/@user"


def _ann_follows_mobilizon_group(world: RemoteServer) -> None:
    from affiche.activitypub.actors import resolve_actor

    world.documents[MZ_GROUP] = {**person(MZ_GROUP, "@group", shared=None), "type": "Group"}
    world.documents[MZ_USER] = person(MZ_USER, "@user", shared=None)
    repo = DynamoRepository()
    me = repo.get(Actor, "ann")
    assert me is not None
    follows.follow_remote(ports(), me, resolve_actor(repo, MZ_GROUP))
    follows.answer_from_group(ports(), MZ_GROUP, "ann", accepted=True)


def test_a_mobilizon_group_announcing_a_public_event(world: RemoteServer) -> None:
    # Given ann follows a Mobilizon group
    _ann_follows_mobilizon_group(world)
    # When the group announces its organiser's Create{Event} (Mobilizon's real payload, public)
    create = load_fixture("mobilizon/mobilizon-post-activity-group.json")
    create.pop("@context")
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    create["object"] = {**create["object"], "startTime": soon,
                        "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    announce = {"id": f"{MZ_GROUP}/announces/1", "type": "Announce", "actor": MZ_GROUP,
                "object": create, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    status, body = deliver(announce, path="/inbox", key_id=f"{MZ_GROUP}#main-key",
                           key_name="@group")
    # Then the event is in ann's agenda, its HTML sanitised
    assert (status, body["status"]) == (202, "accepted"), body
    (event,) = follows.upcoming_for(ports(), ann())
    assert event.title == "My first event" and event.group == MZ_GROUP
    assert "<span" not in event.description_html


def test_a_mobilizon_members_only_event_stays_out_of_the_agenda(world: RemoteServer) -> None:
    # Given ann follows the group; the organiser's Create is addressed to the group's members
    _ann_follows_mobilizon_group(world)
    create = load_fixture("mobilizon/mobilizon-post-activity-group.json")
    create["object"] = {**create["object"],
                        "startTime": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    status, _ = deliver(create, path="/inbox", key_id=f"{MZ_USER}#main-key", key_name="@user")
    assert status == 202
    assert follows.upcoming_for(ports(), ann()) == []


def test_a_deleted_event_is_withdrawn_from_followers(world: RemoteServer) -> None:
    _followed_by_three(world)
    created = events.create_event(ports(), ann(), "club", EVENT)
    deleted = latest("club", "Create").evolve(type="Delete", id="deleted-1")
    (delivery,) = plan(deleted, DynamoRepository(), URLS)
    assert delivery.activity["type"] == "Delete"
    assert delivery.activity["object"] == {"id": URLS.event(created.uuid), "type": "Tombstone",
                                           "formerType": "Event"}


def test_a_second_accept_and_a_reject_from_the_remote_group(world: RemoteServer) -> None:
    from affiche.activitypub.actors import resolve_actor

    repo = DynamoRepository()
    me = repo.get(Actor, "ann")
    assert me is not None
    follows.follow_remote(ports(), me, resolve_actor(repo, GARDEN))
    accept = load_fixture("lemmy/accept-follow.json", actor=GARDEN)
    accept["object"] = {**accept["object"], "actor": f"{PUBLIC}/@ann/", "object": GARDEN}
    for n in (1, 2):  # the same answer delivered twice: still accepted, no error
        status, body = deliver_as({**accept, "id": f"{GARDEN}#accept-{n}"}, GARDEN)
        assert (status, body["status"]) == (202, "accepted")
    assert repo.get(Follow, f"{GARDEN}|ann").state == "accepted"  # type: ignore[union-attr]
    # When the group later rejects (Mastodon's real Reject payload, pointed at us)
    reject = load_fixture("mastodon/mastodon-reject-activity.json", actor=GARDEN,
                          id=f"{GARDEN}#reject-1")
    reject.pop("signature", None)
    reject["object"] = {"type": "Follow", "actor": f"{PUBLIC}/@ann/", "object": GARDEN,
                        "id": "https://affiche.test/activities/x"}
    status, body = deliver_as(reject, GARDEN)
    assert (status, body["status"]) == (202, "accepted")
    assert repo.get(Follow, f"{GARDEN}|ann") is None


def test_a_mobilizon_group_announcing_the_event_itself(world: RemoteServer) -> None:
    # Mobilizon's group Announce embeds the object (its Article announce, carrying an event here)
    _ann_follows_mobilizon_group(world)
    body = load_fixture("signed-requests/mobilizon-group-announce-article.json")["body"]
    announce = {**body, "id": f"{MZ_GROUP}/announces/2", "actor": MZ_GROUP,
                "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    announce["object"] = {**announce["object"], "type": "Event", "attributedTo": MZ_GROUP,
                          "id": "http://mobilizon1.com/events/announced",
                          "to": ["https://www.w3.org/ns/activitystreams#Public"],
                          "startTime": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    status, body = deliver(announce, path="/inbox", key_id=f"{MZ_GROUP}#main-key",
                           key_name="@group")
    assert (status, body["status"]) == (202, "accepted"), body
    assert [e.title for e in follows.upcoming_for(ports(), ann())] == ["My updated post"]


def test_the_outbox_stream_consumer_queues_the_deliveries(world: RemoteServer) -> None:
    """DynamoDB -> stream -> functions/outbox -> the delivery queue (SQS, moto), end to end."""
    from affiche.activitypub.delivery import DeliveryMessage
    from affiche.aws import client
    from affiche.config import get_settings
    from affiche.local.pollers import StreamPoller
    from functions.outbox.handler import lambda_handler as outbox

    def strict(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result: dict[str, Any] = outbox(event, context)
        assert not result.get("batchItemFailures"), result
        return result

    poller = StreamPoller(get_settings().table_name, strict)  # from LATEST, as the runner does

    def queued() -> list[DeliveryMessage]:
        while poller.poll_once():
            pass
        answer = client("sqs").receive_message(QueueUrl=get_settings().delivery_queue_url,
                                               MaxNumberOfMessages=10)
        return [DeliveryMessage.from_json(m["Body"]) for m in answer.get("Messages", [])]

    # When alice follows @club (this poller runs the inbound handler too), then @club publishes
    # an event
    deliver_to_inbox(follow())
    (accept,) = queued()
    events.create_event(ports(), ann(), "club", EVENT)
    (create,) = queued()
    # Then the queue holds the Accept for her inbox, then the Create for her server
    assert (accept.activity["type"], accept.inbox, accept.sender) == (
        "Accept", f"{ALICE}/inbox", "club")
    assert (create.activity["type"], create.inbox, create.sender) == (
        "Create", SHARED_INBOX, "club")
