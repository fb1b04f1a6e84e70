"""The membership and follow routes end to end: API Gateway events -> API handler -> domain ->
DynamoDB (moto), as a browser or script would use them. The state graph itself is stepped in
tests/unit/test_membership_states.py; here: status codes, bodies, and who may call what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from affiche.config import get_settings
from affiche.web import ratelimit
from functions.api.handler import lambda_handler
from tests.functions.api_client import Answer, ApiClient, signed_up


@pytest.fixture(autouse=True)
def remote_people(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remote invitees resolve to an actor id without the network (WebFinger itself is tested
    in tests/functions/test_remote_membership.py)."""
    def resolve(repo: object, handle: str) -> str:
        user, host = handle.lstrip("@").lower().split("@")
        return f"https://{host}/users/{user}"

    monkeypatch.setattr("affiche.activitypub.invitees.remote_person_id", resolve)


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> ApiClient:
    """ann, who created the moderated group @club."""
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    answer = client.post("/api/groups", {"name": "club", "display_name": "The Club",
                                         "openness": "moderated"})
    assert answer.status == 201, answer.body
    return client


@pytest.fixture
def bob(aws: Path, cheap_crypto: None) -> ApiClient:
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "bob@example.org", "bob")
    return client


def member_count(client: ApiClient, group: str = "club") -> int:
    count: int = client.get(f"/api/groups/{group}").body["member_count"]
    return count


def refused(answer: Answer, status: int, message: str) -> None:
    assert (answer.status, message in str(answer.body.get("message"))) == (status, True), (
        answer.status, answer.body)


def test_invitation_accepted(ann: ApiClient, bob: ApiClient) -> None:
    anonymous = ApiClient(lambda_handler)
    refused(anonymous.post("/api/groups/club/invitations", {"handle": "bob"}), 401, "log in")
    refused(bob.post("/api/groups/club/invitations", {"handle": "bob"}), 403,
            "only a group administrator or above can invite members")
    refused(ann.post("/api/groups/club/invitations", {"handle": "nobody"}), 404,
            "no profile @nobody")
    refused(ann.post("/api/groups/nope/invitations", {"handle": "bob"}), 404, "no group @nope")
    refused(ann.post("/api/groups/club/invitations", {}), 422, "handle: this field is required")
    refused(ann.post("/api/groups/club/invitations", {"handle": "bob", "x": 1}), 422,
            "unknown field")
    # When ann invites bob
    invited = ann.post("/api/groups/club/invitations", {"handle": "@bob"})
    assert invited.status == 201, invited.body
    assert (invited.body["member"], invited.body["state"], invited.body["invited_by"]) == (
        "bob", "invited", "ann")
    refused(ann.post("/api/groups/club/invitations", {"handle": "bob"}), 409,
            "@bob is already invited to @club")
    # Then bob sees the invitation, accepts it (no body needed), and counts as a member
    assert [i["group"] for i in bob.get("/api/invitations").body["invitations"]] == ["club"]
    accepted = bob.post("/api/groups/club/invitations/accept")
    assert (accepted.status, accepted.body["role"]) == (200, "member")
    assert member_count(bob) == 2
    assert bob.get("/api/invitations").body["invitations"] == []
    assert [(m["group"], m["role"]) for m in bob.get("/api/me/groups").body["memberships"]] == [
        ("club", "member")]
    refused(bob.post("/api/groups/club/invitations/accept", {}), 409,
            "@bob is already a member of @club")
    # and members (only) see the member list
    listed = bob.get("/api/groups/club/members")
    assert listed.status == 200
    assert [(m["member"], m["role"]) for m in listed.body["members"]] == [
        ("ann", "creator"), ("bob", "member")]
    refused(anonymous.get("/api/groups/club/members"), 401, "log in")


