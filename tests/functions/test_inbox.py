"""The inbox through the real handler (moto behind), with real fediverse payloads signed by a
test key whose actor document a fake remote server (httpx.MockTransport) serves. Processing is
asynchronous: the `consumer` fixture reads the table's stream into the outbox function, as the
local runner's StreamPoller (and Lambda's event source mapping) does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from affiche.activitypub import fetch, handlers
from affiche.activitypub.signatures import sign_request
from affiche.domain import accounts, groups
from affiche.domain.context import Ports
from affiche.store.repository import DynamoRepository
from affiche.store.table import Item, bind
from affiche.web.passwords import Argon2Hasher
from functions.inbox.handler import lambda_handler
from tests.apigw import http_event
from tests.conftest import load_fixture

PUBLIC = "https://affiche.test"  # the `env` fixture's public URL
GROUP_URL = f"{PUBLIC}/@club/"
ALICE = "https://remote.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"
# What API Gateway shows the function: not the host the sender signed for.
ORIGIN_HOST = "abc123.execute-api.eu-west-1.amazonaws.com"


@cache
def private_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pems(name: str) -> tuple[str, str]:
    key = private_key(name)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return public.decode(), private.decode()


def actor_doc(actor_id: str, key_name: str) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": actor_id,
            "type": "Person", "inbox": f"{actor_id}/inbox", "preferredUsername": "alice",
            "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id,
                          "publicKeyPem": pems(key_name)[0]}}


@dataclass
class RemoteServer:
    """remote.example: serves actor documents, counts fetches."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.fetched.append(str(request.url))
        doc = self.documents.get(str(request.url))
        if doc is None:
            return httpx.Response(410)
        return httpx.Response(200, json=doc, headers={"Content-Type": "application/activity+json"})


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    server = RemoteServer({ALICE: actor_doc(ALICE, "alice")})
    fetch.set_transport_factory(lambda: httpx.MockTransport(server))
    fetch.set_resolver(lambda host, port: ["93.184.215.14"])
    yield server
    fetch.set_transport_factory(None)
    fetch.set_resolver(None)


class FixedKeys:
    def generate(self) -> tuple[str, str]:
        return pems("local")


@pytest.fixture
def instance(aws: Path, cheap_crypto: None, remote: RemoteServer) -> RemoteServer:
    """Given a local group @club, and alice on remote.example."""
    ports = Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=FixedKeys())
    ann = accounts.signup(ports, email="ann@example.org", password="correct horse",
                          username="ann", confirmed=True)
    groups.create_group(ports, ann, name="club", display_name="The Club")
    return remote


def follow(**overrides: Any) -> dict[str, Any]:
    """Mastodon's Follow of a group, from alice to @club."""
    activity = load_fixture("mastodon/follow-group.json", actor=ALICE, object=GROUP_URL,
                            id="https://remote.example/follows/1")
    activity.update(overrides)
    return activity


def deliver(activity: dict[str, Any] | bytes, *, path: str = "/@club/inbox",
            key_id: str = ALICE_KEY, key_name: str = "alice", sign: bool = True,
            now: datetime | None = None, tamper: dict[str, str] | None = None
            ) -> tuple[int, dict[str, Any]]:
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    headers = {"Content-Type": "application/activity+json"}
    if sign:
        headers.update(sign_request("POST", PUBLIC + path, headers, body, key_id,
                                    pems(key_name)[1], now=now))
    headers["Host"] = ORIGIN_HOST
    headers.update(tamper or {})
    res = lambda_handler(http_event("POST", path, body=body, headers=headers), None)
    return res["statusCode"], json.loads(res["body"])


def inbound_items() -> list[Item]:
    bind()
    return [item for item in Item.scan() if item.kind == "inbound"]


def records() -> list[dict[str, Any]]:
    return [json.loads(item.data) for item in inbound_items()]


class Consumer:
    """The outbox function fed from the table's stream, synchronously."""

    def __init__(self) -> None:
        from affiche.config import get_settings
        from affiche.local.pollers import StreamPoller
        from functions.outbox.handler import lambda_handler as outbox

        self.poller = StreamPoller(get_settings().table_name, outbox)

    def drain(self) -> None:
        while self.poller.poll_once():
            pass


@pytest.fixture
def consumer(instance: RemoteServer) -> Consumer:
    return Consumer()


