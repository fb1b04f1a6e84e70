"""Requests reach the functions only through CloudFront, which adds a secret header to them.

The HTTP API's own endpoint is public: without this, anyone could call it directly and send
their own `CloudFront-Viewer-Address`, the header rate limits count visitors by, and so dodge
them. CloudFront adds `X-Affiche-Origin` with a random value (infra/template.yaml, origin custom
headers); the functions compare it with the value of an SSM SecureString (read once per cold
start, with the AWS-managed key: no KMS key to pay for) and answer anything else 403.
`make deploy` creates the parameter and passes its value to the stack (infra/deploy.py).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from affiche import secure_parameters
from affiche.config import get_settings

HEADER = "x-affiche-origin"  # API Gateway (payload 2.0) lower-cases header names


def forget_secret() -> None:
    """Tests that change the parameter call this (a rotated secret needs a new cold start)."""
    secure_parameters.forget()


def refuse_unless_through_cdn(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 403 answer for a request that did not come through CloudFront; None to go on."""
    parameter = get_settings().origin_secret_parameter
    if not parameter:
        return None  # no CloudFront in front: the local gateway, tests
    sent = str((event.get("headers") or {}).get(HEADER, ""))
    if sent and hmac.compare_digest(sent.encode(), secure_parameters.read(parameter).encode()):
        return None
    message = "this address is not served directly: use the instance's public address"
    return {"statusCode": 403, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": "not_through_cdn", "message": message}),
            "isBase64Encoded": False}
