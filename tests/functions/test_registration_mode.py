"""Registration modes (open / invite_only / closed), set by an instance administrator through the
moderation function, and how sign-up honours them with mailed invitations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from affiche.web import ratelimit
from tests.functions.account_support import (
    PASSWORD,
    PINNED_TIME,
    admin_client,
    new_client,
    pin_rate_limit_time,
    subjects_to,
)
from tests.functions.api_client import ApiClient, last_mail_link, signed_up

INVITATION = r"invitation=([\w-]+)"


@pytest.fixture
def admin(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    pin_rate_limit_time(monkeypatch)
    return admin_client()


def set_mode(admin: ApiClient, mode: str) -> None:
    answer = admin.call("PUT", "/api/mod/settings", {"registration_mode": mode})
    assert answer.status == 200 and answer.body == {"registration_mode": mode}


def sign_up(email: str, invitation: str | None = None) -> tuple[int, str]:
    body = {"email": email, "password": PASSWORD}
    if invitation:
        body["invitation"] = invitation
    answer = new_client().post("/api/accounts", body)
    return answer.status, answer.body.get("message", "")


def invite(admin: ApiClient, mail: Path, email: str) -> str:
    assert admin.post("/api/mod/invitations", {"email": email}).status == 202
    return last_mail_link(mail, email, INVITATION)


def test_an_admin_sets_each_mode_and_reads_it_back(admin: ApiClient) -> None:
    assert admin.get("/api/mod/settings").body == {"registration_mode": "open"}
    for mode in ("invite_only", "closed", "open"):
        set_mode(admin, mode)
        assert admin.get("/api/mod/settings").body == {"registration_mode": mode}
    wrong = admin.call("PUT", "/api/mod/settings", {"registration_mode": "sometimes"})
    assert wrong.status == 400 and "registration_mode must be one of" in wrong.body["message"]


def test_open_registration_lets_anyone_sign_up(admin: ApiClient) -> None:
    set_mode(admin, "open")
    assert sign_up("ann@example.org")[0] == 201


def test_invite_only_needs_the_mailed_invitation_for_that_same_email(admin: ApiClient,
                                                                    mail: Path) -> None:
    # Given an invite-only instance and an invitation mailed to Ann
    set_mode(admin, "invite_only")
    token = invite(admin, mail, "ann@example.org")
    assert subjects_to(mail, "ann@example.org")[0].startswith("You are invited to join")
    # When someone signs up without it, or with it for another address
    without = sign_up("ann@example.org")
    stolen = sign_up("eve@example.org", token)
    # Then both are refused
    assert without[0] == 403 and "by invitation only" in without[1]
    assert stolen[0] == 403
    # When Ann signs up with it, Then it works, once
    assert sign_up("ANN@example.org", token)[0] == 201
    assert sign_up("ann2@example.org", token)[0] == 403


def test_closed_registration_refuses_everyone_even_with_an_invitation(admin: ApiClient,
                                                                     mail: Path) -> None:
    set_mode(admin, "invite_only")
    token = invite(admin, mail, "ann@example.org")
    set_mode(admin, "closed")
    for invitation in (None, token):
        status, message = sign_up("ann@example.org", invitation)
        assert status == 403 and "registrations are closed" in message


def test_the_moderation_routes_refuse_non_admins_and_anonymous_callers(admin: ApiClient,
                                                                      mail: Path) -> None:
    user = new_client()
    signed_up(user, mail, "bob@example.org", "bob")
    anonymous = new_client()
    calls = [("GET", "/api/mod/settings", None),
             ("PUT", "/api/mod/settings", {"registration_mode": "closed"}),
             ("POST", "/api/mod/invitations", {"email": "eve@example.org"})]
    for method, path, body in calls:
        assert user.call(method, path, body).status == 403, path
        assert anonymous.call(method, path, body).status == 401, path
    assert admin.get("/api/mod/settings").body == {"registration_mode": "open"}
    assert subjects_to(mail, "eve@example.org") == []


def test_invitations_are_rate_limited_per_admin(admin: ApiClient, mail: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a small allowance (the real one, INVITE_PER_ACCOUNT, is 50 an hour)
    monkeypatch.setattr(ratelimit, "INVITE_PER_ACCOUNT", ratelimit.Limit("invite", 2, 3600))
    for n in range(2):
        assert admin.post("/api/mod/invitations", {"email": f"p{n}@example.org"}).status == 202
    # When one more invitation is sent
    answer = admin.post("/api/mod/invitations", {"email": "p2@example.org"})
    # Then it is refused with Retry-After, and no mail went out
    assert answer.status == 429
    assert answer.headers["Retry-After"] == str(3600 - PINNED_TIME % 3600)
    assert subjects_to(mail, "p2@example.org") == []


def test_nodeinfo_follows_the_registration_mode(admin: ApiClient) -> None:
    from affiche.aws import client
    from affiche.config import get_settings
    from affiche.local.pollers import StreamPoller
    from functions.outbox.handler import lambda_handler as outbox

    # Given the outbox reading the change stream
    poller = StreamPoller(get_settings().table_name, outbox)

    def open_registrations() -> bool:
        while poller.poll_once():
            pass
        body = client("s3").get_object(Bucket=get_settings().site_bucket,
                                       Key="nodeinfo/2.1.json")["Body"].read()
        return bool(json.loads(body)["openRegistrations"])

    # When the admin closes registrations, Then the public NodeInfo says so; and back again
    set_mode(admin, "closed")
    assert open_registrations() is False
    set_mode(admin, "open")
    assert open_registrations() is True


def test_each_administration_action_is_on_the_audit_log(admin: ApiClient, mail: Path) -> None:
    user = new_client()
    signed_up(user, mail, "bob@example.org", "bob")
    # Given an administrator who closes registrations, allows anonymous participation and invites
    set_mode(admin, "invite_only")
    assert admin.call("PUT", "/api/mod/settings/anonymous-participation",
                      {"allowed": True}).status == 200
    invite(admin, mail, "zoe@example.org")
    # When they read the audit log
    log = admin.get("/api/mod/audit").body
    # Then each action is there, newest first, with its target and who did it
    assert [(e["action"], e["target_key"], e["reason"]) for e in log["entries"]] == [
        ("instance.invite", "zoe@example.org", ""),
        ("instance.anonymous_participation", "settings", "allowed"),
        ("instance.registration_mode", "settings", "invite_only"),
    ]
    assert log["next"] is None and all(e["account_id"] for e in log["entries"])
    # And nobody else reads it
    assert user.get("/api/mod/audit").status == 403
    assert new_client().get("/api/mod/audit").status == 401
