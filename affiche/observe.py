"""Structured logs with a correlation id, and metrics in CloudWatch's embedded format.

On Lambda every log line is one JSON object (Powertools Logger) carrying the id of what is being
handled: the API Gateway request id for a request, the activity id while the outbox publishes
or delivers it, so one search in CloudWatch Logs Insights follows a change from the form to the
remote inboxes. Our modules keep using `logging.getLogger(__name__)`; their records go through
the same JSON formatter. Counts (publishes, deliveries, inbox results, failures) are written as
Embedded Metric Format lines, which CloudWatch turns into metrics without any API call (no
PutMetricData to pay for or to grant). Outside Lambda (local runner, tests) nothing is printed
unless AFFICHE_METRICS=1.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "affiche"
logger = Logger(service=NAMESPACE)
metrics = Metrics(namespace=NAMESPACE, service=NAMESPACE)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _emitting() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) or \
        os.environ.get("AFFICHE_METRICS") == "1"


def count(name: str, value: float = 1) -> None:
    """Add to a metric of this invocation (written when the handler returns)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def correlate(identifier: str | None) -> None:
    """What the following log lines are about (a request id, an activity id)."""
    logger.set_correlation_id(identifier)


def request_id(event: dict[str, Any]) -> str | None:
    value = event.get("requestContext", {}).get("requestId")
    return str(value) if value else None


@functools.cache
def _share_formatter() -> None:
    # Our modules' stdlib loggers print through the Powertools JSON formatter, with the id.
    logging.getLogger("affiche").setLevel(logging.INFO)
    from aws_lambda_powertools.logging import utils

    utils.copy_config_to_registered_loggers(source_logger=logger, include={"affiche"})


def observed(handler: Handler) -> Handler:
    """Wrap a Lambda handler: correlation id from the event, metrics written at the end."""

    @functools.wraps(handler)
    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if _emitting():
            _share_formatter()
        correlate(request_id(event))
        try:
            return handler(event, context)
        except Exception:
            count("FunctionFailures")
            raise
        finally:
            if _emitting():
                metrics.flush_metrics()
            else:
                metrics.clear_metrics()

    return run
