"""The local AWS emulator serves many connections at once without losing a write: moto's work runs
under one lock, the reading and writing of requests in parallel (affiche/local/emulator.py)."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config

from affiche.local.emulator import Emulator, start_emulator

CLIENTS, ROUNDS = 16, 20


@pytest.fixture
def emulator(restore_env: None) -> Iterator[Emulator]:
    started = start_emulator()
    # Threads switch far more often than usual, so that unguarded moto calls would interleave.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield started
    sys.setswitchinterval(interval)
    started.stop()


def _dynamodb(emulator: Emulator) -> Any:
    return boto3.client("dynamodb", endpoint_url=emulator.endpoint, region_name="eu-west-1",
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(max_pool_connections=CLIENTS, retries={"max_attempts": 1}))


def _table(ddb: Any, name: str = "t") -> None:
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_parallel_clients_writing_through_the_emulator_lose_nothing(emulator: Emulator) -> None:
    # Given a table, and many clients each on its own connections
    ddb = _dynamodb(emulator)
    _table(ddb)
    ddb.put_item(TableName="t", Item={**_key("count", "all"), "n": {"N": "0"}})

    def work(client: int) -> int:
        refused = 0
        for step in range(ROUNDS):
            ddb.update_item(TableName="t", Key=_key("count", "all"),
                            UpdateExpression="ADD n :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})
            ddb.put_item(TableName="t", Item=_key(f"c{client}", f"put{step}"))
            # Every other transaction is cancelled by its condition: its rollback must not undo
            # what other clients wrote meanwhile (moto's rollback restores whole items).
            try:
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": "t", "Item": _key(f"c{client}", f"tx{step}")}},
                    {"Update": {"TableName": "t", "Key": _key("count", "all"),
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                    {"ConditionCheck": {"TableName": "t", "Key": _key("flag", "x"),
                                        "ConditionExpression": "attribute_not_exists(pk)"
                                        if step % 2 == 0 else "attribute_exists(pk)"}},
                ])
            except ddb.exceptions.TransactionCanceledException:
                refused += 1
        return refused

    # When they all write at once
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        refused = sum(pool.map(work, range(CLIENTS)))

    # Then every acknowledged write is there, and no cancelled one
    assert refused == CLIENTS * ROUNDS // 2
    count = ddb.get_item(TableName="t", Key=_key("count", "all"))["Item"]["n"]["N"]
    assert int(count) == CLIENTS * ROUNDS + CLIENTS * ROUNDS // 2
    for client in range(CLIENTS):
        items = ddb.query(TableName="t", KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": {"S": f"c{client}"}})["Items"]
        assert sorted(i["sk"]["S"] for i in items) == sorted(
            [f"put{s}" for s in range(ROUNDS)] + [f"tx{s}" for s in range(0, ROUNDS, 2)])


def test_a_slow_client_does_not_hold_up_the_others(emulator: Emulator) -> None:
    # Given a client that sent half a request and went quiet
    ddb = _dynamodb(emulator)
    with socket.create_connection(("127.0.0.1", emulator.port)) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        # When another client calls meanwhile
        started = time.monotonic()
        _table(ddb)
        # Then it is answered at once
        assert ddb.list_tables()["TableNames"] == ["t"]
        assert time.monotonic() - started < 5


def test_connections_are_kept_alive(emulator: Emulator) -> None:
    # Given one HTTP/1.1 connection to the emulator
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    # When it sends several requests
    for _ in range(3):
        connection.request("GET", "/moto-api/data.json")
        answer = connection.getresponse()
        answer.read()
        # Then each is answered on the same connection, which stays open
        assert answer.status == 200
        assert answer.getheader("Connection") != "close"
    connection.close()


def _item_operations(ddb: Any, tag: str) -> list[Any]:
    """Every item operation's answer, as boto3 parses it (ResponseMetadata aside), on a table of
    its own."""
    table = f"t{tag}"
    _table(ddb, table)
    item = {**_key(tag, "a"), "s": {"S": "é"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"},
            "t": {"BOOL": True}, "z": {"NULL": True}, "l": {"L": [{"S": "x"}, {"N": "2"}]},
            "m": {"M": {"k": {"SS": ["a", "b"]}, "j": {"NS": ["1", "2"]}}},
            "bs": {"BS": [b"1", b"2"]}}
    answers = [
        ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL"),
        ddb.put_item(TableName=table, Item={**_key(tag, "b"), "n": {"N": "2"}},
                     ReturnValues="ALL_OLD"),
        ddb.get_item(TableName=table, Key=_key(tag, "a")),
        ddb.get_item(TableName=table, Key=_key(tag, "missing")),
        ddb.query(TableName=table, KeyConditionExpression="pk = :p", Limit=1,
                  ExpressionAttributeValues={":p": {"S": tag}}),
        ddb.query(TableName=table, KeyConditionExpression="pk = :p", Select="COUNT",
                  ExpressionAttributeValues={":p": {"S": tag}}),
        ddb.scan(TableName=table, FilterExpression="pk = :p",
                 ExpressionAttributeValues={":p": {"S": tag}}),
        ddb.update_item(TableName=table, Key=_key(tag, "b"), UpdateExpression="ADD n :one",
                        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW"),
        ddb.batch_get_item(RequestItems={table: {"Keys": [_key(tag, "a"), _key(tag, "b")]}}),
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _key(tag, "c")}}]}),
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table,
                                                       "Key": _key(tag, "a")}}]),
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table,
                                                         "Item": _key(tag, "d")}}]),
        ddb.delete_item(TableName=table, Key=_key(tag, "a"), ReturnValues="ALL_OLD"),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata")
        for found in answer.get("Responses", {}).values() if isinstance(
                answer.get("Responses"), dict) else []:
            found.sort(key=lambda i: i["sk"]["S"])  # BatchGetItem answers in no set order
    return answers


def test_item_answers_are_what_motos_serializer_writes(emulator: Emulator) -> None:
    from affiche.local import moto_fixes

    # Given the same item operations, answered by the emulator's JSON and by moto's serializer
    ddb = _dynamodb(emulator)
    fast = _item_operations(ddb, "fast")
    moto_fixes.plain_json[0] = False
    try:
        slow = _item_operations(ddb, "slow")
    finally:
        moto_fixes.plain_json[0] = True
    # Then the answers are the same (but for the names of table and key)
    for one, other in zip(fast, slow, strict=True):
        assert repr(one).replace("fast", "slow") == repr(other)
