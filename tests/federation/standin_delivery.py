"""STAND-IN for the delivery queue consumer (fedtransport writes the real one).

Test-only: drains the delivery queue by signing each message with its sender's key and POSTing it
to the target inbox. No retries, no back-off, no dead letters: a message that fails is reported in
`batchItemFailures`, and the queue's visibility timeout brings it back.

When the real consumer is merged, the local runner's QueuePoller drives it and this module and
`standin_instance.py` go away: the two-instance test then starts plain `affiche dev` processes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from affiche.activitypub.delivery import DeliveryMessage
from affiche.activitypub.signatures import sign_request
from affiche.activitypub.vocabulary import Urls
from affiche.config import get_settings
from affiche.domain.model import ActorKey
from affiche.store.repository import DynamoRepository

log = logging.getLogger("affiche.standin-delivery")


def deliver(message: DeliveryMessage) -> int:
    """Sign and POST one message; returns the HTTP status."""
    key = DynamoRepository().get(ActorKey, message.sender)
    if key is None:
        raise LookupError(f"no key for @{message.sender}")
    body = json.dumps(message.activity).encode()
    key_id = Urls(get_settings().public_url).actor(message.sender) + "#main-key"
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request("POST", message.inbox, headers, body, key_id,
                                key.private_key_pem))
    response = httpx.post(message.inbox, content=body, headers=headers, timeout=10.0)
    log.info("stand-in delivery %s -> %s: %s", message.activity.get("type"), message.inbox,
             response.status_code)
    return response.status_code


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            status = deliver(DeliveryMessage.from_json(record["body"]))
        except (httpx.HTTPError, LookupError, ValueError) as error:
            log.warning("stand-in delivery failed: %s", error)
            status = 0
        if not 200 <= status < 300:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
