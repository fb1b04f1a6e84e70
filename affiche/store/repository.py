"""The Repository port implemented over the single table with pynamodb."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from affiche.domain.errors import Conflict, DomainError
from affiche.domain.model import (
    Account,
    Activity,
    Actor,
    AuditEntry,
    CalendarFeed,
    Comment,
    Discussion,
    DiscussionFollow,
    DiscussionReply,
    Event,
    Follow,
    Membership,
    Participation,
    Post,
    Record,
    Report,
    Resource,
    Session,
    Token,
)
from affiche.domain.ports import END, ChangeSet, R, Slice, Tally
from affiche.domain.retry import back_off
from affiche.store import faults
from affiche.store.keys import (
    KINDS,
    MAIN,
    claim_key,
    entity_key,
    keys_for,
    members_agenda_partition,
    primary_key,
    resource_folder_partition,
)
from affiche.store.table import COUNTS, INDEX_ATTRIBUTES, Counter, Item, Tallied, bind


def to_item(entity: Record) -> Item:
    data = entity.to_dict()
    data.pop("version", None)  # the item's VersionAttribute is the source of truth
    counts = {name: data.pop(name) for name in COUNTS if name in data}  # attributes of their own
    attrs = keys_for(entity).attributes()
    item = Item(kind=entity.kind, data=json.dumps(data, sort_keys=True, ensure_ascii=False),
                **attrs, **counts)
    if entity.version:  # no version yet: pynamodb then requires the item not to exist
        item.version = entity.version
    return item


def from_item(item: Any) -> Record:
    """The entity an Item (or the full build's snapshot row) holds."""
    return entity_of(item.kind, item.data, item.version,
                     {name: getattr(item, name, None) for name in COUNTS})


def entity_of(kind: str, data: str, version: Any, counts: dict[str, Any]) -> Record:
    """An entity from its stored parts. A count attribute wins over `data`, which holds the
    count only in items written before counts had attributes (table.COUNTS)."""
    values = json.loads(data)
    values.update({name: int(value) for name, value in counts.items() if value is not None})
    entity = KINDS[kind].from_dict(values)
    entity.version = int(version or 0)
    return entity


def _counts_of(entity: Record) -> dict[str, int]:
    return {name: int(getattr(entity, name)) for name in COUNTS if hasattr(entity, name)}


def _counted_update(entity: Record, folded: list[Tally]) -> tuple[Item, list[Any], Any]:
    """An existing counted entity is updated, never replaced: a Put would write back the count
    it read, undoing the tallies committed since (they do not bump the version it checks).
    Every other attribute is set (or removed) as the Put would; `folded` are tallies of the same
    item in the same transaction (DynamoDB takes one operation per item)."""
    item = to_item(entity)
    actions: list[Any] = [Item.kind.set(item.kind), Item.data.set(item.data)]
    for name in (*INDEX_ATTRIBUTES, "expires"):
        value, attribute = getattr(item, name), getattr(Item, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    seeds = _counts_of(entity)
    deltas = {tally.field: sum(t.delta for t in folded if t.field == tally.field)
              for tally in folded}
    for name, seed in seeds.items():
        stored = getattr(Item, name)
        actions.append(stored.set((stored | seed) + deltas.get(name, 0)))
    condition = None
    for tally in folded:
        condition = _and(condition, _within(getattr(Item, tally.field), seeds[tally.field],
                                            deltas[tally.field], tally.limit))
    return item, actions, condition


def _within(stored: Any, seed: int, delta: int, limit: int | None) -> Any:
    """The condition that the count after adding `delta` stays at most `limit`."""
    if limit is None:
        return None
    fits = stored <= limit - delta
    # No attribute yet (an item older than COUNTS): the seed, read from `data`, is the count.
    return fits | stored.does_not_exist() if seed + delta <= limit else fits


def _and(left: Any, right: Any) -> Any:
    return right if left is None else left if right is None else left & right


def _tally_update(tally: Tally) -> tuple[Tallied, list[Any], Any]:
    """`SET count = if_not_exists(count, seed) + delta`, on the item as read (its version),
    without bumping that version (Tallied has no VersionAttribute)."""
    pk, sk = primary_key(type(tally.entity), entity_key(tally.entity))
    seed = _counts_of(tally.entity)[tally.field]
    stored = getattr(Tallied, tally.field)
    condition = _and(Tallied.pk.exists() & (Tallied.version == tally.entity.version),
                     _within(stored, seed, tally.delta, tally.limit))
    return Tallied(pk, sk), [stored.set((stored | seed) + tally.delta)], condition


def _puts_and_tallies(tx: TransactWrite, changes: ChangeSet, labels: Labels) -> None:
    """The puts (updates for existing counted entities, see `_counted_update`) and the tallies
    of `changes`, a tally of an entity also put being folded into its put."""
    folded = {id(e): [t for t in changes.tallies if _same_item(t.entity, e)]
              for e in changes.puts if e.version and _counts_of(e)}
    in_a_put = {id(t) for ts in folded.values() for t in ts}
    for entity in changes.puts:
        if id(entity) in folded:
            item, actions, condition = _counted_update(entity, folded[id(entity)])
            tx.update(item, actions=actions, condition=condition)
            labels.updates.append((entity, None))
        else:
            tx.save(to_item(entity))
            labels.puts.append((entity, None))
    for tally in changes.tallies:
        if id(tally) in in_a_put:
            continue
        if not tally.entity.version:
            raise ValueError("a new entity starts with its count: put it, do not tally")
        target, actions, condition = _tally_update(tally)
        tx.update(target, actions=actions, condition=condition)
        labels.updates.append((tally.entity, None))


@dataclass
class Labels:
    """What each operation of a transaction writes (an entity, a claim), for the message of a
    refusal, whose reasons come one per operation in the order pynamodb sends them: deletes,
    then puts, then updates, whatever the order they were added in."""

    deletes: list[tuple[Record | None, str | None]] = field(default_factory=list)
    puts: list[tuple[Record | None, str | None]] = field(default_factory=list)
    updates: list[tuple[Record | None, str | None]] = field(default_factory=list)

    def in_order(self) -> list[tuple[Record | None, str | None]]:
        return [*self.deletes, *self.puts, *self.updates]


def _same_item(one: Record, other: Record) -> bool:
    return type(one) is type(other) and entity_key(one) == entity_key(other)


#: Sends of one transaction that DynamoDB cancelled for a TransactionConflict (another transaction
#: touching one of its items at that moment, e.g. two joins tallying one group): nothing was
#: written and nothing was refused, so the same request is sent again, after a jittered pause.
RESENDS = 4


def _conflict_message(entity: Record | None, claim: str | None) -> str:
    if claim is not None:
        what = claim.split(":", 1)[0]
        return f"this {what} is already in use"
    if entity is not None and entity.version == 0:
        if isinstance(entity, Actor):
            return f"the name @{entity.name} is already taken"
        return f"this {entity.kind} already exists"
    kind = entity.kind if entity is not None else "item"
    return f"this {kind} was changed by someone else at the same time; reload and try again"


def _refuse_deleting_the_record(changes: ChangeSet) -> None:
    if any(isinstance(entity, AuditEntry) for entity in changes.deletes):
        raise Conflict("entries of the audit log are never deleted")


class DynamoRepository:
    """Reads and transactional writes; every method is one or two DynamoDB requests."""

    def __init__(self) -> None:
        self.model = bind()

    # --- single items -------------------------------------------------------------------------
    def get(self, cls: type[R], key: str) -> R | None:
        pk, sk = primary_key(cls, key)
        try:
            item = self.model.get(pk, sk, consistent_read=True)
        except self.model.DoesNotExist:
            return None
        entity = from_item(item)
        assert isinstance(entity, cls)
        return entity

    def claim_owner(self, claim: str) -> str | None:
        pk, sk = claim_key(claim)
        try:
            item = self.model.get(pk, sk, consistent_read=True)
        except self.model.DoesNotExist:
            return None
        owner: str = json.loads(item.data)["owner"]
        return owner

    def account_by_email(self, email: str) -> Account | None:
        owner = self.claim_owner(f"email:{email.lower()}")
        return self.get(Account, owner) if owner else None

    def accounts_with_role(self, role: str) -> list[Account]:
        """The accounts holding an instance role ("moderator" or "admin"): one query."""
        return self._load(self.model.gsi1.query(f"ROLE#{role}"))

    def counter(self, name: str) -> int:
        try:
            return int(Counter.get(f"STATS#{name}", MAIN, consistent_read=True).total)
        except Counter.DoesNotExist:
            return 0

    def counters(self, names: list[str]) -> dict[str, int]:
        """Several counters in one BatchGetItem (NodeInfo shows three)."""
        found = {name: 0 for name in names}
        for item in Counter.batch_get([(f"STATS#{name}", MAIN) for name in names],
                                      consistent_read=True):
            found[item.pk.removeprefix("STATS#")] = int(item.total or 0)
        return found

    def get_many(self, cls: type[R], keys: list[str]) -> dict[str, R]:
        """The entities of `keys` that exist, in BatchGetItem requests of up to 100 keys (one
        GetItem each would cost a request per entity: an outbox page checks twenty)."""
        by_key = {primary_key(cls, key): key for key in dict.fromkeys(keys)}
        found: dict[str, R] = {}
        for item in self.model.batch_get(list(by_key), consistent_read=True):
            entity = from_item(item)
            assert isinstance(entity, cls)
            found[by_key[(item.pk, item.sk)]] = entity
        return found

    def read_points(self, wanted: list[tuple[type[Any], str]], counters: list[str],
                    items: list[tuple[str, str]] | None = None
                    ) -> tuple[dict[tuple[type[Any], str], Any], dict[str, int]]:
        """Entities of several kinds, counters and index items (`items`, by key: found under
        (dict, "pk sk") as their raw attributes) together, in BatchGetItem requests of up to
        100 keys: what a publish shows of single items (the event, its group, the group's
        follower count, NodeInfo's counts, the instance settings, its tags' directory entries)
        costs one request, not one each. Missing entities and items map to None, missing
        counters to 0."""
        from affiche.aws import client
        from affiche.config import get_settings

        keys = {primary_key(cls, key): (cls, key) for cls, key in dict.fromkeys(wanted)}
        keys.update({(pk, sk): (dict, f"{pk} {sk}") for pk, sk in items or []})
        keys.update({(f"STATS#{name}", MAIN): (Counter, name) for name in counters})
        entities: dict[tuple[type[Any], str], Any] = {k: None for k in keys.values()
                                                      if k[0] is not Counter}
        counts = dict.fromkeys(counters, 0)
        table, ddb, pending = get_settings().table_name, client("dynamodb"), list(keys)
        while pending:
            batch = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in pending[:100]]
            pending = pending[100:]
            answer = ddb.batch_get_item(RequestItems={
                table: {"Keys": batch, "ConsistentRead": True}})
            for raw in answer.get("Responses", {}).get(table, []):
                cls, key = keys[(raw["pk"]["S"], raw["sk"]["S"])]
                if cls is Counter:
                    counts[key] = int(raw.get("total", {}).get("N", 0))
                    continue
                if cls is dict:
                    entities[(cls, key)] = raw
                    continue
                entities[(cls, key)] = entity_of(
                    raw["kind"]["S"], raw["data"]["S"], raw.get("version", {}).get("N"),
                    {name: raw.get(name, {}).get("N") for name in COUNTS})
            unprocessed = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            pending += [(k["pk"]["S"], k["sk"]["S"]) for k in unprocessed]
        return entities, counts

    # --- the one write -----------------------------------------------------------------------
    def commit(self, changes: ChangeSet) -> None:
        _refuse_deleting_the_record(changes)
        for sent in range(RESENDS):
            labels = Labels()
            try:
                self._transact(changes, labels)
                break
            except TransactWriteError as error:
                if sent < RESENDS - 1 and faults.lost_to_another_transaction(error):
                    back_off(sent)
                    continue
                raise self._refusal(error, labels) from error
        for entity in changes.puts:
            entity.version += 1

    def _transact(self, changes: ChangeSet, labels: Labels) -> None:
        """One TransactWriteItems of every write of `changes`; `labels` name each operation, in
        order, for the message of a refusal."""
        with TransactWrite(connection=self.model._get_connection().connection) as tx:
            _puts_and_tallies(tx, changes, labels)
            for entity in changes.deletes:
                pk, sk = primary_key(type(entity), entity_key(entity))
                doomed = self.model(pk, sk)
                if entity.version:
                    doomed.version = entity.version
                # Version 0 means "whatever its version": without this flag pynamodb would
                # require the item to have no version, which no stored item satisfies.
                tx.delete(doomed, add_version_condition=bool(entity.version))
                labels.deletes.append((entity, None))
            for claim, owner in changes.claims.items():
                pk, sk = claim_key(claim)
                tx.save(self.model(pk, sk, kind="claim", data=json.dumps({"owner": owner})),
                        condition=self.model.pk.does_not_exist())
                labels.puts.append((None, claim))
            for claim in changes.releases:
                pk, sk = claim_key(claim)
                tx.delete(self.model(pk, sk), add_version_condition=False)
                labels.deletes.append((None, None))
            for activity in changes.activities:
                tx.save(to_item(activity))
                labels.puts.append((activity, None))
            for name, delta in changes.counters.items():
                tx.update(Counter(f"STATS#{name}", MAIN), actions=[Counter.total.add(delta)])
                labels.updates.append((None, None))

    @classmethod
    def _refusal(cls, error: TransactWriteError, labels: Labels) -> DomainError:
        """Throttled means busy (503, retry later), anything else a lost race or clash (409)."""
        if faults.is_transient(error):
            return faults.unavailable()
        return Conflict(cls._explain(error, labels))

    @staticmethod
    def _explain(error: TransactWriteError, labels: Labels) -> str:
        reasons = getattr(error, "cancellation_reasons", None) or []
        for reason, (entity, claim) in zip(reasons, labels.in_order(), strict=False):
            if reason is not None and getattr(reason, "code", None) == "ConditionalCheckFailed":
                return _conflict_message(entity, claim)
        return "the change could not be saved because of a concurrent change; try again"

    # --- listings -----------------------------------------------------------------------------
    def _load(self, items: Iterable[Item]) -> list[Any]:
        return [from_item(item) for item in items]

    def profiles_of(self, account_id: str) -> list[Actor]:
        return self._load(self.model.gsi1.query(f"ACCOUNT#{account_id}"))

    def memberships_of_group(self, group: str) -> list[Membership]:
        items = self.model.query(f"ACTOR#{group}", self.model.sk.startswith("MEMBER#"),
                                 consistent_read=True)
        return self._load(items)

    def memberships_of(self, member: str) -> list[Membership]:
        return self._load(self.model.gsi1.query(f"MEMBER#{member}"))

    def followers_of(self, group: str) -> list[Follow]:
        items = self.model.query(f"ACTOR#{group}", self.model.sk.startswith("FOLLOWER#"),
                                 consistent_read=True)
        return self._load(items)

    def following_of(self, follower: str) -> list[Follow]:
        return self._load(self.model.gsi1.query(f"FOLLOWING#{follower}"))

    def events_of_group(self, group: str, *, since: datetime | None = None) -> list[Event]:
        condition = self.model.gsi1sk >= since.isoformat() if since else None
        return self._load(self.model.gsi1.query(f"GROUP#{group}#EVENTS", condition))

    def events_of_group_between(self, group: str, start: datetime, end: datetime) -> list[Event]:
        """The group's events (every visibility) beginning in [start, end), soonest first."""
        condition = self.model.gsi1sk.between(start.isoformat(), end.isoformat())
        found = self._load(self.model.gsi1.query(f"GROUP#{group}#EVENTS", condition))
        return [e for e in found if e.begins_on < end]

    def group_events_in_order(self, group: str, *, start: datetime | None = None,
                              end: datetime | None = None, newest_first: bool = False,
                              page: int = 25) -> Iterator[Event]:
        """The group's events (every visibility) beginning in [start, end), read lazily by pages
        of `page` items in start order: a caller that stops after what it shows reads no more
        (the group page, the member's agenda), whatever the number of events."""
        sk = self.model.gsi1sk
        condition = (sk.between(start.isoformat(), end.isoformat()) if start and end
                     else sk >= start.isoformat() if start
                     else sk < end.isoformat() if end else None)
        for item in self.model.gsi1.query(f"GROUP#{group}#EVENTS", condition,
                                          scan_index_forward=not newest_first, page_size=page):
            event = from_item(item)
            assert isinstance(event, Event)
            if end is None or event.begins_on < end:
                yield event

    def members_events_of_group(self, group: str, *, start: datetime | None = None,
                                end: datetime | None = None,
                                page: int = 25) -> Iterator[Event]:
        """The group's private events and drafts (not deleted) beginning in [start, end),
        soonest first, read lazily by pages from the sparse gsi3: what this costs depends on
        them alone, not on the group's public events."""
        sk = self.model.gsi3sk
        condition = (sk.between(start.isoformat(), end.isoformat()) if start and end
                     else sk >= start.isoformat() if start
                     else sk < end.isoformat() if end else None)
        for item in self.model.gsi3.query(members_agenda_partition(group), condition,
                                          page_size=page):
            event = from_item(item)
            assert isinstance(event, Event)
            yield event

    def upcoming_events(self, now: datetime, limit: int = 50) -> list[Event]:
        items = self.model.gsi2.query("EVENTS", self.model.gsi2sk >= now.isoformat(), limit=limit)
        return self._load(items)

    def events_beginning_between(self, start: datetime, end: datetime,
                                 limit: int = 1000) -> list[Event]:
        """Every event that takes place (listed, unlisted or private; no drafts) beginning in
        [start, end), soonest first: for the scheduled jobs, never for a public listing."""
        found: list[Event] = []
        for partition in ("EVENTS", "OTHER_EVENTS"):
            condition = self.model.gsi2sk.between(start.isoformat(), end.isoformat())
            found += self._load(self.model.gsi2.query(partition, condition, limit=limit))
        return sorted((e for e in found if e.begins_on < end), key=lambda e: e.begins_on)[:limit]

    def posts_of_group(self, group: str) -> list[Post]:
        return self._load(self.model.gsi1.query(f"GROUP#{group}#POSTS", scan_index_forward=False))

    def listed_groups(self) -> list[Actor]:
        return self._load(self.model.gsi2.query("GROUPS"))

    def recent_posts(self, limit: int = 20) -> list[Post]:
        return self._load(self.model.gsi2.query("POSTS", scan_index_forward=False, limit=limit))

    def outbox(self, actor: str, limit: int = 20) -> list[Activity]:
        items = self.model.gsi1.query(f"OUTBOX#{actor}", scan_index_forward=False, limit=limit)
        return self._load(items)

    def sessions_of(self, account_id: str) -> list[Session]:
        return self._load(self.model.gsi1.query(f"SESSIONS#{account_id}"))

    def tokens_of(self, account_id: str) -> list[Token]:
        return self._load(self.model.gsi1.query(f"TOKENS#{account_id}"))

    def comments_of_event(self, uuid: str) -> list[Comment]:
        """Every comment of an event, deleted ones included, oldest first."""
        return self._load(self.model.gsi1.query(f"EVENT#{uuid}#COMMENTS"))

    def participations_of_event(self, uuid: str) -> list[Participation]:
        items = self.model.query(f"EVENT#{uuid}", self.model.sk.startswith("PARTICIPANT#"),
                                 consistent_read=True)
        return self._load(items)

    def participations_of(self, participant: str) -> list[Participation]:
        return self._load(self.model.gsi1.query(f"PARTICIPATING#{participant}"))

    def calendar_feeds_of(self, profile: str) -> list[CalendarFeed]:
        return self._load(self.model.gsi1.query(f"FEEDS#{profile}"))

    def discussions_of_group(self, group: str, *, limit: int, after: str | None = None,
                             before: str | None = None) -> Slice[Discussion]:
        return self._slice(f"GROUP#{group}#DISCUSSIONS", limit=limit, after=after,
                           before=before, newest_first=True)

    def replies_of_discussion(self, discussion: str, *, limit: int, after: str | None = None,
                              before: str | None = None) -> Slice[DiscussionReply]:
        return self._slice(f"DISCUSSION#{discussion}#REPLIES", limit=limit, after=after,
                           before=before, newest_first=False)

    def discussion_reply_by_note(self, note_id: str) -> DiscussionReply | None:
        found = self._load(self.model.gsi2.query(f"NOTE#{note_id}", limit=1))
        return found[0] if found else None

    def discussion_followers(self, discussion: str) -> list[DiscussionFollow]:
        items = self.model.query(f"DISCUSSION#{discussion}",
                                 self.model.sk.startswith("FOLLOWER#"), consistent_read=True)
        return self._load(items)

    def discussion_items(self, discussion: str) -> list[Record]:
        return self._load(self.model.query(f"DISCUSSION#{discussion}", consistent_read=True))

    def _slice(self, pk: str, *, limit: int, after: str | None, before: str | None,
               newest_first: bool) -> Slice[Any]:
        """One page of a gsi1 listing by cursor (the neighbouring item's gsi1sk): one query of
        limit + 1 items, the extra one only telling whether there is more that way."""
        sk = self.model.gsi1sk
        if before is not None:
            # Walk from the cursor towards the start of the list, then put the page in order.
            condition = sk > before if newest_first else sk < before
            rows = list(self.model.gsi1.query(pk, condition, scan_index_forward=newest_first,
                                              limit=limit + 1))
            more_before, more_after = len(rows) > limit, before != END
            rows = rows[:limit][::-1]
        else:
            condition = None
            if after is not None:
                condition = sk < after if newest_first else sk > after
            rows = list(self.model.gsi1.query(pk, condition,
                                              scan_index_forward=not newest_first,
                                              limit=limit + 1))
            more_before, more_after = after is not None, len(rows) > limit
            rows = rows[:limit]
        if not rows:  # past either end: offer the way back
            return Slice([], before=after, after=before if before != END else None)
        return Slice(self._load(rows), before=str(rows[0].gsi1sk) if more_before else None,
                     after=str(rows[-1].gsi1sk) if more_after else None)

    def resources_in(self, group: str, parent: str | None) -> list[Resource]:
        """One folder of a group's resources (None: its root), folders first, then by title."""
        return self._load(self.model.gsi1.query(resource_folder_partition(group, parent)))

    def recent_resources(self, group: str, limit: int = 5) -> list[Resource]:
        return self._load(self.model.gsi2.query(f"GROUP#{group}#RESOURCES",
                                                scan_index_forward=False, limit=limit))

    def group_activity(self, group: str, *, before: str | None = None,
                       limit: int = 20) -> list[Activity]:
        """The activities about a group, newest first, older than the cursor `before`."""
        condition = self.model.gsi2sk < before if before else None
        return self._load(self.model.gsi2.query(f"GROUP#{group}#ACTIVITY", condition,
                                                scan_index_forward=False, limit=limit))

    def audit_entries(self, *, limit: int, before: str | None = None) -> list[AuditEntry]:
        """The audit log, newest first, older than the cursor `before` when given."""
        condition = self.model.gsi1sk < before if before else None
        return self._load(self.model.gsi1.query("AUDIT", condition, scan_index_forward=False,
                                                limit=limit))

    def reports_in_state(self, state: str, *, limit: int,
                         before: str | None = None) -> list[Report]:
        """Reports in one state, newest first, older than the cursor `before` when given."""
        condition = self.model.gsi1sk < before if before else None
        return self._load(self.model.gsi1.query(f"REPORTS#{state}", condition,
                                                scan_index_forward=False, limit=limit))

    def all_of_kind(self, kind: str) -> list[Any]:
        """Every entity of one kind (full builds and exports only: a scan)."""
        return self._load(self.model.scan(self.model.kind == kind))


