"""Delivery of queued activities: signed at send time, retried with back-off, dead-lettered with a
reason, never dropped (DESIGN.md §1.5, §4). Remote inboxes are httpx.MockTransport servers that
verify our signatures with the sender's published key."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from affiche.activitypub import delivery, delivery_consumer, fetch, instance_actor
from affiche.activitypub.delivery import DeliveryMessage
from affiche.activitypub.delivery_consumer import Deliverer, consume_batch
from affiche.activitypub.signatures import RequestSigner, verify_request
from affiche.domain import accounts, groups
from affiche.domain.context import Ports
from affiche.domain.model import Actor
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.functions.test_inbox import pems

START = datetime.now(UTC).replace(microsecond=0)  # enqueue stamps first_queued with now
PUBLIC = "https://affiche.test"
NOTE = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
        "id": f"{PUBLIC}/activities/1", "actor": f"{PUBLIC}/@club/",
        "object": {"type": "Note", "content": "hello"}}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class MemoryQueue:
    """An SQS queue with delays, against the test's clock."""

    clock: Clock
    messages: list[tuple[datetime, str]] = field(default_factory=list)

    def send(self, bodies: list[str], delay_seconds: int = 0) -> None:
        assert 0 <= delay_seconds <= 900  # SQS refuses more
        self.messages += [(self.clock() + timedelta(seconds=delay_seconds), b) for b in bodies]

    def receive(self, limit: int = 10) -> list[str]:
        visible = [m for m in self.messages if m[0] <= self.clock()][:limit]
        for message in visible:
            self.messages.remove(message)
        return [body for _, body in visible]

    def next_visible(self) -> datetime:
        return min(when for when, _ in self.messages)


class MemoryHealth:
    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}

    def get(self, host: str) -> dict[str, Any] | None:
        return self.states.get(host)

    def put(self, host: str, state: dict[str, Any]) -> None:
        self.states[host] = state

    def clear(self, host: str) -> None:
        self.states.pop(host, None)


SENDER_KEY = f"{PUBLIC}/@club/#main-key"


@dataclass
class Remote:
    """Remote inboxes: verify the signature, then answer as the test's `behaviour` says."""

    clock: Clock
    behaviour: Callable[[str, int], httpx.Response | Exception] = (
        lambda inbox, n: httpx.Response(202))
    public_pem: str = field(default_factory=lambda: pems("sender")[0])
    calls: dict[str, int] = field(default_factory=dict)
    delivered: list[tuple[str, str]] = field(default_factory=list)  # (activity id, inbox)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        inbox = str(request.url)
        result = verify_request("POST", request.url.raw_path.decode(), dict(request.headers),
                                request.content, lambda key_id: (SENDER_KEY, self.public_pem),
                                datetime.now(UTC))
        assert result.ok, result
        assert 'headers="(request-target) host date digest content-type"' in request.headers[
            "signature"]
        self.calls[inbox] = self.calls.get(inbox, 0) + 1
        answer = self.behaviour(inbox, self.calls[inbox])
        if isinstance(answer, Exception):
            raise answer
        if answer.status_code < 300:
            self.delivered.append((json.loads(request.content)["id"], inbox))
        return answer


def poster(remote: Remote) -> delivery_consumer.Post:
    transport = httpx.MockTransport(remote)

    def post(inbox: str, body: bytes, signer: fetch.Signer) -> None:
        fetch.Fetcher(allow_private=False, transport=transport, signer=signer,
                      resolver=lambda host, port: ["93.184.215.14"]).post(inbox, body)

    return post


@dataclass
class World:
    clock: Clock
    queue: MemoryQueue
    dead: MemoryQueue
    health: MemoryHealth
    remote: Remote
    deliverer: Deliverer

    def run(self, until_empty: bool = True) -> None:
        """Feed the queue to the consumer in batches of 10, moving the clock to the next
        visible message whenever nothing is visible (hours of back-off in no time)."""
        for _ in range(10_000):
            if not self.queue.messages:
                return
            batch = self.queue.receive()
            if not batch:
                self.clock.now = self.queue.next_visible()
                continue
            records = [{"messageId": str(i), "body": body} for i, body in enumerate(batch)]
            assert consume_batch(records, self.deliverer) == []
        raise AssertionError("the queue never emptied")

    def dead_letters(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.dead.messages]


