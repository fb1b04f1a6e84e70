"""Deleting an account: personal data goes (account, email claim, sessions, tokens, private
keys, memberships, follows), its profiles stay as deleted Person actors so the group content they
wrote keeps an author, and a group is never left without an administrator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from affiche.config import get_settings
from affiche.domain.model import Activity, Actor, ActorKey, Event
from affiche.publish.renderer import Renderer
from affiche.store.repository import DynamoRepository
from affiche.web.ports import ports
from tests.functions.account_support import (
    PASSWORD,
    account_of,
    items_mentioning,
    logged_in,
    new_client,
    subjects_to,
)
from tests.functions.api_client import ApiClient, signed_up

EVENT = {"title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T16:00",
         "timezone": "Europe/Paris"}


@pytest.fixture
def ann(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    """Ann, logged in, creator of the group @club where she organised an event."""
    client = logged_in(aws / "mail", monkeypatch)
    assert client.post("/api/groups", {"name": "club", "display_name": "Club"}).status == 201
    assert client.post("/api/groups/club/events", EVENT).status == 201
    return client


def add_member(admin: ApiClient, member: ApiClient, name: str, role: str = "member",
               profile: str | None = None) -> None:
    acting = {"profile": profile} if profile else {}
    assert admin.post("/api/groups/club/invitations", {"handle": name}).status == 201
    assert member.post("/api/groups/club/invitations/accept", acting).status == 200
    if role != "member":
        changed = admin.call("PUT", f"/api/groups/club/members/{name}", {"role": role})
        assert changed.status == 200, changed.body


def delete_me(client: ApiClient, password: str = PASSWORD) -> tuple[int, dict]:
    answer = client.call("DELETE", "/api/me", {"password": password})
    return answer.status, answer.body


def test_deletion_needs_the_password(ann: ApiClient) -> None:
    status, body = delete_me(ann, "not my password")
    assert status == 400 and body["field"] == "password"
    assert ann.get("/api/me").status == 200


def test_deletion_is_refused_while_a_profile_is_the_last_admin_of_a_group(ann: ApiClient,
                                                                          mail: Path) -> None:
    # Given Ann is the only administrator of @club (Bob is a plain member)
    bob = new_client()
    signed_up(bob, mail, "bob@example.org", "bob")
    add_member(ann, bob, "bob")
    # When she deletes her account
    status, body = delete_me(ann)
    # Then it is refused with what to do, and nothing changed
    assert status == 403
    assert "last administrator of the group @club" in body["message"]
    assert "appoint another administrator" in body["message"]
    assert ann.get("/api/me").status == 200
    assert ports().repo.get(Actor, "club").member_count == 2  # type: ignore[union-attr]
    assert ports().repo.get(ActorKey, "ann") is not None


def test_two_profiles_of_one_account_cannot_be_a_groups_only_admins(ann: ApiClient) -> None:
    # Given Ann's second profile is the other administrator of @club
    assert ann.post("/api/me/profiles", {"name": "annex", "display_name": "Annex"}).status == 201
    add_member(ann, ann, "annex", "administrator", profile="annex")
    # When she deletes her account, Then the group would lose every administrator: refused
    status, body = delete_me(ann)
    assert status == 403 and "@club" in body["message"]


def test_deleting_an_account_removes_personal_data_and_keeps_group_content(
        ann: ApiClient, mail: Path) -> None:
    # Given Ann (two profiles, one following @club, logged in twice) and Bob, another admin
    assert ann.post("/api/me/profiles", {"name": "annex", "display_name": "Annex",
                                         "summary": "Ann's *other* hat"}).status == 201
    assert ann.post("/api/groups/club/follow", {"profile": "annex"}).status == 201
    bob = new_client()
    signed_up(bob, mail, "bob@example.org", "bob")
    add_member(ann, bob, "bob", "administrator")
    second_browser = new_client()
    second_browser.post("/api/session", {"email": "ann@example.org", "password": PASSWORD})
    account_id = account_of("ann@example.org").id
    assert items_mentioning("ann@example.org", account_id)  # the scan below is not vacuous
    repo = ports().repo
    assert repo.get(Actor, "club").member_count == 2  # type: ignore[union-attr]
    # When Ann deletes her account
    status, body = delete_me(ann)
    # Then she is logged out everywhere and cannot log in again
    assert status == 200 and body == {"deleted": True}
    assert ann.cookies == {}
    assert second_browser.get("/api/me").status == 401
    assert new_client().post("/api/session", {"email": "ann@example.org",
                                               "password": PASSWORD}).status == 401
    # and her profiles are deleted actors without anything personal
    for name in ("ann", "annex"):
        profile = repo.get(Actor, name)
        assert profile is not None and profile.deleted
        assert (profile.display_name, profile.summary_html, profile.summary_source,
                profile.avatar, profile.account_id) == ("Deleted profile", "", "", None, None)
        # (the private key only signs the Delete that tells other servers, then expires)
        key = repo.get(ActorKey, name)
        assert key is not None and key.expires_at is not None
        assert key.expires_at < datetime.now(UTC) + timedelta(days=10)
        assert repo.memberships_of(name) == [] and repo.following_of(name) == []
    # and the group lost a member, kept its administrator and its event, still by @ann
    club = repo.get(Actor, "club")
    assert club is not None and club.member_count == 1
    assert repo.counter("followers:club") == 0
    [event] = repo.events_of_group("club")
    assert event.organizer == "ann" and not event.deleted
    assert bob.get(f"/api/events/{event.uuid}").body["organizer"] == "ann"
    # and nothing stored mentions her email or her account id any more
    assert items_mentioning("ann@example.org", account_id) == []
    # and she was told, once
    assert subjects_to(mail, "ann@example.org")[0].endswith("was deleted")
    # and the address is free for a new account
    assert new_client().post("/api/accounts", {"email": "ann@example.org",
                                               "password": PASSWORD}).status == 201


def test_deletion_records_delete_activities_that_remove_the_profile_pages(ann: ApiClient,
                                                                          mail: Path) -> None:
    bob = new_client()
    signed_up(bob, mail, "bob@example.org", "bob")
    add_member(ann, bob, "bob", "administrator")
    assert delete_me(ann)[0] == 200
    repo = DynamoRepository()
    # The outbox consumer sees a Delete of the Person, and a Leave that re-renders @club
    deletes = [a for a in repo.outbox("ann") if a.type == "Delete"]
    assert [(a.object_kind, a.object_key, a.object["deleted"]) for a in deletes] == [
        ("actor", "ann", True)]
    assert any(a.type == "Leave" and a.target == "club" for a in repo.outbox("ann"))
    # and rendering the actor now deletes its files, leaving only its Tombstone (410 Gone)
    output = Renderer(get_settings(), repo, datetime.now(UTC)).actor("ann")
    assert [f.key for f in output.files] == ["@ann/gone.json"]
    assert "@ann/index.html" in output.deletes and "@ann/index.json" in output.deletes
    assert all(isinstance(a, Activity) for a in deletes)
    assert repo.get(Event, repo.events_of_group("club")[0].uuid) is not None
