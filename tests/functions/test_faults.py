"""Faults of AWS lose nothing and crash nothing: DynamoDB throttling and cancelled transactions,
injected at the botocore level (tests/faults.py) under the real API handler over moto.

A brief fault is retried (by botocore, or by the domain's optimistic retry) and the request
succeeds; a lasting one answers a clear 503 (busy, with Retry-After) or 409 (conflict), and nothing
is half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.api.handler import lambda_handler
from tests.faults import Fault, cancelled, inject
from tests.functions.api_client import ApiClient, signed_up

THROTTLED = "ProvisionedThroughputExceededException"


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> ApiClient:
    """ann, who created the open group @club."""
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "ann@example.org", "ann")
    assert client.post("/api/groups", {"name": "club", "display_name": "Club",
                                       "openness": "open"}).status == 201
    return client


@pytest.fixture
def bob(aws: Path, cheap_crypto: None) -> ApiClient:
    client = ApiClient(lambda_handler)
    signed_up(client, aws / "mail", "bob@example.org", "bob")
    return client


def test_lasting_throttling_of_a_write_answers_503_and_writes_nothing(ann: ApiClient) -> None:
    # Given DynamoDB throttling every transaction
    with inject(Fault("dynamodb", "TransactWriteItems", THROTTLED)) as log:
        # When a group is created
        answer = ann.post("/api/groups", {"name": "busy", "display_name": "Busy"})
    # Then a clear 503 with Retry-After, after botocore's own retries
    assert answer.status == 503, answer.body
    assert answer.body["error"] == "unavailable" and "try again" in answer.body["message"]
    assert answer.headers["Retry-After"] == "1"
    assert log.injected > 1
    # And nothing was written: the name is free and the same request now succeeds
    assert ann.get("/api/groups/busy").status == 404
    assert ann.post("/api/groups", {"name": "busy", "display_name": "Busy"}).status == 201


def test_brief_throttling_is_retried_and_the_write_succeeds(ann: ApiClient) -> None:
    with inject(Fault("dynamodb", "TransactWriteItems", "ThrottlingException", times=2)) as log:
        answer = ann.post("/api/groups", {"name": "patient", "display_name": "Patient"})
    assert answer.status == 201, answer.body
    assert log.injected == 2
    assert ann.get("/api/groups/patient").body["display_name"] == "Patient"


def test_lasting_throttling_of_reads_answers_503_not_500(ann: ApiClient) -> None:
    with inject(Fault("dynamodb", "GetItem", THROTTLED), Fault("dynamodb", "Query", THROTTLED)):
        answer = ann.get("/api/groups/club")
        page = ann.get("/app/", headers={"accept": "text/html"})
    assert answer.status == 503, answer.body
    assert page.status == 503 and "try again" in str(page.body)


def test_a_transaction_throttled_inside_answers_503(ann: ApiClient, bob: ApiClient) -> None:
    with inject(cancelled("None", "ThrottlingError", "None")):
        answer = bob.post("/api/groups/club/join", {})
    assert answer.status == 503, answer.body
    assert ann.get("/api/groups/club").body["member_count"] == 1


def test_a_transaction_conflict_is_retried_and_counted_once(ann: ApiClient, bob: ApiClient) -> None:
    # Given another transaction winning the race for bob's first attempt
    with inject(cancelled("TransactionConflict", "None", "None", times=1)) as log:
        answer = bob.post("/api/groups/club/join", {})
    # Then the join is tried again and counted exactly once
    assert answer.status == 201, answer.body
    assert log.injected == 1
    assert ann.get("/api/groups/club").body["member_count"] == 2


def test_a_lasting_conflict_answers_409_and_writes_nothing(ann: ApiClient, bob: ApiClient) -> None:
    with inject(cancelled("TransactionConflict", "None", "None")):
        answer = bob.post("/api/groups/club/join", {})
    assert answer.status == 409, answer.body
    assert "try again" in answer.body["message"]
    assert ann.get("/api/groups/club").body["member_count"] == 1


def test_a_failed_condition_answers_409_with_what_clashed(ann: ApiClient) -> None:
    with inject(cancelled("ConditionalCheckFailed", "None", "None", "None", "None")):
        answer = ann.post("/api/groups", {"name": "twin", "display_name": "Twin"})
    assert answer.status == 409, answer.body
    assert "already" in answer.body["message"]
    assert ann.get("/api/groups/twin").status == 404