def test_signed_follow_is_stored_and_accepted(instance: RemoteServer,
                                              consumer: Consumer) -> None:
    # When alice's server delivers a signed Follow to the group's inbox
    status, body = deliver(follow())
    # Then it is acknowledged at once, stored raw under its id as received, her key fetched once
    assert (status, body["status"]) == (202, "received"), body
    (item,) = inbound_items()
    assert item.pk == "INBOUND#https://remote.example/follows/1"
    record = json.loads(item.data)
    assert record["activity"] == follow()
    assert (record["inbox"], record["signer"], record["key_id"]) == ("club", ALICE, ALICE_KEY)
    assert record["state"] == "received"
    assert instance.fetched == [ALICE]
    # When the stream consumer runs
    consumer.drain()
    # Then the Follow was processed (the Follow handler keeps a copy of her actor document) and
    # its outcome recorded on the item
    (record,) = records()
    assert record["state"] == "processed", record
    assert instance.fetched == [ALICE, ALICE]


def test_shared_inbox(instance: RemoteServer) -> None:
    status, _ = deliver(follow(), path="/inbox")
    assert status == 202
    assert json.loads(inbound_items()[0].data)["inbox"] is None


def test_replay_is_accepted_but_not_stored_or_processed_twice(
        instance: RemoteServer, consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_dispatch = handlers.dispatch

    def counting(activity: dict[str, Any], context: handlers.InboundContext) -> handlers.Outcome:
        seen.append(context.activity_id)
        return real_dispatch(activity, context)

    monkeypatch.setattr(handlers, "dispatch", counting)
    # Given a Follow already delivered and processed
    assert deliver(follow())[0] == 202
    consumer.drain()
    # When the same activity is delivered again
    status, body = deliver(follow())
    consumer.drain()
    # Then it is acknowledged as a duplicate, stored once, dispatched once; the key was cached
    assert (status, body["status"]) == (202, "duplicate")
    assert len(inbound_items()) == 1
    assert seen == ["https://remote.example/follows/1"]
    assert instance.fetched == [ALICE, ALICE]  # key, then actor copy: both cached since


def test_unsigned_is_refused(instance: RemoteServer) -> None:
    status, body = deliver(follow(), sign=False)
    assert status == 401
    assert body["error"] == "unsigned"
    assert inbound_items() == [] and instance.fetched == []


def test_wrong_digest_is_refused(instance: RemoteServer) -> None:
    # Given a correctly signed request whose Digest was swapped in transit
    wrong = "SHA-256=" + "A" * 43 + "="
    status, body = deliver(follow(), tamper={"Digest": wrong})
    assert (status, body["reason"]) == (401, "digest_mismatch")
    assert inbound_items() == [] and instance.fetched == []


def test_old_date_is_refused(instance: RemoteServer) -> None:
    status, body = deliver(follow(), now=datetime.now(UTC) - timedelta(hours=2))
    assert (status, body["reason"]) == (401, "date_out_of_window")


def test_key_owner_must_be_the_actor(instance: RemoteServer) -> None:
    # Given alice's server signing an activity that claims to come from bob
    status, body = deliver(follow(actor="https://remote.example/users/bob"))
    # Then it is refused: a key only speaks for its owner
    assert status == 401
    assert body["reason"] == "key_owner_mismatch"
    assert inbound_items() == []


def test_signature_by_another_key_is_refused(instance: RemoteServer) -> None:
    status, body = deliver(follow(), key_name="mallory")
    assert (status, body["reason"]) == (401, "bad_signature")


def test_delete_storm_from_an_unknown_actor_costs_nothing(instance: RemoteServer) -> None:
    # Given Mastodon's account self-Delete, from a server we never heard of
    delete = load_fixture("mastodon/delete-actor.json")
    # When it is delivered (signed by a key we never cached)
    status, body = deliver(delete, path="/inbox", key_id=delete["signature"]["creator"],
                           key_name="mastodon-alice")
    # Then it is acknowledged at once: nothing fetched, nothing stored
    assert (status, body["status"]) == (202, "ignored")
    assert instance.fetched == []
    assert inbound_items() == []


def test_self_update_from_an_unknown_actor_costs_nothing(instance: RemoteServer) -> None:
    update = {"id": "https://far.example/users/zed#update", "type": "Update",
              "actor": "https://far.example/users/zed",
              "object": {"id": "https://far.example/users/zed", "type": "Person"}}
    status, _ = deliver(update, key_id="https://far.example/users/zed#main-key")
    assert status == 202 and instance.fetched == []


def test_self_delete_from_a_known_actor_is_verified_and_stored(instance: RemoteServer) -> None:
    # Given alice is known (her key is cached after a Follow)
    deliver(follow())
    # When she deletes her account
    delete = load_fixture("mastodon/delete-actor.json", id=f"{ALICE}#delete", actor=ALICE,
                          object=ALICE)
    status, _ = deliver(delete, path="/inbox")
    # Then the Delete goes through verification and is stored
    assert status == 202
    assert len(inbound_items()) == 2
    assert instance.fetched == [ALICE]  # the key, cached since (no handler ran: no consumer)


def test_rotated_key_is_fetched_once_more(instance: RemoteServer) -> None:
    # Given alice's old key is cached
    deliver(follow())
    # When she rotates her key and signs with the new one
    instance.documents[ALICE] = actor_doc(ALICE, "alice-2025")
    status, _ = deliver(follow(id="https://remote.example/follows/2"), key_name="alice-2025")
    # Then the cached key fails, the key is fetched again once, and the activity accepted
    assert status == 202
    assert instance.fetched == [ALICE, ALICE]  # the key, then the rotated key


def test_bad_signature_with_a_fresh_key_is_not_retried(instance: RemoteServer) -> None:
    status, _ = deliver(follow(), key_name="mallory")
    assert status == 401
    assert instance.fetched == [ALICE]  # fetched once (not cached before), no second fetch


def test_unreachable_key_is_refused(instance: RemoteServer) -> None:
    status, body = deliver(follow(actor="https://remote.example/users/gone"),
                           key_id="https://remote.example/users/gone#main-key")
    assert (status, body["reason"]) == (401, "unknown_key")
    assert "410" in body["message"]


def test_oversized_body_is_refused(instance: RemoteServer) -> None:
    padding = "x" * (256 * 1024)
    status, body = deliver(follow(content=padding))
    assert (status, body["error"]) == (413, "body_too_large")
    assert instance.fetched == []


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "invalid_json"),
    (b"[1, 2]", "invalid_activity"),
    (json.dumps({"actor": ALICE}).encode(), "invalid_activity"),
    (json.dumps({"type": "Follow"}).encode(), "invalid_activity"),
    (json.dumps({"type": "Follow", "actor": {"name": "no id"}}).encode(), "invalid_activity"),
])
def test_malformed_activities_are_refused(instance: RemoteServer, body: bytes, error: str) -> None:
    status, answer = deliver(body)
    assert (status, answer["error"]) == (400, error)


