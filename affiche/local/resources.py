"""Create the AWS resources the SAM template declares, with the same names, in an emulator."""

from __future__ import annotations

import json

from affiche.aws import client
from affiche.config import DEFAULT_DELIVERY_DLQ, DEFAULT_DELIVERY_QUEUE, get_settings
from affiche.store.table import create_table

MAX_RECEIVES = 8  # as the template's RedrivePolicy


def create_resources() -> dict[str, str]:
    """Table (with stream and TTL), site bucket, delivery queue and its dead-letter queue, and the
    stream's failure queue.

    Returns the queue URLs (the caller exports AFFICHE_DELIVERY_QUEUE_URL)."""
    settings = get_settings()
    create_table(settings)
    s3 = client("s3")
    s3.create_bucket(Bucket=settings.site_bucket,
                     CreateBucketConfiguration={"LocationConstraint": settings.aws_region})
    sqs = client("sqs")
    dlq_url = sqs.create_queue(QueueName=DEFAULT_DELIVERY_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=DEFAULT_DELIVERY_QUEUE, Attributes={
        "VisibilityTimeout": "60",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                     "maxReceiveCount": str(MAX_RECEIVES)}),
    })["QueueUrl"]
    # The stream's on-failure destination, apart from dead deliveries as in the template (so
    # `affiche deliveries dead` lists deliveries only).
    failures_url = sqs.create_queue(QueueName=f"{settings.table_name}-stream-failures")[
        "QueueUrl"]
    return {"queue": queue_url, "dlq": dlq_url, "stream_failures": failures_url}
