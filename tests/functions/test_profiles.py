"""An account's profiles: several Person actors, each with its own handle and key pair, edited
with Markdown, one of them the default; deleting one leaves a deleted actor. The account's email
never appears in anything published for a profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from affiche.config import get_settings
from affiche.domain.model import Account, Actor, ActorKey
from affiche.publish.renderer import Renderer
from affiche.store.repository import DynamoRepository
from affiche.web.ports import ports
from tests.functions.account_support import (
    account_of,
    logged_in,
    new_client,
)
from tests.functions.api_client import ApiClient, signed_up


@pytest.fixture
def ann(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    client = logged_in(aws / "mail", monkeypatch)
    return client


def outbox_types(name: str) -> list[str]:
    return sorted(a.type for a in DynamoRepository().outbox(name))


def create(client: ApiClient, name: str, **extra: str) -> int:
    body = {"name": name, "display_name": name.title(), **extra}
    return client.post("/api/me/profiles", body).status


def test_a_new_profile_has_its_own_handle_and_key_pair_and_is_published(ann: ApiClient) -> None:
    # When Ann adds a second profile
    answer = ann.post("/api/me/profiles", {"name": "annex", "display_name": "Ann's other hat"})
    # Then it exists with its own key pair, and a Create activity publishes it
    assert answer.status == 201, answer.body
    assert answer.body["name"] == "annex" and answer.body["default"] is False
    repo = ports().repo
    annex, main = repo.get(Actor, "annex"), repo.get(Actor, "ann")
    assert annex is not None and main is not None
    assert annex.public_key_pem.startswith("-----BEGIN PUBLIC KEY")
    assert annex.public_key_pem != main.public_key_pem
    key = repo.get(ActorKey, "annex")
    assert key is not None and "PRIVATE KEY" in key.private_key_pem
    assert outbox_types("annex") == ["Create"]
    # and the list shows both, the first one being the default
    listed = ann.get("/api/me/profiles").body
    assert [(p["name"], p["default"]) for p in listed["profiles"]] == [("ann", True),
                                                                      ("annex", False)]


def test_a_profile_handle_must_be_valid_and_free(ann: ApiClient, mail: Path) -> None:
    signed_up(new_client(), mail, "bob@example.org", "bob")
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    for taken in ("bob", "club", "ann"):
        answer = ann.post("/api/me/profiles", {"name": taken, "display_name": "X"})
        assert answer.status == 409 and f"@{taken} is already taken" in answer.body["message"]
    bad = ann.post("/api/me/profiles", {"name": "Not Valid!", "display_name": "X"})
    assert bad.status == 400 and bad.body["field"] == "username"
    assert ann.post("/api/me/profiles", {"name": "x", "display_name": " "}).status == 400


def test_an_account_has_at_most_ten_profiles(ann: ApiClient) -> None:
    for n in range(9):
        assert create(ann, f"ann{n}") == 201
    answer = ann.post("/api/me/profiles", {"name": "one_too_many", "display_name": "X"})
    assert answer.status == 400 and "at most 10 profiles" in answer.body["message"]


def test_editing_a_profile_sanitises_markdown_and_records_an_update(ann: ApiClient) -> None:
    # When Ann edits her summary with Markdown and an injected script
    answer = ann.call("PUT", "/api/me/profiles/ann", {
        "display_name": "Ann Example",
        "summary": "I *organise* [picnics](https://example.org) <script>alert(1)</script>"})
    # Then the summary is sanitised HTML, the source is kept, and an Update is recorded
    assert answer.status == 200, answer.body
    profile = ports().repo.get(Actor, "ann")
    assert profile is not None and profile.display_name == "Ann Example"
    assert "<em>organise</em>" in profile.summary_html
    assert 'href="https://example.org"' in profile.summary_html
    assert "<script>" not in profile.summary_html
    assert profile.summary_source.startswith("I *organise*")
    assert outbox_types("ann") == ["Create", "Update"]
    # and editing only the name keeps the summary
    ann.call("PUT", "/api/me/profiles/ann", {"display_name": "Ann"})
    kept = ports().repo.get(Actor, "ann")
    assert kept is not None and kept.summary_html == profile.summary_html


def test_only_the_owner_edits_or_deletes_a_profile(ann: ApiClient, mail: Path) -> None:
    bob = new_client()
    signed_up(bob, mail, "bob@example.org", "bob")
    assert bob.call("PUT", "/api/me/profiles/ann", {"display_name": "Hacked"}).status == 403
    assert bob.call("DELETE", "/api/me/profiles/ann").status == 403
    assert bob.call("PUT", "/api/me/default-profile", {"name": "ann"}).status == 403
    assert bob.call("PUT", "/api/me/profiles/nobody", {"display_name": "X"}).status == 404
    assert new_client().get("/api/me/profiles").status == 401


def test_choosing_the_default_profile(ann: ApiClient) -> None:
    assert create(ann, "annex") == 201
    answer = ann.call("PUT", "/api/me/default-profile", {"name": "annex"})
    assert answer.status == 200 and answer.body == {"default_profile": "annex"}
    assert ann.get("/api/me").body["default_profile"] == "annex"
    # Groups are now created as @annex when no profile is named
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    assert [m.member for m in ports().repo.memberships_of_group("club")] == ["annex"]


def test_deleting_a_profile_leaves_a_deleted_actor(ann: ApiClient, mail: Path) -> None:
    # Given Ann's second profile, her default, member of @club
    assert create(ann, "annex", summary="about me") == 201
    ann.call("PUT", "/api/me/default-profile", {"name": "annex"})
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club",
                                    "profile": "ann"}).status == 201
    assert ann.post("/api/groups/club/invitations", {"handle": "annex",
                                                     "profile": "ann"}).status == 201
    assert ann.post("/api/groups/club/invitations/accept", {"profile": "annex"}).status == 200
    # When she deletes it
    answer = ann.call("DELETE", "/api/me/profiles/annex")
    # Then it is a deleted actor, out of the group, and the default moved to her other profile
    assert answer.status == 200, answer.body
    repo = ports().repo
    annex = repo.get(Actor, "annex")
    assert annex is not None and annex.deleted and annex.account_id is None
    assert (annex.display_name, annex.summary_html) == ("Deleted profile", "")
    # ... its private key kept only to sign that Delete through its retries, then expired
    key = repo.get(ActorKey, "annex")
    assert key is not None and key.expires_at is not None
    assert key.expires_at < datetime.now(UTC) + timedelta(days=10)
    assert repo.get(Actor, "club").member_count == 1  # type: ignore[union-attr]
    assert {"Leave", "Delete"} <= set(outbox_types("annex"))
    assert ann.get("/api/me").body["default_profile"] == "ann"
    assert [p["name"] for p in ann.get("/api/me/profiles").body["profiles"]] == ["ann"]
    rendered = Renderer(get_settings(), repo, datetime.now(UTC)).actor("annex")
    # its files go; only the Tombstone marker stays, so its URL answers 410 Gone
    assert [f.key for f in rendered.files] == ["@annex/gone.json"]
    assert "@annex/index.json" in rendered.deletes
    # and its handle is never given again
    assert create(ann, "annex") == 409
    assert ann.call("DELETE", "/api/me/profiles/annex").status == 404


def test_the_last_profile_and_a_groups_last_admin_cannot_be_deleted(ann: ApiClient) -> None:
    only = ann.call("DELETE", "/api/me/profiles/ann")
    assert only.status == 409 and "only profile" in only.body["message"]
    assert create(ann, "annex") == 201
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    last_admin = ann.call("DELETE", "/api/me/profiles/ann")
    assert last_admin.status == 403 and "appoint another administrator" in last_admin.body[
        "message"]
    assert ports().repo.get(Actor, "ann").deleted is False  # type: ignore[union-attr]


def test_an_unconfirmed_accounts_profiles_wait_for_confirmation(aws: Path,
                                                                cheap_crypto: None) -> None:
    # Given an account that has not confirmed its address yet
    client = new_client()
    client.post("/api/accounts", {"email": "bob@example.org", "password": "correct horse",
                                  "username": "bob"})
    # Then nothing was published for its profile
    assert outbox_types("bob") == []


def test_the_email_is_in_no_file_rendered_for_a_profile(ann: ApiClient) -> None:
    # Given Ann's profiles with summaries, edits and a group
    assert create(ann, "annex", summary="Reach me through the group") == 201
    ann.call("PUT", "/api/me/profiles/ann", {"summary": "Hello *fediverse*"})
    assert ann.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    account: Account = account_of("ann@example.org")
    # When every artifact of her profiles is rendered (HTML, AS2 actor, outbox, followers...)
    renderer = Renderer(get_settings(), DynamoRepository(), datetime.now(UTC))
    files = [f for name in ("ann", "annex") for f in renderer.actor(name).files]
    # Then none contains her email address or her account id
    assert {f.key for f in files} >= {"@ann/index.html", "@ann/index.json", "@ann/outbox.json"}
    for file in files:
        text = file.body.decode()
        assert "ann@example.org" not in text.lower(), file.key
        assert account.id not in text, file.key
    # and no activity the outbox federates carries them either
    for activity in DynamoRepository().outbox("ann"):
        document = str(renderer.activity_document(activity))
        assert "ann@example.org" not in document and account.id not in document
