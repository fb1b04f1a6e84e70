"""The first administrator of a deployed instance, by command or by a one-off Lambda invocation.

Given a fresh instance (the table the stack made), when the operator runs `affiche admin create`
or invokes the moderation function with {"affiche_command": "create-admin"}, then an
administrator exists who can sign in with the password shown once, and the moderation API lets
them in; a taken address is refused without change, and no HTTP request can reach the command.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from affiche.cli import main
from functions.api.handler import lambda_handler as api
from functions.moderation.handler import lambda_handler as moderation
from tests.apigw import http_event
from tests.functions.api_client import ApiClient


def moderator_status(email: str, password: str) -> int:
    """Sign in through the API, then read the instance settings through the moderation API."""
    client = ApiClient(api)
    login = client.post("/api/session", {"email": email, "password": password})
    assert login.status == 200, login.body
    return ApiClient(moderation, cookies=client.cookies).get("/api/mod/settings").status


def test_the_command_creates_an_administrator_who_can_sign_in(
        aws: Path, cheap_crypto: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "create", "Ops@Example.org"]) == 0
    printed = capsys.readouterr().out
    password = re.search(r"password \(shown once\): (\S+)", printed)
    assert password and "ops@example.org" in printed
    assert moderator_status("ops@example.org", password.group(1)) == 200
    # Run again: refused, and the first password still works
    assert main(["admin", "create", "ops@example.org"]) == 1
    assert "already has an account" in capsys.readouterr().err


def test_a_one_off_invocation_creates_an_administrator(aws: Path, cheap_crypto: None) -> None:
    answer = moderation({"affiche_command": "create-admin", "email": "root@example.org"}, None)
    assert answer["created"] == "root@example.org" and len(answer["password"]) >= 12
    assert moderator_status("root@example.org", answer["password"]) == 200
    again = moderation({"affiche_command": "create-admin", "email": "root@example.org"}, None)
    assert "already has an account" in again["error"]
    assert "error" in moderation({"affiche_command": "drop-table"}, None)
    assert moderation({"affiche_command": "create-admin", "email": "nope"}, None)["error"]


def test_no_http_request_reaches_the_command(aws: Path) -> None:
    event = http_event("POST", "/api/mod/settings", body={"affiche_command": "create-admin"})
    response = moderation(event, None)
    assert "password" not in str(response.get("body", ""))
    assert response["statusCode"] >= 400  # treated as an ordinary (here unknown) request