@pytest.fixture
def world(aws: Path) -> World:
    """The consumer with memory queues and a fake remote; the instance's table (moto) holds the
    federation policy that queueing and sending both consult (open: nothing blocked)."""
    clock = Clock()
    queue, dead, health = MemoryQueue(clock), MemoryQueue(clock), MemoryHealth()
    remote = Remote(clock)
    signer = RequestSigner(SENDER_KEY, pems("sender")[1])
    deliverer = Deliverer(queue=queue, dead_letters=dead, health=health,
                          signer_for=lambda sender: signer if sender == "club" else None,
                          post=poster(remote), clock=clock)
    return World(clock, queue, dead, health, remote, deliverer)


def test_a_delivery_is_signed_with_a_digest_and_lands(world: World) -> None:
    delivery.enqueue(NOTE, sender="club", inboxes=["https://a.example/inbox"], queue=world.queue)
    world.run()
    assert world.remote.delivered == [(NOTE["id"], "https://a.example/inbox")]
    assert world.dead.messages == []


FAILURES: list[Callable[[], httpx.Response | Exception]] = [
    lambda: httpx.Response(500),
    lambda: httpx.Response(503, headers={"Retry-After": "120"}),
    lambda: httpx.Response(429, headers={"Retry-After": "Wed, 01 Jan 2020 00:00:00 GMT"}),
    lambda: httpx.ReadTimeout("slow"),
    lambda: httpx.ConnectError("[Errno 111] Connection refused"),
]


def test_injected_failures_end_delivered_or_dead_lettered(world: World) -> None:
    # Given 5 activities for 60 inboxes on 20 domains, a third of which fail: some for a while
    # (500, 503 with Retry-After, 429, timeouts, refused connections), some forever, some
    # answering 410 Gone or 403
    chance = random.Random(9)
    inboxes = [f"https://d{i % 20}.example/users/u{i}/inbox" for i in range(60)]
    plan: dict[str, tuple[str, int, Callable[[], httpx.Response | Exception]]] = {}
    for inbox in chance.sample(inboxes, 20):
        kind = chance.choice(["for a while", "for a while", "forever", "gone"])
        plan[inbox] = (kind, chance.randint(1, 4), chance.choice(FAILURES))

    def behaviour(inbox: str, n: int) -> httpx.Response | Exception:
        if inbox not in plan:
            return httpx.Response(202)
        kind, times, failure = plan[inbox]
        if kind == "gone":
            return httpx.Response(chance.choice([410, 403]))
        if kind == "forever" or n <= times * 5:  # five activities: n counts all of them
            return failure()
        return httpx.Response(200)

    world.remote.behaviour = behaviour
    activities = [{**NOTE, "id": f"{PUBLIC}/activities/{k}"} for k in range(5)]
    for activity in activities:
        delivery.enqueue(activity, sender="club", inboxes=inboxes, queue=world.queue)
    # When the consumer works through the queue, over simulated days
    world.run()
    # Then every (activity, inbox) was delivered or is in the dead-letter queue, with a reason
    delivered = set(world.remote.delivered)
    dead = {(d["activity"]["id"], d["inbox"]): d["reason"] for d in world.dead_letters()}
    expected = {(a["id"], inbox) for a in activities for inbox in inboxes}
    assert delivered | set(dead) == expected
    assert not delivered & set(dead)
    # failing for a while ends delivered; gone is dead at once; forever gives up after ~2 days
    for (_, inbox), reason in dead.items():
        kind = plan[inbox][0]
        assert kind in ("gone", "forever"), (inbox, reason)
        if kind == "gone":
            assert reason in ("HTTP 410", "HTTP 403")
        else:
            assert reason.startswith("gave up after") or reason == "domain unavailable"
    assert world.clock.now - START >= timedelta(days=2)  # forever-failing ones were retried


