"""The index of deleted folders the CDN reads to answer 410 Gone (tombstones.py).

Locally the gateway sees each folder's `gone.json` marker in the bucket. CloudFront's viewer
function cannot read the bucket, so on AWS the outbox also keeps a CloudFront KeyValueStore
in step with the markers: key = the folder (`events/{uuid}`), value = its Tombstone (well under
the store's 1 KB per value). infra/cloudfront/negotiate.js looks the requested key's folder up
there and answers 410 itself (infra/README.md explains the choice).

Configured by AFFICHE_GONE_KVS_ARN (infra/template.yaml); without it (the local runner, tests)
nothing is kept: the marker in the bucket is what the local gateway reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from affiche.publish.tombstones import MARKER

if TYPE_CHECKING:
    from affiche.publish.renderer import Output

SUFFIX = "/" + MARKER
ATTEMPTS = 3  # another outbox invocation may have changed the store since we read its ETag


class GoneIndex(Protocol):
    def update(self, puts: Mapping[str, str], removes: Sequence[str]) -> None: ...


def apply(index: GoneIndex, output: Output) -> None:
    """Mirror the markers `output` wrote or deleted into `index`."""
    puts = {f.key[: -len(SUFFIX)]: f.body.decode() for f in output.files
            if f.key.endswith(SUFFIX)}
    removes = [key[: -len(SUFFIX)] for key in output.deletes
               if key.endswith(SUFFIX) and key[: -len(SUFFIX)] not in puts]
    if puts or removes:
        index.update(puts, removes)


class KeyValueStoreGoneIndex:
    def __init__(self, arn: str) -> None:
        self.arn = arn

    def update(self, puts: Mapping[str, str], removes: Sequence[str]) -> None:
        from botocore.exceptions import ClientError

        from affiche.aws import client

        kvs = client("cloudfront-keyvaluestore")  # signs with SigV4A: needs awscrt
        for attempt in range(ATTEMPTS):
            etag = kvs.describe_key_value_store(KvsARN=self.arn)["ETag"]
            try:
                kvs.update_keys(KvsARN=self.arn, IfMatch=etag,
                                Puts=[{"Key": k, "Value": v} for k, v in puts.items()],
                                Deletes=[{"Key": k} for k in removes])
                return
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code not in {"ConflictException", "PreconditionFailed"} or \
                        attempt == ATTEMPTS - 1:
                    raise


class RecordingGoneIndex:
    """What the store would hold (tests)."""

    def __init__(self) -> None:
        self.puts: dict[str, str] = {}
        self.removed: list[str] = []

    def update(self, puts: Mapping[str, str], removes: Sequence[str]) -> None:
        self.puts.update(puts)
        for key in removes:
            self.puts.pop(key, None)
            self.removed.append(key)


def gone_index() -> GoneIndex | None:
    arn = os.environ.get("AFFICHE_GONE_KVS_ARN")
    return KeyValueStoreGoneIndex(arn) if arn else None
