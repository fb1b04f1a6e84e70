"""Smoke: signup -> confirm -> login -> group -> event through the API handler (moto)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from affiche.mail import read_maildir
from functions.api.handler import lambda_handler
from tests.apigw import http_event


def call(method: str, path: str, **kw: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    res = lambda_handler(http_event(method, path, **kw), None)
    body = json.loads(res["body"]) if res.get("body") else {}
    return res["statusCode"], body, res


def test_slice(aws: Path, cheap_crypto: None) -> None:
    status, body, _ = call("POST", "/api/accounts", body={"email": "ann@example.org", "password": "correct horse", "username": "ann"})
    assert status == 201, body
    _, mail = read_maildir(str(aws / "mail"))[0]
    token = re.search(r"token=(\S+)", mail.get_content()).group(1)
    status, body, _ = call("POST", "/api/accounts/confirm", body={"token": token})
    assert status == 200, body
    status, body, res = call("POST", "/api/session", body={"email": "ann@example.org", "password": "correct horse"})
    assert status == 200, body
    print(res)
