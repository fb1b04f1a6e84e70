"""Export and import of the whole table as JSON lines of DynamoDB items (typed attribute values).

The local runner saves its data folder with this and loads it at start; the same functions back
`affiche backup` / `affiche restore` against AWS. Files are written atomically (temp + rename), so a
crash mid-export leaves the previous export intact.

Items saved by an older release may lack index keys added since (store/keys.py):
`reindex_events` gives events the keys this release computes for them; the local runner calls it
at start, `affiche restore` after an import, and `affiche reindex-events` once after a stack
update that adds an index."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from affiche.aws import client
from affiche.config import get_settings


def _items() -> list[dict[str, Any]]:
    ddb = client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=get_settings().table_name,
                                                   ConsistentRead=True):
        items.extend(page["Items"])
    return items


def export_table(path: Path) -> int:
    """Write every item to `path`; returns how many. Sorted, so equal data gives equal files."""
    lines = sorted(json.dumps(item, sort_keys=True) for item in _items())
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_text("".join(line + "\n" for line in lines))
    os.replace(temp, path)
    return len(lines)


def import_table(path: Path) -> int:
    """Put every item of an export into the (empty) table; returns how many."""
    if not path.exists():
        return 0
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    ddb = client("dynamodb")
    table = get_settings().table_name
    for start in range(0, len(items), 25):  # BatchWriteItem takes at most 25 items
        request = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while request:
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(items)


def reindex_events() -> int:
    """Set the index keys (gsi1-gsi3) that keys.keys_for computes today on the events saved
    without a gsi3 key; returns how many were changed. The Scan's filter returns only those, and
    of them only the ones not in the public agenda (a listed event is in no sparse index), so a
    restart over thousands of public events parses a handful. The keys alone are updated, under
    the version read: neither the version nor the content changes (no editor sees a conflict),
    and an event written meanwhile already has the keys of its new state. Safe to run again.
    """
    from affiche.domain.model import Event

    ddb = client("dynamodb")
    table = get_settings().table_name
    changed = 0
    pages = ddb.get_paginator("scan").paginate(
        TableName=table, ConsistentRead=True,
        FilterExpression="#kind = :event AND attribute_not_exists(gsi3pk) "
                         "AND (attribute_not_exists(gsi2pk) OR gsi2pk <> :listed)",
        ExpressionAttributeNames={"#kind": "kind"},
        ExpressionAttributeValues={":event": {"S": Event.kind}, ":listed": {"S": "EVENTS"}})
    for page in pages:
        for row in page["Items"]:
            changed += _set_keys(ddb, table, row)
    return changed


def _set_keys(ddb: Any, table: str, row: dict[str, Any]) -> int:
    from affiche.store.keys import keys_for
    from affiche.store.repository import entity_of
    from affiche.store.table import COUNTS, INDEX_ATTRIBUTES

    version = row.get("version", {}).get("N")
    counts = {name: row[name]["N"] for name in COUNTS if name in row}
    wanted = keys_for(entity_of(row["kind"]["S"], row["data"]["S"], version, counts)).attributes()
    sets = {name: wanted[name] for name in INDEX_ATTRIBUTES
            if name in wanted and row.get(name, {}).get("S") != wanted[name]}
    removes = [name for name in INDEX_ATTRIBUTES if name in row and name not in wanted]
    if not sets and not removes:
        return 0
    values: dict[str, Any] = {f":{name}": {"S": value} for name, value in sets.items()}
    update = " ".join(part for part in (
        "SET " + ", ".join(f"{name} = :{name}" for name in sets) if sets else "",
        "REMOVE " + ", ".join(removes) if removes else "") if part)
    # Never creates an item: one deleted meanwhile stays deleted.
    if version is None:
        condition = "attribute_exists(pk) AND attribute_not_exists(#version)"
    else:
        condition, values[":version"] = "#version = :version", {"N": version}
    try:
        ddb.update_item(TableName=table, Key={"pk": row["pk"], "sk": row["sk"]},
                        UpdateExpression=update, ConditionExpression=condition,
                        ExpressionAttributeNames={"#version": "version"},
                        **({"ExpressionAttributeValues": values} if values else {}))
    except ddb.exceptions.ConditionalCheckFailedException:
        return 0  # written meanwhile, with the keys of its new state (or deleted)
    return 1


MEDIA_PREFIX = "media/"


def export_media(folder: Path) -> int:
    """Copy uploaded images (bucket keys under media/) into `folder`."""
    s3 = client("s3")
    bucket = get_settings().site_bucket
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=MEDIA_PREFIX):
        for obj in page.get("Contents", []):
            target = folder / obj["Key"]
            if target.exists() and target.stat().st_size == obj["Size"]:
                continue  # media keys are content-addressed: same key, same bytes
            target.parent.mkdir(parents=True, exist_ok=True)
            head = s3.get_object(Bucket=bucket, Key=obj["Key"])
            target.write_bytes(head["Body"].read())
            (target.parent / (target.name + ".type")).write_text(head.get("ContentType", ""))
            count += 1
    return count


def import_media(folder: Path) -> int:
    s3 = client("s3")
    bucket = get_settings().site_bucket
    count = 0
    media = folder / MEDIA_PREFIX
    for path in sorted(media.rglob("*")) if media.exists() else []:
        if path.is_file() and not path.name.endswith(".type"):
            type_file = path.parent / (path.name + ".type")
            content_type = (type_file.read_text() if type_file.exists()
                            else "application/octet-stream")
            s3.put_object(Bucket=bucket, Key=str(path.relative_to(folder)), Body=path.read_bytes(),
                          ContentType=content_type)
            count += 1
    return count
