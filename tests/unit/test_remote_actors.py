"""Reading remote actor documents and WebFinger answers (affiche/activitypub/actors.py) with the
real documents other servers serve; no network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affiche.activitypub.actors import (
    actor_from_document,
    actor_id_of,
    parse_handle,
    subscribe_template,
)
from affiche.activitypub.fetch import InvalidDocument
from affiche.domain.errors import InvalidInput, NotFound
from tests.conftest import load_fixture

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("fixture", "kind", "handle", "shared"), [
    ("mastodon/person.json", "Person", "@mastodon@masto.qa.urbanwildlife.biz",
     "https://masto.qa.urbanwildlife.biz/inbox"),
    ("mobilizon/mobilizon.fr-person-actor.json", "Person", "@metacartes@mobilizon.fr",
     "https://mobilizon.fr/inbox"),
    ("lemmy/group-actor.json", "Group", "@tenforward@enterprise.lemmy.ml",
     "https://enterprise.lemmy.ml/inbox"),
    ("gancio/gancio-actor.json", "Application", "@gancio@demo.gancio.org", None),
])
def test_real_actor_documents(fixture: str, kind: str, handle: str, shared: str | None) -> None:
    doc = load_fixture(fixture)
    actor = actor_from_document(doc, doc["id"], NOW)
    assert actor.name == doc["id"] and actor.is_remote and actor.type == kind
    assert actor.handle == handle and actor.shared_inbox == shared
    assert actor.inbox == doc["inbox"] and actor.delivery_inbox == (shared or doc["inbox"])
    assert actor.public_key_pem.startswith("-----BEGIN")
    assert not actor.listed  # a copy of someone else's actor is never listed here
    assert "<script" not in actor.summary_html


def test_a_document_cannot_speak_for_another_host() -> None:
    doc = load_fixture("mastodon/person.json")
    with pytest.raises(InvalidDocument):
        actor_from_document(doc, "https://evil.example/users/mastodon", NOW)


def test_a_document_without_inbox_is_not_an_actor() -> None:
    doc = load_fixture("mastodon/person.json")
    doc.pop("inbox")
    with pytest.raises(InvalidDocument):
        actor_from_document(doc, doc["id"], NOW)


def test_names_from_strangers_are_one_line() -> None:
    doc = load_fixture("mastodon/person.json")
    doc["name"] = "Evil\u202e\nname\x00"
    assert actor_from_document(doc, doc["id"], NOW).display_name == "Evil name"


@pytest.mark.parametrize(("handle", "parsed"), [
    ("@garden@remote.example", ("garden", "remote.example")),
    ("garden@Remote.Example", ("garden", "remote.example")),
    ("acct:garden@remote.example", ("garden", "remote.example")),
    ("@demo@127.0.0.1:8001", ("demo", "127.0.0.1:8001")),
])
def test_handles(handle: str, parsed: tuple[str, str]) -> None:
    assert parse_handle(handle) == parsed


@pytest.mark.parametrize("handle", ["garden", "@garden@", "@a@b@c", "@garden@remote.example\n",
                                    "@gar den@remote.example", "https://remote.example/@x"])
def test_bad_handles(handle: str) -> None:
    with pytest.raises(InvalidInput):
        parse_handle(handle)


def test_webfinger_answers() -> None:
    jrd = load_fixture("webfinger/mastodon.json")
    assert actor_id_of(jrd, "@foo@ap.example.com") == "https://ap.example.com/users/foo"
    assert subscribe_template(jrd) == "https://ap.example.com/authorize_follow?acct={uri}"
    with pytest.raises(NotFound):
        actor_id_of({"links": []}, "@foo@ap.example.com")