def test_invitation_declined_and_remote_invitation(ann: ApiClient, bob: ApiClient) -> None:
    ann.post("/api/groups/club/invitations", {"handle": "bob"})
    declined = bob.post("/api/groups/club/invitations/decline", {"profile": "bob"})
    assert (declined.status, declined.body["state"]) == (200, "declined")
    refused(bob.post("/api/groups/club/invitations/decline"), 404,
            "@bob has no invitation to join @club")
    refused(bob.post("/api/groups/club/invitations/accept", {"profile": "ann"}), 403,
            "@ann is not one of your profiles")
    remote = ann.post("/api/groups/club/invitations", {"handle": "@Zoe@Mastodon.example"})
    assert (remote.status, remote.body["member"]) == (201, "https://mastodon.example/users/zoe")
    local = ann.post("/api/groups/club/invitations", {"handle": "@bob@affiche.test"})
    assert (local.status, local.body["member"]) == (201, "bob")
    assert member_count(ann) == 1


def test_invitations_are_rate_limited(ann: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "INVITE_PER_ACCOUNT", ratelimit.Limit("invite", 2, 3600))
    for handle in ("@a@one.example", "@b@one.example"):
        assert ann.post("/api/groups/club/invitations", {"handle": handle}).status == 201
    third = ann.post("/api/groups/club/invitations", {"handle": "@c@one.example"})
    refused(third, 429, "too many attempts")
    assert int(third.headers["Retry-After"]) > 0
    # and the routes are in the OpenAPI document
    paths = ann.get("/api/openapi.json").body["paths"]
    assert {"/api/groups/{name}/invitations", "/api/me/upcoming"} <= set(paths)


def test_join_requests_are_reviewed_by_administrators(ann: ApiClient, bob: ApiClient,
                                                      aws: Path) -> None:
    cid = ApiClient(lambda_handler)
    signed_up(cid, aws / "mail", "cid@example.org", "cid")
    # Given bob asked to join the moderated club, with a message
    asked = bob.post("/api/groups/club/join", {"message": "I bake cakes"})
    assert asked.status == 201
    assert (asked.body["state"], asked.body["message"]) == ("not_approved", "I bake cakes")
    refused(bob.post("/api/groups/club/join"), 409, "@bob has already asked to join @club")
    # Then only administrators see and answer the request
    refused(bob.get("/api/groups/club/requests"), 403, "only a group administrator")
    refused(cid.post("/api/groups/club/requests/bob/approve"), 403, "only a group administrator")
    assert [r["member"] for r in ann.get("/api/groups/club/requests").body["requests"]] == ["bob"]
    refused(bob.get("/api/groups/club/members"), 403, "only a group member or above")
    approved = ann.post("/api/groups/club/requests/bob/approve")
    assert (approved.status, approved.body["role"]) == (200, "member")
    assert member_count(ann) == 2
    # cid's request is rejected; an answer to a request that does not exist is a 404
    cid.post("/api/groups/club/join")
    rejected = ann.post("/api/groups/club/requests/cid/reject", {})
    assert (rejected.status, rejected.body["role"]) == (200, "rejected")
    refused(ann.post("/api/groups/club/requests/nobody/approve"), 404,
            "@nobody has not asked to join @club")
    refused(cid.post("/api/groups/club/join"), 409, "only an invitation")
    assert member_count(ann) == 2
    # An invitation-only group refuses requests outright
    ann.post("/api/groups", {"name": "inner", "display_name": "Inner", "openness": "invite_only"})
    refused(bob.post("/api/groups/inner/join"), 403,
            "this group only accepts members by invitation")
    # An open one takes members at once
    ann.post("/api/groups", {"name": "open", "display_name": "Open", "openness": "open"})
    joined = bob.post("/api/groups/open/join", {})
    assert (joined.status, joined.body["state"]) == (201, "member")


