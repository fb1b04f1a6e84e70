"""The one DynamoDB table, as a pynamodb model bound to its name and endpoint at runtime.

Every entity is one item: `pk`/`sk` locate it, `gsi1`/`gsi2`/`gsi3` serve the listings (see
keys.py), `data` holds the entity's JSON. `version` is pynamodb's VersionAttribute, so every save
and transaction carries an optimistic-locking condition for free. The TTL attribute is declared
here, on the base model (pynamodb pitfall, DESIGN.md §7); moto never expires items, so readers also
check `expires` themselves.

Counts (COUNTS: a group's members, an event's participants) are kept out of `data`, each in an
attribute of its own, so that a join adds to it atomically (`SET n = if_not_exists(n, seed) + d`,
repository.py) instead of rewriting the group or event under its version: DESIGN.md §1 says counts
are guarded by the parent's version; they were, until simultaneous joins of one group refused each
other (409). The parent's version still guards what a count is checked against (capacity, openness).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from affiche.config import Settings, get_settings

#: The counted fields of entities, each stored in the item attribute of the same name (never in
#: `data`) and changed only by ChangeSet.tally. Items written before counts moved out of `data`
#: have none of these attributes: reads then take the count from `data`, and the first write
#: seeds the attribute with it (if_not_exists).
COUNTS = ("member_count", "participant_count")

#: The key attributes of the listings (GSIs), each set or absent as store/keys.py decides.
INDEX_ATTRIBUTES = ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk")


class Gsi1(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["Item"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex["Item"]):
    """Sparse: a group's private events and drafts (keys.py)."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Item(Model):
    class Meta:
        table_name = "unbound"  # set by bind(); never at import
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    data = UnicodeAttribute(default="{}")
    version = VersionAttribute(null=True)
    expires = TTLAttribute(null=True)
    member_count = NumberAttribute(null=True)  # COUNTS
    participant_count = NumberAttribute(null=True)
    # A tag's directory entry: the local months ("yyyy-mm") holding a listed event with the
    # tag (publish/tag_index.py), kept with ADD and DELETE so concurrent publishes never clash.
    months = UnicodeSetAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()


class Tallied(Model):
    """The counts of an Item, for tallies: an update through Item would bump its version
    (pynamodb adds `version + 1` to every update of a versioned model), and a tally must not,
    or two joins of one group would clash again. `version` is only read, for the condition."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute(null=True)
    member_count = NumberAttribute(null=True)  # COUNTS
    participant_count = NumberAttribute(null=True)


class Counter(Model):
    """Atomic counters (instance statistics, rate limits) in the same table.

    A separate model because Item's VersionAttribute would make every ADD conditional."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="counter")
    total = NumberAttribute(default=0)  # not `count`: that name is pynamodb's Model.count()
    expires = TTLAttribute(null=True)


_bound: tuple[str, str | None, str] | None = None


def bind(settings: Settings | None = None) -> type[Item]:
    """Point the model at the configured table; cheap to call on every request."""
    global _bound
    settings = settings or get_settings()
    target = (settings.table_name, settings.aws_endpoint_url, settings.aws_region)
    if target != _bound:
        for model in (Item, Tallied, Counter):
            meta: Any = model.Meta
            meta.table_name = settings.table_name
            meta.host = settings.aws_endpoint_url
            meta.region = settings.aws_region
            model._connection = None  # pynamodb caches the connection with the old host
        _bound = target
    return Item


def create_table(settings: Settings | None = None) -> None:
    """Create the table (local runner and tests; the SAM template does this in AWS)."""
    model = bind(settings)
    if not model.exists():
        model.create_table(wait=True)
        _enable_ttl(settings or get_settings())


def _enable_ttl(settings: Settings) -> None:
    import boto3  # only the local runner and tests create tables

    client = boto3.client("dynamodb", endpoint_url=settings.aws_endpoint_url,
                          region_name=settings.aws_region)
    client.update_time_to_live(
        TableName=settings.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
