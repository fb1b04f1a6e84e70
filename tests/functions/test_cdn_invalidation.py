"""Each publish tells the CDN exactly which paths it wrote, once per stream batch
(affiche/publish/cdn.py): locally the recorder keeps them; deployed, CloudFront is asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain import accounts, events, groups
from affiche.domain.events import EventInput
from affiche.local.pollers import StreamPoller
from affiche.publish import cdn
from affiche.publish.renderer import File, Output
from affiche.web.ports import ports
from functions.outbox.handler import lambda_handler as outbox


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> cdn.RecordingInvalidator:
    monkeypatch.delenv("AFFICHE_DISTRIBUTION_ID", raising=False)
    fresh = cdn.RecordingInvalidator(str(tmp_path / "invalidations.jsonl"))
    monkeypatch.setattr(cdn, "_recorder", fresh)
    return fresh


def test_one_invalidation_per_batch_with_the_paths_written(
        aws: Path, cheap_crypto: None, recorder: cdn.RecordingInvalidator) -> None:
    # Given the stream read as the runner reads it, and a group with two new events
    def strict(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer: dict[str, Any] = outbox(event, context)
        assert not answer.get("batchItemFailures"), answer
        return answer

    poller = StreamPoller(get_settings().table_name, strict)
    context = ports()
    ada = accounts.signup(context, email="ada@example.org", password="correct horse battery",
                          username="ada", display_name="Ada", confirmed=True)
    groups.create_group(context, ada, name="cyclists", display_name="Cyclists", summary="",
                        openness="open")
    made = [events.create_event(context, ada, "cyclists", EventInput(
        title=f"Ride {n}", begins_on="2030-07-01T19:00", ends_on="2030-07-01T21:00",
        timezone="Europe/Paris")) for n in range(2)]
    # When the outbox publishes the batch
    batches = 0
    while poller.poll_once():
        batches += 1
    # Then the CDN was asked once per batch, with every path written and nothing else
    assert 1 <= len(recorder.batches) <= batches
    paths = {path for batch in recorder.batches for path in batch}
    for event in made:
        assert f"/events/{event.uuid}/index.html" in paths
        assert f"/events/{event.uuid}/event.ics" in paths
    assert {"/@cyclists/index.html", "/feed.atom", "/sitemap.xml", "/tags/index.html"} <= paths
    # ... and the file holds the same batches, one JSON line each
    lines = Path(str(recorder.file)).read_text().splitlines()
    assert len(lines) == len(recorder.batches)


def test_paths_are_encoded_as_the_viewer_function_encodes_keys() -> None:
    output = Output([File("@ada/index.html", b"", "text/html"),
                     File("tags/caf\u00e9 bar/index.html", b"", "text/html")],
                    deletes=["events/x/index.json", "@ada/index.html"])
    assert cdn.paths_of([output]) == ["/@ada/index.html", "/events/x/index.json",
                                      "/tags/caf%C3%A9%20bar/index.html"]


def test_cloudfront_is_asked_once_for_the_batch(aws: Path) -> None:
    # Given a distribution (moto)
    cloudfront = client("cloudfront")
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all",
                                 "MinTTL": 0}})["Distribution"]["Id"]
    # When a publish's paths are invalidated
    cdn.CloudFrontInvalidator(distribution).invalidate(["/feed.atom", "/index.html"])
    cdn.CloudFrontInvalidator(distribution).invalidate([])  # nothing written: no request
    # Then exactly one invalidation holds them
    found = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert found["Quantity"] == 1
    one = cloudfront.get_invalidation(DistributionId=distribution,
                                      Id=found["Items"][0]["Id"])["Invalidation"]
    assert sorted(one["InvalidationBatch"]["Paths"]["Items"]) == ["/feed.atom", "/index.html"]


def test_more_paths_than_cloudfront_takes_become_one_wildcard(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []

    class Fake:
        def create_invalidation(self, **kwargs: Any) -> None:
            sent.append(kwargs)

    monkeypatch.setattr("affiche.aws.client", lambda service: Fake())
    cdn.CloudFrontInvalidator("E1").invalidate([f"/p/{n}/" for n in range(cdn.MAX_PATHS + 1)])
    assert [s["InvalidationBatch"]["Paths"]["Items"] for s in sent] == [["/*"]]


def test_a_batch_costlier_than_a_wildcard_is_sent_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # CloudFront bills per path and "/*" is one: ten paths go as they are, eleven as "/*"
    sent: list[dict[str, Any]] = []

    class Fake:
        def create_invalidation(self, **kwargs: Any) -> None:
            sent.append(kwargs)

    monkeypatch.setattr("affiche.aws.client", lambda service: Fake())
    ten = [f"/p/{n}/" for n in range(cdn.WILDCARD_FROM - 1)]
    cdn.CloudFrontInvalidator("E1").invalidate(ten)
    cdn.CloudFrontInvalidator("E1").invalidate([*ten, "/index.html"])
    assert [s["InvalidationBatch"]["Paths"]["Items"] for s in sent] == [ten, ["/*"]]
