"""WebFinger through the real handler (moto behind), with actors created through the domain."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from affiche.activitypub.vocabulary import Urls, actor_document
from affiche.domain import accounts, groups
from affiche.domain.context import Ports
from affiche.domain.model import Actor
from affiche.domain.ports import ChangeSet
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from functions.webfinger.handler import lambda_handler
from tests.apigw import http_event
from tests.conftest import FIXTURES

HOST = "affiche.test"  # the `env` fixture's AFFICHE_PUBLIC_URL is https://affiche.test


class FixedKeys:
    """One RSA pair for every actor: generating 2048-bit keys per test is slow."""

    @staticmethod
    @cache
    def _pair() -> tuple[str, str]:
        from affiche.activitypub.keys import RsaKeyFactory

        return RsaKeyFactory().generate()

    def generate(self) -> tuple[str, str]:
        return self._pair()


@pytest.fixture
def ports(aws: Path, cheap_crypto: None) -> Ports:
    return Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=FixedKeys())


@pytest.fixture
def instance(ports: Ports) -> Ports:
    """Given ann (confirmed), her group `club`, and bob who never confirmed his address."""
    ann = accounts.signup(ports, email="ann@example.org", password="correct horse",
                          username="ann", confirmed=True)
    groups.create_group(ports, ann, name="club", display_name="The Club")
    accounts.signup(ports, email="bob@example.org", password="correct horse", username="bob")
    return ports


def finger(resource: str | None, method: str = "GET") -> tuple[int, dict[str, Any], dict[str, str]]:
    query = {"resource": resource} if resource is not None else None
    res = lambda_handler(http_event(method, "/.well-known/webfinger", query=query), None)
    return res["statusCode"], json.loads(res["body"]), res["headers"]


def rels(document: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(link["rel"], link.get("type")) for link in document["links"]}


@pytest.mark.parametrize("name", ["club", "ann"])
def test_handle_resolves_to_the_actor_id(instance: Ports, name: str) -> None:
    # When a remote server looks up @name@affiche.test
    status, body, headers = finger(f"acct:{name}@{HOST}")
    # Then the JRD points, with rel=self and type application/activity+json, at the actor's id
    assert status == 200
    assert headers["Content-Type"] == "application/jrd+json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    actor = instance.repo.get(Actor, name)
    assert actor is not None
    actor_id = actor_document(Urls("https://affiche.test"), actor)["id"]
    assert body["subject"] == f"acct:{name}@{HOST}"
    assert body["aliases"] == [actor_id] == [f"https://affiche.test/@{name}/"]
    self_link = next(link for link in body["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": "application/activity+json", "href": actor_id}


def test_answer_has_the_shape_of_mastodons(instance: Ports) -> None:
    # Given the JRDs real servers send
    mastodon = json.loads((FIXTURES / "webfinger/mastodon.json").read_text())
    others = [json.loads((FIXTURES / f"webfinger/{n}.json").read_text())
              for n in ("gancio", "mobilizon-relay")]
    # When we answer for a group
    _, body, _ = finger(f"acct:club@{HOST}")
    # Then we carry Mastodon's self, profile-page and subscribe links, with the same types
    wanted = {("self", "application/activity+json"),
              ("http://webfinger.net/rel/profile-page", "text/html"),
              ("http://ostatus.org/schema/1.0/subscribe", None)}
    assert wanted <= rels(mastodon)
    assert rels(body) == wanted
    # and the self link every peer relies on
    for other in others:
        assert ("self", "application/activity+json") in rels(other)
    assert set(body) >= {"subject", "aliases", "links"}
    subscribe = next(link for link in body["links"] if "template" in link)
    assert subscribe["template"] == "https://affiche.test/app/follow?uri={uri}"


@pytest.mark.parametrize("resource", [
    "acct:club@affiche.test", "club@affiche.test", "@club@affiche.test", "acct:@club@affiche.test",
    "acct:CLUB@AFFICHE.TEST", "https://affiche.test/@club/", "https://affiche.test/@club",
    "https://AFFICHE.test/%40club/", " acct:club@affiche.test ",
])
def test_resource_variants(instance: Ports, resource: str) -> None:
    status, body, _ = finger(resource)
    assert status == 200, body
    assert body["subject"] == "acct:club@affiche.test"


@pytest.mark.parametrize("resource", [
    "acct:nobody@affiche.test",  # unknown
    "acct:bob@affiche.test",  # a Person whose account is not confirmed
    "acct:club@elsewhere.example",  # another host
    "https://elsewhere.example/@club/",
    "https://affiche.test/events/123/",  # ours, but not an actor
    "acct:no-such-handle!@affiche.test",
])
def test_not_found(instance: Ports, resource: str) -> None:
    status, body, headers = finger(resource)
    assert status == 404
    assert body["error"] == "not_found" and body["message"]
    assert headers["Content-Type"] == "application/json"


def test_deleted_actor_is_not_found(instance: Ports) -> None:
    # Given the club was deleted
    club = instance.repo.get(Actor, "club")
    assert club is not None
    instance.repo.commit(ChangeSet().put(club.evolve(deleted=True)))
    # Then it no longer resolves
    assert finger(f"acct:club@{HOST}")[0] == 404


@pytest.mark.parametrize("resource", [None, "", "acct:", "acct:club", "club@", "@club"])
def test_missing_or_invalid_resource(instance: Ports, resource: str | None) -> None:
    status, body, _ = finger(resource)
    assert status == 400
    assert body["error"] == "invalid_input"
    assert "resource" in body["message"]


def test_only_get(instance: Ports) -> None:
    status, _, headers = finger(f"acct:club@{HOST}", method="POST")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
