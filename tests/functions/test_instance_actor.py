"""The instance actor (/actor, FEP-2677): published as a static file, found through NodeInfo and
WebFinger, and the signer of every GET we make (servers in authorized-fetch mode refuse unsigned
GETs, even of the key we need to check their own signature)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from affiche.activitypub import fetch, instance_actor, remote_keys
from affiche.activitypub.signatures import verify_request
from affiche.config import get_settings
from affiche.publish.renderer import Renderer
from affiche.store.repository import DynamoRepository
from functions.webfinger.handler import lambda_handler as webfinger
from tests.apigw import http_event
from tests.functions.test_inbox import ALICE, ALICE_KEY, actor_doc


def rendered(name: str) -> dict[str, object]:
    renderer = Renderer(get_settings(), DynamoRepository(), datetime.now(UTC))
    output = getattr(renderer, name)()
    return {f.key: (json.loads(f.body), f.content_type) for f in output.files
            if f.key.endswith(".json")}


def test_actor_json_is_an_application_with_a_stable_key(aws: Path) -> None:
    # When the publisher renders the instance actor twice
    first = rendered("instance_actor")["actor.json"]
    second = rendered("instance_actor")["actor.json"]
    # Then it is one Application actor, served as ActivityPub JSON, whose key does not change
    doc, content_type = first  # type: ignore[misc]
    assert content_type == "application/activity+json"
    assert first == second
    assert doc["id"] == "https://affiche.test/actor" and doc["type"] == "Application"
    assert doc["preferredUsername"] == "affiche.test"
    assert doc["inbox"] == "https://affiche.test/inbox"
    assert doc["publicKey"]["id"] == "https://affiche.test/actor#main-key"
    assert doc["publicKey"]["owner"] == doc["id"]
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_nodeinfo_links_the_instance_actor(aws: Path) -> None:
    files = rendered("instance_constants")
    discovery, _ = files[".well-known/nodeinfo.json"]  # type: ignore[misc]
    assert {"rel": "https://www.w3.org/ns/activitystreams#Application",
            "href": "https://affiche.test/actor"} in discovery["links"]


def test_webfinger_finds_the_instance_actor(aws: Path) -> None:
    for resource in ("acct:affiche.test@affiche.test", "https://affiche.test/actor"):
        res = webfinger(http_event("GET", "/.well-known/webfinger",
                                   query={"resource": resource}), None)
        assert res["statusCode"] == 200, res
        links = json.loads(res["body"])["links"]
        assert links[0]["href"] == "https://affiche.test/actor"


def test_key_fetches_are_signed_by_the_instance_actor(aws: Path) -> None:
    # Given a remote server in authorized-fetch mode: it answers only signed GETs
    seen: list[httpx.Request] = []
    public_pem = instance_actor.public_key_pem(instance_actor.private_key_pem())

    def authorized_fetch(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        result = verify_request("GET", request.url.raw_path.decode(), dict(request.headers),
                                b"", lambda key_id: (instance_actor.actor_id(
                                    get_settings().public_url), public_pem), datetime.now(UTC))
        if not result.ok:
            return httpx.Response(401)
        return httpx.Response(200, json=actor_doc(ALICE, "alice"))

    fetch.set_transport_factory(lambda: httpx.MockTransport(authorized_fetch))
    fetch.set_resolver(lambda host, port: ["93.184.215.14"])
    try:
        # When we fetch alice's key
        key = remote_keys.get_key(ALICE_KEY)
    finally:
        fetch.set_transport_factory(None)
        fetch.set_resolver(None)
    # Then the GET was signed over (request-target) host date by /actor's key, and accepted
    assert key.owner == ALICE
    signature = seen[0].headers["Signature"]
    assert 'keyId="https://affiche.test/actor#main-key"' in signature
    assert 'headers="(request-target) host date"' in signature


# --- the key in an SSM SecureString (affiche/secure_parameters.py, make deploy) ---------------

KEY_PARAMETER = "/affiche/affiche/instance-key"


def test_with_a_parameter_the_key_is_read_from_ssm_and_signs(
        aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from affiche import secure_parameters
    from affiche.config import reset_settings
    from affiche.domain.model import ActorKey
    from tests.keys import CannedKeys

    # Given the key provisioned as make deploy does, and the functions told its name
    assert instance_actor.provision_key_parameter(KEY_PARAMETER, keys=CannedKeys())
    monkeypatch.setenv("AFFICHE_INSTANCE_KEY_PARAMETER", KEY_PARAMETER)
    reset_settings()
    stored = boto3.client("ssm").get_parameter(Name=KEY_PARAMETER, WithDecryption=True)
    assert stored["Parameter"]["Type"] == "SecureString"
    # When the publisher renders /actor and a fetch is signed
    doc = rendered("instance_actor")["actor.json"][0]
    pem = stored["Parameter"]["Value"]
    # Then both use the parameter's key, and the table holds no copy of it
    assert doc["publicKey"]["publicKeyPem"] == instance_actor.public_key_pem(pem)  # type: ignore[index]
    assert instance_actor.private_key_pem() == pem
    assert DynamoRepository().get(ActorKey, instance_actor.KEY_NAME) is None
    # And it is read once per container, not per signature
    reads = secure_parameters.read.cache_info().misses
    instance_actor.private_key_pem()
    instance_actor.private_key_pem()
    assert secure_parameters.read.cache_info().misses == reads


def test_provisioning_moves_the_tables_key_and_never_overwrites(aws: Path) -> None:
    import boto3

    from tests.keys import CannedKeys

    repo = DynamoRepository()
    # Given an instance deployed before keys moved to SSM: its key is in the table
    before = instance_actor.table_key(repo, CannedKeys())
    # When make deploy provisions the parameter, then it holds that same key (same key id)
    assert instance_actor.provision_key_parameter(KEY_PARAMETER, repo)
    ssm = boto3.client("ssm")
    assert ssm.get_parameter(Name=KEY_PARAMETER, WithDecryption=True)["Parameter"]["Value"] \
        == before
    # And a second deploy leaves it as it is
    assert not instance_actor.provision_key_parameter(KEY_PARAMETER, repo, keys=CannedKeys())
    assert ssm.get_parameter(Name=KEY_PARAMETER, WithDecryption=True)["Parameter"]["Value"] \
        == before
