"""Export and import of the whole table as JSON lines of DynamoDB items (typed attribute values).

The local runner saves its data folder with this and loads it at start; the same functions back
`affiche backup` / `affiche restore` against AWS. Files are written atomically (temp + rename), so a
crash mid-export leaves the previous export intact."""

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


def append_journal(path: Path, records: list[dict[str, Any]]) -> int:
    """Append the changes of stream records (boto3 GetRecords shape, new images) to a journal of
    JSON lines: the local runner saves each change this way, in time proportional to the change
    rather than to the table. Returns how many lines were written."""
    lines = []
    for record in records:
        change = record.get("dynamodb", {})
        if record.get("eventName") == "REMOVE":
            lines.append(json.dumps({"remove": change["Keys"]}, sort_keys=True))
        elif "NewImage" in change:
            lines.append(json.dumps({"put": change["NewImage"]}, sort_keys=True))
    if lines:
        with path.open("a") as journal:
            journal.write("".join(line + "\n" for line in lines))
            journal.flush()
            os.fsync(journal.fileno())
    return len(lines)


def replay_journal(path: Path) -> int:
    """Apply a journal (append_journal) to the table, the last change of each key winning;
    returns how many keys it changed. A torn last line (a crash mid-write) is ignored."""
    if not path.exists():
        return 0
    final: dict[str, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        try:
            change = json.loads(line)
        except json.JSONDecodeError:
            continue
        item = change.get("put") or change.get("remove") or {}
        key = json.dumps({"pk": item.get("pk"), "sk": item.get("sk")}, sort_keys=True)
        final[key] = change
    requests = [{"PutRequest": {"Item": c["put"]}} if "put" in c else
                {"DeleteRequest": {"Key": c["remove"]}} for c in final.values()]
    ddb = client("dynamodb")
    table = get_settings().table_name
    for start in range(0, len(requests), 25):
        batch: dict[str, Any] = {table: requests[start:start + 25]}
        while batch:
            batch = ddb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    return len(final)


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