def test_actor_given_as_object_is_accepted(instance: RemoteServer) -> None:
    status, _ = deliver(follow(actor={"id": ALICE, "type": "Person"}))
    assert status == 202


def test_unknown_local_inbox(instance: RemoteServer) -> None:
    status, body = deliver(follow(), path="/@nobody/inbox")
    assert (status, body["error"]) == (404, "not_found")
    assert instance.fetched == []


def test_only_post(instance: RemoteServer) -> None:
    res = lambda_handler(http_event("GET", "/inbox"), None)
    assert res["statusCode"] == 405 and res["headers"]["Allow"] == "POST"


def test_a_crashing_handler_is_retried_then_recorded_as_failed(
        instance: RemoteServer, consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a handler that crashes every time
    calls: list[str] = []

    def crash(activity: dict[str, Any], context: handlers.InboundContext) -> handlers.Outcome:
        calls.append(context.activity_id)
        raise RuntimeError("bug in a handler")

    monkeypatch.setattr(handlers, "dispatch", crash)
    # When a Follow arrives: the sender is answered 202 at once, whatever the handler does
    assert deliver(follow())[1]["status"] == "received"
    consumer.drain()
    # Then the handler was tried a bounded number of times, and the failure is on record
    (record,) = records()
    assert len(calls) == 3
    assert record["state"] == "failed" and "bug in a handler" in record["error"]
    # and an administrator can list it
    from affiche.activitypub.inbox import DynamoInbound

    assert [r["id"] for r in DynamoInbound().in_state("failed")] == [record["id"]]


def test_a_handler_failing_once_is_processed_on_retry(
        instance: RemoteServer, consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    real_dispatch = handlers.dispatch
    calls: list[str] = []

    def flaky(activity: dict[str, Any], context: handlers.InboundContext) -> handlers.Outcome:
        calls.append(context.activity_id)
        if len(calls) == 1:
            raise TimeoutError("DynamoDB throttled")
        return real_dispatch(activity, context)

    monkeypatch.setattr(handlers, "dispatch", flaky)
    deliver(follow())
    consumer.drain()
    (record,) = records()
    assert len(calls) == 2 and record["state"] in ("processed", "ignored")
    assert record["attempts"] == 2


def test_a_domain_error_fails_at_once(instance: RemoteServer, consumer: Consumer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.domain.errors import NotFound

    def refuse(activity: dict[str, Any], context: handlers.InboundContext) -> handlers.Outcome:
        raise NotFound("no such event")

    monkeypatch.setattr(handlers, "dispatch", refuse)
    deliver(follow())
    consumer.drain()
    (record,) = records()
    assert (record["state"], record["attempts"]) == ("failed", 1)
    assert "no such event" in record["error"]


# --- robust input (tracker issue 9, item 8) ----------------------------------------------------

def nested(depth: int) -> bytes:
    """A signed-looking Follow whose content nests `depth` arrays (json.dumps could not)."""
    head = json.dumps(follow())[:-1].encode()
    return head + b', "content": ' + b"[" * depth + b'"deep"' + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [40, 1_100, 100_000])
def test_deeply_nested_json_is_refused_not_crashing(instance: RemoteServer, depth: int) -> None:
    status, body = deliver(nested(depth))
    assert (status, body["error"]) == (400, "invalid_json")
    assert inbound_items() == [] and instance.fetched == []


def test_a_body_of_tiny_values_near_the_limit_is_stored(instance: RemoteServer) -> None:
    # Given a 250 KB activity made of 120,000 tiny values (re-serialised with spaces it would
    # grow by half, close to DynamoDB's 400 KB item limit)
    activity = follow(content=[1] * 120_000)
    body = json.dumps(activity, separators=(",", ":")).encode()
    assert 240_000 < len(body) < 256 * 1024
    status, _ = deliver(body)
    assert status == 202
    assert len(inbound_items()) == 1


def test_moderate_nesting_and_brackets_inside_strings_pass(instance: RemoteServer) -> None:
    status, _ = deliver(follow(content=[[["ok"]]], summary="[[[[{{{{" * 100))
    assert status == 202


@pytest.mark.parametrize("type_", [[1, 2], {"a": 1}, "", [], ["Follow"] * 11, 3, None, True])
def test_type_of_the_wrong_shape_is_refused(instance: RemoteServer, type_: Any) -> None:
    status, body = deliver(follow(type=type_))
    assert (status, body["error"]) == (400, "invalid_activity")


@pytest.mark.parametrize("id_", [3, ["a"], {"no": "id"}])
def test_id_of_the_wrong_shape_is_refused(instance: RemoteServer, id_: Any) -> None:
    assert deliver(follow(id=id_))[0] == 400


def test_an_id_on_another_host_is_refused(instance: RemoteServer) -> None:
    # Given alice's server sending an activity whose id is on another server (squatting its ids)
    status, body = deliver(follow(id="https://victim.example/activities/1"))
    # Then it is refused with a clear message, and nothing is stored under that id
    assert (status, body["reason"]) == (400, "id_host_mismatch")
    assert "victim.example" in body["message"]
    assert inbound_items() == []


def test_a_transient_activity_without_id_is_accepted(instance: RemoteServer) -> None:
    activity = follow()
    del activity["id"]
    status, body = deliver(activity)
    assert status == 202 and body["id"].startswith("sha256:")


def test_a_blocked_domain_is_refused_before_any_fetch(instance: RemoteServer) -> None:
    from affiche.activitypub import blocklist

    # Given remote.example's parent domain blocked by the moderators
    blocklist.block_domain("Example")  # stored normalised: blocks every *.example
    try:
        status, body = deliver(follow())
    finally:
        blocklist.unblock_domain("example")
    assert (status, body["error"]) == (403, "domain_blocked")
    assert instance.fetched == [] and inbound_items() == []
    # and once unblocked it is accepted again
    assert deliver(follow())[0] == 202


def test_a_401_never_tells_what_a_key_host_resolves_to(instance: RemoteServer) -> None:
    # Given a key on a host that resolves to a private address
    fetch.set_resolver(lambda host, port: ["10.20.30.40"] if host == "inside.example"
                       else ["93.184.215.14"])
    inside = "https://inside.example/users/x"
    status, body = deliver(follow(actor=inside, id="https://inside.example/f/1"),
                           key_id=f"{inside}#main-key")
    # Then the answer says the key could not be had, and nothing about the address
    assert (status, body["reason"]) == (401, "unknown_key")
    assert "10.20.30.40" not in json.dumps(body)
    assert "not reachable" in body["message"]


def rfc9421_headers(params: str) -> dict[str, str]:
    """Signature fields that pass every check before the timestamps (right digest of the body)."""
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(json.dumps(follow()).encode()).digest()).decode()
    return {"Signature-Input": f'sig1=("@method" "@target-uri" "content-digest");{params}',
            "Signature": "sig1=:AAAA:", "Content-Digest": f"sha-256=:{digest}:"}


@pytest.mark.parametrize("params", [
    'created=99999999999999;keyid="https://remote.example/users/alice#main-key"',
    'created=-5;keyid="https://remote.example/users/alice#main-key"',
    'created=1.5;keyid="https://remote.example/users/alice#main-key"',
    'created="soon";keyid="https://remote.example/users/alice#main-key"',
    'created=?1;keyid="https://remote.example/users/alice#main-key"',
    'expires=999999999999999;keyid="https://remote.example/users/alice#main-key"',
    'expires=-1;created=1700000000;keyid="https://remote.example/users/alice#main-key"',
])
def test_out_of_range_rfc9421_timestamps_answer_401(instance: RemoteServer, params: str) -> None:
    status, body = deliver(follow(), sign=False, tamper=rfc9421_headers(params))
    assert (status, body["reason"]) in ((401, "malformed"), (401, "date_out_of_window"))
    assert instance.fetched == []  # refused before any key fetch


@pytest.mark.parametrize("extra", ['created="99999999999999999999"', 'created="-5"',
                                   'expires="1.5"', 'expires="1"', 'created="x"'])
def test_out_of_range_cavage_timestamps_answer_401(instance: RemoteServer, extra: str) -> None:
    body = json.dumps(follow()).encode()
    headers = sign_request("POST", PUBLIC + "/@club/inbox", {}, body, ALICE_KEY,
                           pems("alice")[1])
    headers["Signature"] = headers["Signature"] + "," + extra
    res = lambda_handler(http_event("POST", "/@club/inbox", body=body, headers=headers), None)
    assert res["statusCode"] == 401
    assert json.loads(res["body"])["reason"] in ("malformed", "date_out_of_window")


@pytest.mark.parametrize("tamper", [
    {"Date": "Fri, 31 Dec 9999 23:59:59 -2359"},
    {"Date": "Mon, 01 Jan 0000 00:00:00 GMT"},
    {"Date": "\x00"},
    {"Digest": "SHA-256"},
    {"Digest": "=,=,=="},
    {"Signature": 'keyId="x",signature="!!"'},
    {"Signature": 'keyId="https://remote.example/users/alice#main-key",headers="",'
                  'signature="AAAA"'},
    {"Signature": 'keyId=,algorithm="rsa-sha256",headers="(request-target) host date digest",'
                  'signature=="'},
    {"Signature": "a" * 8000},
    {"Signature-Input": "sig1=", "Signature": "sig1=:AAAA:"},
    {"Signature-Input": 'sig1=("@method");keyid=5', "Signature": "sig1=:AAAA:"},
    {"Signature-Input": 'sig1=("@method" "@target-uri" "digest");keyid="k";alg="nope"',
     "Signature": "sig1=:AAAA:"},
    {"Signature-Input": "(((((", "Signature": ")))"},
    {"Signature-Input": 'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k"',
     "Signature": "sig1=:AAAA:", "Content-Digest": "sha-256=:not base64:"},
])
def test_garbled_signature_fields_answer_4xx(instance: RemoteServer,
                                             tamper: dict[str, str]) -> None:
    status, body = deliver(follow(), tamper=tamper)
    assert 400 <= status < 500, body
    assert "error" in body