def test_backoff_grows_and_honours_retry_after(world: World) -> None:
    world.remote.behaviour = lambda inbox, n: httpx.Response(
        429, headers={"Retry-After": "3600"}) if n == 1 else httpx.Response(202)
    delivery.enqueue(NOTE, sender="club", inboxes=["https://a.example/inbox"], queue=world.queue)
    world.queue.receive()  # take it, to hand it over by hand
    message = DeliveryMessage(NOTE, "club", "https://a.example/inbox")
    outcome = world.deliverer.handle(message)
    assert (outcome.status, outcome.delay) == ("retry", 3600)
    (when, body), = world.queue.messages
    assert when == START + timedelta(seconds=900)  # SQS's longest delay; the rest is waited
    retry = DeliveryMessage.from_json(body)
    assert retry.attempt == 1 and retry.not_before == (START + timedelta(hours=1)).isoformat()
    # Received after 15 minutes, it goes back for the rest of its wait, without a request
    world.clock.now = when
    world.queue.messages.clear()
    assert world.deliverer.handle(retry).status == "waiting"
    assert world.remote.calls == {"https://a.example/inbox": 1}
    world.run()
    assert len(world.remote.delivered) == 1 and world.clock.now >= START + timedelta(hours=1)
    delays = [delivery_consumer.backoff_seconds(n, None, START) for n in range(1, 12)]
    assert delays == sorted(delays) and delays[0] == 60 and max(delays) == 6 * 3600


def test_a_domain_failing_for_days_is_skipped_until_it_answers(world: World) -> None:
    # Given a domain whose deliveries have failed for three days
    world.health.put("down.example", {"first_failure": (START - timedelta(days=3)).isoformat(),
                                      "failures": 40, "unavailable_since": START.isoformat(),
                                      "last_probe": START.isoformat()})
    # When an activity is queued for it
    delivery.enqueue(NOTE, sender="club", inboxes=["https://down.example/inbox"],
                     queue=world.queue)
    world.run()
    # Then no request is made, and the message is dead-lettered with the reason
    assert world.remote.calls == {}
    assert [d["reason"] for d in world.dead_letters()] == ["domain unavailable"]
    # An hour later one delivery probes it; the domain answers, so it is available again
    world.clock.now += timedelta(hours=1, seconds=1)
    delivery.enqueue({**NOTE, "id": f"{PUBLIC}/activities/2"}, sender="club",
                     inboxes=["https://down.example/inbox"], queue=world.queue)
    world.run()
    assert world.remote.calls == {"https://down.example/inbox": 1}
    assert world.health.get("down.example") is None


def test_a_domain_is_marked_unavailable_after_days_of_failure(world: World) -> None:
    world.remote.behaviour = lambda inbox, n: httpx.Response(502)
    for day in range(4):
        world.clock.now = START + timedelta(days=day)
        delivery.enqueue({**NOTE, "id": f"{PUBLIC}/activities/{day}"}, sender="club",
                         inboxes=["https://flaky.example/inbox"], queue=world.queue)
        world.deliverer = Deliverer(queue=world.queue, dead_letters=world.dead,
                                    health=world.health, signer_for=world.deliverer.signer_for,
                                    post=world.deliverer.post, clock=world.clock)
        (body,) = world.queue.receive()
        world.deliverer.handle_body(body)
        world.queue.messages.clear()
    state = world.health.get("flaky.example")
    assert state is not None and state["unavailable_since"]


def test_unknown_sender_and_unreadable_messages_are_dead_lettered(world: World) -> None:
    world.queue.send([DeliveryMessage(NOTE, "ghost", "https://a.example/inbox").to_json(),
                      "{not json"])
    world.run()
    assert sorted(d["reason"] for d in world.dead_letters()) == [
        "the sender 'ghost' has no key", "unreadable message"]


def test_private_inboxes_are_refused_permanently(world: World) -> None:
    def post(inbox: str, body: bytes, signer: fetch.Signer) -> None:
        fetch.Fetcher(allow_private=False, signer=signer,
                      resolver=lambda host, port: ["10.0.0.7"]).post(inbox, body)

    world.deliverer.post = post
    delivery.enqueue(NOTE, sender="club", inboxes=["https://inside.example/inbox"],
                     queue=world.queue)
    world.run()
    (dead,) = world.dead_letters()
    assert dead["reason"].startswith("blocked") and "10.0.0.7" not in dead["reason"]


