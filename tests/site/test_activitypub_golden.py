"""The ActivityStreams JSON we publish (group, person, event, post, collections) against golden
files, and the JSON-LD context defining every term we emit.

Golden files: `UPDATE_GOLDEN=1 pytest tests/site/test_activitypub_golden.py` rewrites them from
the current output; review the diff before committing. Public keys are random per test run and
replaced by a placeholder before comparing.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from affiche.activitypub import vocabulary as ap
from affiche.config import get_settings
from affiche.domain import accounts, groups
from affiche.domain.context import Ports
from affiche.domain.model import Event, Post
from affiche.domain.ports import ChangeSet
from affiche.domain.text import markdown_to_html
from affiche.publish.renderer import Renderer
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from tests.keys import CannedKeys

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
NOW = datetime(2030, 2, 1, 12, 0, tzinfo=UTC)
START = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
EVENT_UUID = "5d6c7b8a-1f2e-4d3c-9b8a-7f6e5d4c3b2a"


class TickingClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@pytest.fixture
def files(aws: Path, cheap_crypto: None) -> dict[str, Any]:
    """Given a group with an event (with coordinates) and a post, rendered as the outbox does."""
    repo = DynamoRepository()
    ports = Ports(repo=repo, hasher=Argon2Hasher(), keys=CannedKeys(), clock=TickingClock(START))
    ada = accounts.signup(ports, email="ada@example.org", password="correct horse battery",
                          username="ada", display_name="Ada", confirmed=True)
    groups.create_group(ports, ada, name="cyclists", display_name="Cyclists of Lyon",
                        summary="We ride *together*.", openness="open")
    event = Event(uuid=EVENT_UUID, group="cyclists", organizer="ada", title="Night ride",
                  begins_on=datetime(2030, 6, 21, 19, 30, tzinfo=UTC),
                  ends_on=datetime(2030, 6, 21, 22, 0, tzinfo=UTC), timezone="Europe/Paris",
                  created_at=START, updated_at=START, capacity=30, tags=["bike"],
                  description_html=markdown_to_html("Lights *on*!"),
                  address={"name": "Fontaine Bartholdi", "street": "Place des Terreaux",
                           "locality": "Lyon", "postal_code": "69001", "country": "France",
                           "latitude": "45.7673", "longitude": "4.8336"})
    post = Post(slug="spring-workshop-0a1b2c3d", group="cyclists", author="ada",
                title="Spring workshop", body_html=markdown_to_html("Bring *a snack*."),
                body_source="Bring *a snack*.", published_at=START, updated_at=START)
    repo.commit(ChangeSet().put(event, post))
    renderer = Renderer(get_settings(), repo, NOW)
    output = renderer.actor("cyclists").extend(renderer.actor("ada")).extend(
        renderer.event(EVENT_UUID)).extend(renderer.post(post.slug))
    return {f.key: json.loads(f.body) for f in output.files if f.key.endswith(".json")}


def _masked(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: ("<public key>" if k == "publicKeyPem" else _masked(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_masked(v) for v in doc]
    return doc


@pytest.mark.parametrize(("key", "golden"), [
    ("@cyclists/index.json", "as2-group.json"), ("@ada/index.json", "as2-person.json"),
    (f"events/{EVENT_UUID}/index.json", "as2-event.json"),
    ("p/spring-workshop-0a1b2c3d/index.json", "as2-post.json"),
])
def test_documents_match_the_golden_files(files: dict[str, Any], key: str, golden: str) -> None:
    produced = json.dumps(_masked(files[key]), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path = GOLDEN / golden
    if UPDATE_GOLDEN:
        path.write_text(produced)
    assert produced == path.read_text(), f"{golden} differs; UPDATE_GOLDEN=1 to review"


def test_every_collection_the_group_advertises_is_published(files: dict[str, Any]) -> None:
    group = files["@cyclists/index.json"]
    base = "https://affiche.test/@cyclists/"
    advertised = [group[k] for k in ("outbox", "followers", "following", *ap.GROUP_COLLECTIONS)]
    advertised += list(group["endpoints"].values())
    for url in advertised:
        if url == "https://affiche.test/inbox" or url.endswith("/inbox"):
            continue  # inboxes are functions
        assert url.startswith(base)
        document = files[f"@cyclists/{url[len(base):]}.json"]
        assert document["id"] == url and document["type"] == "OrderedCollection"
    # Members, resources, discussions and todos are members-only: not advertised at all
    for private in ("members", "resources", "discussions", "todos"):
        assert private not in group and private not in group["endpoints"]
    assert [e["name"] for e in files["@cyclists/events.json"]["orderedItems"]] == ["Night ride"]
    assert files["@cyclists/posts.json"]["totalItems"] == 1


def test_followers_and_following_give_counts_only(files: dict[str, Any]) -> None:
    for key in ("@cyclists/followers.json", "@cyclists/following.json", "@ada/following.json"):
        assert "orderedItems" not in files[key] and "totalItems" in files[key]


def test_the_place_has_a_stable_id_and_coordinates(files: dict[str, Any]) -> None:
    place = files[f"events/{EVENT_UUID}/index.json"]["location"]
    assert place["id"] == f"https://affiche.test/events/{EVENT_UUID}/#place"
    assert (place["latitude"], place["longitude"]) == (45.7673, 4.8336)


def _terms(context: list[Any]) -> set[str]:
    return {k for part in context if isinstance(part, dict) for k in part}


AS2_TERMS = {"id", "type", "name", "summary", "content", "mediaType", "url", "startTime",
             "endTime", "published", "updated", "attributedTo", "actor", "tag", "attachment",
             "to", "cc", "location", "href", "preferredUsername", "inbox", "outbox", "followers",
             "following", "endpoints", "sharedInbox", "icon", "image", "totalItems",
             "orderedItems", "latitude", "longitude", "object", "replies", "items", "inReplyTo"}
SECURITY_TERMS = {"publicKey", "owner", "publicKeyPem"}


def test_the_context_defines_every_term_we_emit(files: dict[str, Any]) -> None:
    defined = AS2_TERMS | SECURITY_TERMS | _terms(ap.CONTEXT)
    used: set[str] = set()

    def walk(doc: Any) -> None:
        if isinstance(doc, dict):
            used.update(k for k in doc if not k.startswith("@") and ":" not in k)
            for value in doc.values():
                walk(value)
        elif isinstance(doc, list):
            for value in doc:
                walk(value)

    for key in ("@cyclists/index.json", f"events/{EVENT_UUID}/index.json",
                "p/spring-workshop-0a1b2c3d/index.json"):
        walk(files[key])
    assert used - defined == set()
    for term in ("members", "commentsEnabled", "anonymousParticipationEnabled",
                 "remainingAttendeeCapacity", "status"):
        assert term in _terms(ap.CONTEXT)