def test_roles_removal_and_leaving(ann: ApiClient, bob: ApiClient) -> None:
    ann.post("/api/groups/club/invitations", {"handle": "bob"})
    bob.post("/api/groups/club/invitations/accept")
    refused(bob.call("PUT", "/api/groups/club/members/bob", {"role": "administrator"}), 403,
            "only a group administrator")
    refused(ann.call("PUT", "/api/groups/club/members/bob", {"role": "king"}), 400,
            "role must be one of")
    refused(ann.call("PUT", "/api/groups/club/members/bob", {}), 422, "role")
    refused(ann.call("PUT", "/api/groups/club/members/ann", {"role": "member"}), 403,
            "@ann created @club")
    moderator = ann.call("PUT", "/api/groups/club/members/bob", {"role": "moderator"})
    assert (moderator.status, moderator.body["role"]) == (200, "moderator")
    refused(ann.post("/api/groups/club/leave"), 403,
            "you are the last administrator of @club: appoint another administrator")
    refused(ann.call("DELETE", "/api/groups/club/members/ann"), 403, "cannot remove yourself")
    refused(bob.call("DELETE", "/api/groups/club/members/ann"), 403, "only a group administrator")
    removed = ann.call("DELETE", "/api/groups/club/members/bob")
    assert (removed.status, removed.body["state"]) == (200, "removed")
    refused(ann.call("DELETE", "/api/groups/club/members/bob"), 404,
            "@bob is not a member of @club")
    assert member_count(ann) == 1
    # bob comes back as an administrator; then ann may leave, and bob may not
    ann.post("/api/groups/club/invitations", {"handle": "bob"})
    bob.post("/api/groups/club/invitations/accept")
    ann.call("PUT", "/api/groups/club/members/bob", {"role": "administrator"})
    left = ann.post("/api/groups/club/leave", {})
    assert (left.status, left.body["state"]) == (200, "left")
    refused(bob.post("/api/groups/club/leave"), 403, "last administrator")
    assert member_count(bob) == 1


def test_following_and_my_upcoming_events(ann: ApiClient, bob: ApiClient) -> None:
    begins = datetime.now(UTC) + timedelta(days=7)
    event = {"title": "Picnic", "begins_on": begins.isoformat(),
             "ends_on": (begins + timedelta(hours=3)).isoformat(), "timezone": "UTC"}
    assert ann.post("/api/groups/club/events", event).status == 201
    refused(ApiClient(lambda_handler).post("/api/groups/club/follow"), 401, "log in")
    refused(bob.post("/api/groups/nope/follow"), 404, "no group @nope")
    assert bob.get("/api/me/upcoming").body["events"] == []
    followed = bob.post("/api/groups/club/follow")
    assert (followed.status, followed.body["state"]) == (201, "accepted")
    refused(bob.post("/api/groups/club/follow", {}), 409, "@bob already follows @club")
    assert [e["title"] for e in bob.get("/api/me/upcoming").body["events"]] == ["Picnic"]
    assert bob.call("DELETE", "/api/groups/club/follow").status == 200
    refused(bob.call("DELETE", "/api/groups/club/follow"), 404, "@bob does not follow @club")
    assert bob.get("/api/me/upcoming").body["events"] == []
    # ann, a member, sees it without following
    assert [e["title"] for e in ann.get("/api/me/upcoming").body["events"]] == ["Picnic"]


@pytest.mark.parametrize("headers", [
    {"content-type": "application/x-www-form-urlencoded"},  # a hidden form on another site
    {"content-type": "text/plain"},  # a "simple" cross-site fetch with an empty body
    {},  # a bare cross-site fetch sends no type at all
])
def test_a_forged_cross_site_write_cannot_approve_a_join_request(
        ann: ApiClient, bob: ApiClient, headers: dict[str, str]) -> None:
    # Given Bob asked to join, and Ann (an administrator) is logged in
    assert bob.post("/api/groups/club/join", {"message": "hi"}).status == 201
    # When a page elsewhere makes her browser POST an empty body to the approve route
    forged = ann.call("POST", "/api/groups/club/requests/bob/approve", b"", headers=headers)
    # Then it is refused, saying what an API client must send, and Bob is still waiting
    refused(forged, 415, "Content-Type: application/json")
    assert member_count(ann) == 1
    # And the same write from another Origin is refused even with the JSON type
    foreign = ann.call("POST", "/api/groups/club/requests/bob/approve", {},
                       headers={"origin": "https://evil.example"})
    refused(foreign, 403, "https://evil.example")
    assert member_count(ann) == 1
    # While the same site's own request (or an API client without Origin) goes through
    ok = ann.call("POST", "/api/groups/club/requests/bob/approve", {},
                  headers={"origin": get_settings().public_url})
    assert ok.status == 200 and member_count(ann) == 2
