"""How the delivery queue is doing, for the administrators' dashboard."""

from __future__ import annotations

from typing import Any


def delivery_counts() -> dict[str, Any]:
    """The delivery queue's depth and its dead letters (SQS's approximate counts)."""
    from affiche.activitypub import dead_letters
    from affiche.aws import client
    from affiche.config import get_settings

    url = get_settings().delivery_queue_url
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return {"delivery_queue": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "dead_letters": len(dead_letters.list_dead())}
