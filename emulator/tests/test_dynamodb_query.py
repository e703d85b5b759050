"""Query on a table's key reads only its partition (dynamodb_query), with
moto's answers unchanged: every result equals a filter over a Scan."""
from __future__ import annotations

import random

import boto3
import pytest
from moto import mock_aws

from streamkit_emulator.dynamodb import query as dynamodb_query


@pytest.fixture
def ddb(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        dynamodb_query.install()
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="h",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        rng = random.Random(7)
        for p in range(30):
            for s in rng.sample(range(100), rng.randint(0, 12)):
                client.put_item(TableName="t", Item={"pk": {"S": f"p{p}"}, "sk": {"S": f"s{s:03}"}, "n": {"N": str(s)}})
            client.put_item(TableName="h", Item={"pk": {"S": f"p{p}"}, "n": {"N": str(p)}})
        yield client


def scan(ddb, table):
    items, kw = [], {}
    while True:
        r = ddb.scan(TableName=table, **kw)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def query_all(ddb, **kw):
    items = []
    while True:
        r = ddb.query(**kw)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def test_answers_equal_a_filter_over_a_scan_and_never_read_the_whole_table(ddb, monkeypatch) -> None:
    everything, hash_only = scan(ddb, "t"), scan(ddb, "h")

    def whole_table(_table):
        raise AssertionError("a key Query read the whole table")

    monkeypatch.setattr(dynamodb_query, "_original_all_items", whole_table)
    partitions = []
    real_partition = dynamodb_query._partition
    monkeypatch.setattr(dynamodb_query, "_partition",
                        lambda table, key: partitions.append(key) or real_partition(table, key))
    for p in [f"p{i}" for i in range(30)] + ["absent"]:
        part = sorted((i for i in everything if i["pk"]["S"] == p), key=lambda i: i["sk"]["S"])
        cases = [
            ({}, part),
            ({"ScanIndexForward": False}, part[::-1]),
            ({"Limit": 2}, part),
        ]
        for extra, want in cases:
            got = query_all(ddb, TableName="t", KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": p}}, **extra)
            assert got == want, (p, extra)
        between = [i for i in part if "s020" <= i["sk"]["S"] <= "s060"]
        got = query_all(ddb, TableName="t", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                        ExpressionAttributeValues={":p": {"S": p}, ":a": {"S": "s020"}, ":b": {"S": "s060"}})
        assert got == between, p
        prefix = [i for i in part if i["sk"]["S"].startswith("s05")]
        got = query_all(ddb, TableName="t", KeyConditionExpression="pk = :p AND begins_with(sk, :b)",
                        ExpressionAttributeValues={":p": {"S": p}, ":b": {"S": "s05"}})
        assert got == prefix, p
        filtered = [i for i in part if int(i["n"]["N"]) > 50]
        got = query_all(ddb, TableName="t", KeyConditionExpression="pk = :p", FilterExpression="n > :f",
                        ExpressionAttributeValues={":p": {"S": p}, ":f": {"N": "50"}})
        assert got == filtered, p
        got = query_all(ddb, TableName="h", KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": p}})
        assert got == [i for i in hash_only if i["pk"]["S"] == p], p
    queried = {f"p{i}" for i in range(30)} | {"absent"}
    assert {k.value for k in partitions} == queried, "every key Query read just its partition"
    # A Query leaves no partition behind for its thread's next Scan.
    monkeypatch.undo()
    assert len(scan(ddb, "t")) == len(everything)
