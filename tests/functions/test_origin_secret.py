"""Only CloudFront reaches the functions: a direct call to the API endpoint is refused.

Given a deployed instance (the origin secret in an SSM SecureString, its name in the functions'
environment), when a request arrives without CloudFront's X-Affiche-Origin header, or with a
wrong value, then every HTTP function answers 403 and does nothing (a forged
CloudFront-Viewer-Address cannot dodge the rate limits); with the right value it is served as
usual; where no parameter is configured (local runner, tests) nothing is checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from affiche.config import reset_settings
from affiche.web.origin import forget_secret
from functions.api.handler import lambda_handler as api
from functions.inbox.handler import lambda_handler as inbox
from functions.moderation.handler import lambda_handler as moderation
from functions.webfinger.handler import lambda_handler as webfinger
from tests.apigw import http_event

PARAMETER = "/affiche/affiche/origin-secret"
HANDLERS = {
    "api": (api, "GET", "/api/openapi.json"),
    "moderation": (moderation, "GET", "/api/mod/settings"),
    "inbox": (inbox, "POST", "/inbox"),
    "webfinger": (webfinger, "GET", "/.well-known/webfinger"),
}


@pytest.fixture
def behind_cloudfront(aws: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    boto3.client("ssm").put_parameter(Name=PARAMETER, Value="s3cret-value", Type="SecureString")
    monkeypatch.setenv("AFFICHE_ORIGIN_SECRET_PARAMETER", PARAMETER)
    reset_settings()
    forget_secret()
    yield
    forget_secret()


def call(name: str, secret: str | None) -> dict[str, Any]:
    handler, method, path = HANDLERS[name]
    headers = {"cloudfront-viewer-address": "203.0.113.9:443"}
    if secret is not None:
        headers["x-affiche-origin"] = secret
    event = http_event(method, path, headers=headers,
                       body={"type": "Follow"} if method == "POST" else None)
    answer: dict[str, Any] = handler(event, None)
    return answer


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_a_direct_call_is_refused(behind_cloudfront: None, name: str) -> None:
    for secret in (None, "", "guess"):
        answer = call(name, secret)
        assert answer["statusCode"] == 403, (name, secret)
        assert json.loads(answer["body"])["error"] == "not_through_cdn"


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_through_cloudfront_the_request_is_served(behind_cloudfront: None, name: str) -> None:
    answer = call(name, "s3cret-value")
    assert answer["statusCode"] != 403 or "not_through_cdn" not in answer["body"]


def test_without_cloudfront_in_front_nothing_is_checked(aws: Path) -> None:
    assert call("api", None)["statusCode"] == 200
