"""TransactWriteItems: all or nothing, conditions against the state before the
transaction, and no whole-table copies (the stream processors' state stores
commit every batch in one transaction)."""
from __future__ import annotations

import copy

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from streamkit_emulator.dynamodb import transactions as dynamodb_transactions


@pytest.fixture
def ddb(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        dynamodb_transactions.install()
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def put(key: str, n: int, condition: str | None = None) -> dict:
    op = {"TableName": "t", "Item": {"pk": {"S": key}, "sk": {"S": "s"}, "n": {"N": str(n)}}}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def value(ddb, key: str) -> int | None:
    item = ddb.get_item(TableName="t", Key={"pk": {"S": key}, "sk": {"S": "s"}}).get("Item")
    return int(item["n"]["N"]) if item else None


def test_a_failed_condition_applies_nothing_and_names_the_item(ddb) -> None:
    ddb.transact_write_items(TransactItems=[put("a", 1)])
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(TransactItems=[put("b", 2), put("a", 3, "attribute_not_exists(pk)")])
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in err.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]
    assert (value(ddb, "a"), value(ddb, "b")) == (1, None)


def test_every_write_applies_when_every_condition_holds(ddb) -> None:
    ddb.transact_write_items(TransactItems=[put("a", 1), put("d", 0)])
    ddb.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "s"}},
                        "UpdateExpression": "SET n = n + :one", "ConditionExpression": "n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            put("c", 5, "attribute_not_exists(pk)"),
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "d"}, "sk": {"S": "s"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ]
    )
    assert (value(ddb, "a"), value(ddb, "c")) == (2, 5)


def test_an_error_while_applying_restores_the_items_already_written(ddb) -> None:
    ddb.transact_write_items(TransactItems=[put("a", 1)])
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                put("a", 9),
                {"Update": {"TableName": "t", "Key": {"pk": {"S": "b"}, "sk": {"S": "s"}},
                            "UpdateExpression": "SET n = n + :one",  # n does not exist on a new item
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            ]
        )
    assert (value(ddb, "a"), value(ddb, "b")) == (1, None)


def test_no_table_is_copied(ddb, monkeypatch) -> None:
    for i in range(50):
        ddb.transact_write_items(TransactItems=[put(f"k{i}", i)])
    copied: list[str] = []
    original = copy.deepcopy

    def watching(obj, memo=None):
        copied.append(type(obj).__name__)
        return original(obj, memo)

    monkeypatch.setattr(dynamodb_transactions.copy, "deepcopy", watching)
    ddb.transact_write_items(TransactItems=[put("k1", 100), put("new", 1)])
    assert copied and "Table" not in copied, copied
    assert value(ddb, "k1") == 100