def test_concurrent_requests_per_domain_are_capped(world: World) -> None:
    import threading
    import time

    running: dict[str, int] = {}
    peak: dict[str, int] = {}
    lock = threading.Lock()

    def slow(inbox: str, n: int) -> httpx.Response:
        host = httpx.URL(inbox).host
        with lock:
            running[host] = running.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), running[host])
        time.sleep(0.02)
        with lock:
            running[host] -= 1
        return httpx.Response(202)

    world.remote.behaviour = slow
    delivery.enqueue(NOTE, sender="club", queue=world.queue,
                     inboxes=[f"https://one.example/u/{i}/inbox" for i in range(10)])
    world.run()
    assert len(world.remote.delivered) == 10
    assert peak["one.example"] <= delivery_consumer.MAX_PER_DOMAIN


# --- through the outbox function, SQS and DynamoDB (moto) ---------------------------------------

class FixedKeys:
    def generate(self) -> tuple[str, str]:
        return pems("sender")


@pytest.fixture
def instance(aws: Path, cheap_crypto: None) -> Iterator[Remote]:
    """A local group @club whose key is pems("sender"), and remote inboxes."""
    ports = Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=FixedKeys())
    ann = accounts.signup(ports, email="ann@example.org", password="correct horse",
                          username="ann", confirmed=True)
    groups.create_group(ports, ann, name="club", display_name="The Club")
    remote = Remote(Clock())
    fetch.set_transport_factory(lambda: httpx.MockTransport(remote))
    fetch.set_resolver(lambda host, port: ["93.184.215.14"])
    yield remote
    fetch.set_transport_factory(None)
    fetch.set_resolver(None)


def queue_poller() -> Any:
    from affiche.config import get_settings
    from affiche.local.pollers import QueuePoller
    from functions.outbox.handler import lambda_handler as outbox

    return QueuePoller(get_settings().delivery_queue_url, outbox)


def dlq_bodies() -> list[dict[str, Any]]:
    from affiche.aws import client
    from affiche.config import get_settings

    url = delivery_consumer.dead_letter_queue_url(get_settings().delivery_queue_url)
    got = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_the_outbox_function_delivers_from_the_queue(instance: Remote) -> None:
    # Given the group's key on record, and inboxes: one fine, one gone, one failing
    group = DynamoRepository().get(Actor, "club")
    assert group is not None and group.public_key_pem == pems("sender")[0]
    answers = {"https://ok.example/inbox": httpx.Response(202),
               "https://gone.example/inbox": httpx.Response(410),
               "https://busy.example/inbox": httpx.Response(500)}
    instance.behaviour = lambda inbox, n: answers[inbox]
    delivery.enqueue(NOTE, sender="club", inboxes=list(answers))
    # When the local runner's queue poller feeds the outbox function (as Lambda's SQS source)
    poller = queue_poller()
    assert poller.poll_once()
    # Then the first landed, signed with the group's key; the gone one is dead-lettered
    assert instance.delivered == [(NOTE["id"], "https://ok.example/inbox")]
    dead = dlq_bodies()
    assert [(d["inbox"], d["reason"]) for d in dead] == [("https://gone.example/inbox",
                                                          "HTTP 410")]
    # and the failing one waits in the queue for its retry, with its attempt counted
    from affiche.aws import client
    from affiche.config import get_settings

    attributes = client("sqs").get_queue_attributes(
        QueueUrl=get_settings().delivery_queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    # and the failing domain's health is on record
    state = delivery_consumer.DynamoDomainHealth().get("busy.example")
    assert state is not None and state["failures"] == 1


def test_the_instance_actor_signs_as_slash_actor(instance: Remote) -> None:
    private = instance_actor.private_key_pem()
    instance.public_pem = instance_actor.public_key_pem(private)
    delivery.enqueue(NOTE, sender="", inboxes=["https://ok.example/inbox"])
    queue_poller().poll_once()
    assert instance.delivered == [(NOTE["id"], "https://ok.example/inbox")]


def test_a_crash_is_reported_as_a_batch_item_failure(instance: Remote,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.outbox.handler import lambda_handler

    def broken(self: Deliverer, body: str) -> None:
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(Deliverer, "handle_body", broken)
    event = {"Records": [{"messageId": "m1", "body": "{}", "eventSource": "aws:sqs"}]}
    assert lambda_handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
