"""Telling the CDN which paths a publish changed (DESIGN.md §9: effects come from the stream).

Pages carry a short shared cache (writers.CACHE_CONTROL); invalidating the exact paths each
publish wrote or deleted makes a change visible at once. One CreateInvalidation per stream batch
at most (the outbox collects the paths of every record, then calls `invalidate` once): CloudFront
bills and throttles per request, and allows 3,000 paths in flight, so a larger batch is sent as
one wildcard instead.

The viewer-request function rewrites a page's URL to its object key before the cache is read
(infra/cloudfront/negotiate.js), so the cached copies are keyed by object key: the paths to
invalidate are the keys, encoded the way that function encodes them.

Where no distribution is configured (the local runner, tests) `RecordingInvalidator` keeps what
would have been invalidated, in memory and, when AFFICHE_INVALIDATIONS_FILE names one, as a line
of JSON per call in that file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    from affiche.publish.renderer import Output

MAX_PATHS = 3000  # CloudFront's limit of paths in progress per distribution
# CloudFront bills each invalidated path beyond 1,000 a month ($0.005 each) and counts "/*" as
# one: past this many paths a batch costs more than emptying the whole cache, whose refill from
# the bucket costs a fraction of a cent (bench/cost.py: per-path invalidation was most of a
# small group's monthly bill).
WILDCARD_FROM = 11


class Invalidator(Protocol):
    def invalidate(self, paths: Sequence[str]) -> None: ...


def paths_of(outputs: Iterable[Output]) -> list[str]:
    """The sorted, distinct CDN paths of every file written or deleted by `outputs`."""
    keys = {key for output in outputs
            for key in [*(file.key for file in output.files), *output.deletes]}
    return sorted("/" + "/".join(quote(part, safe="@") for part in key.split("/"))
                  for key in keys)


class CloudFrontInvalidator:
    def __init__(self, distribution_id: str) -> None:
        self.distribution_id = distribution_id

    def invalidate(self, paths: Sequence[str]) -> None:
        if not paths:
            return
        from affiche.aws import client

        items = list(paths) if len(paths) < min(WILDCARD_FROM, MAX_PATHS) else ["/*"]
        # The same batch re-sent (a retried record) is the same request: CloudFront answers it
        # with the existing invalidation instead of starting another.
        reference = hashlib.sha256("\n".join(items).encode()).hexdigest()
        client("cloudfront").create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={"Paths": {"Quantity": len(items), "Items": items},
                               "CallerReference": reference})


class RecordingInvalidator:
    """Keeps each batch of paths it is asked to invalidate (the local runner has no CDN)."""

    def __init__(self, file: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.file = file

    def invalidate(self, paths: Sequence[str]) -> None:
        if not paths:
            return
        self.batches.append(list(paths))
        if self.file:
            with open(self.file, "a", encoding="utf-8") as out:
                out.write(json.dumps(list(paths)) + "\n")


_recorder: RecordingInvalidator | None = None


def invalidator() -> Invalidator:
    """CloudFront when AFFICHE_DISTRIBUTION_ID is set (the deployed stack), else the
    process's recorder."""
    global _recorder
    distribution = os.environ.get("AFFICHE_DISTRIBUTION_ID")
    if distribution:
        return CloudFrontInvalidator(distribution)
    if _recorder is None:
        _recorder = RecordingInvalidator(os.environ.get("AFFICHE_INVALIDATIONS_FILE") or None)
    return _recorder


def recorded() -> RecordingInvalidator:
    """The recorder `invalidator()` returns when no CDN is configured (tests read it)."""
    found = invalidator()
    assert isinstance(found, RecordingInvalidator)
    return found
