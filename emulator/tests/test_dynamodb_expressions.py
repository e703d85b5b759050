"""DynamoDB expression placeholders and key types (`dynamodb/expressions.py`),
as the DynamoDB Developer Guide's "Expression attribute names" and
"Expression attribute values" and the API Reference's ValidationException
describe them: moto projected nothing, answered 500 or found nothing here."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import string_key_table


@pytest.fixture(scope="module")
def table(aws):
    dynamodb = aws("dynamodb")
    name = string_key_table(dynamodb, "expressions")
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    return dynamodb, name


def _refused(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return e.value.response["Error"]["Message"]


def test_an_undefined_name_or_value_is_refused_naming_the_expression(table):
    dynamodb, name = table
    key = {"pk": {"S": "a"}}
    assert _refused(lambda: dynamodb.get_item(TableName=name, Key=key, ProjectionExpression="#n")) == (
        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #n")
    assert _refused(lambda: dynamodb.put_item(TableName=name, Item={"pk": {"S": "b"}},
                                              ConditionExpression="v < :v")) == (
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
        "attribute value: :v")
    assert _refused(lambda: dynamodb.update_item(TableName=name, Key=key, UpdateExpression="SET #n = :v",
                                                 ExpressionAttributeValues={":v": {"N": "2"}})) == (
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #n")
    assert _refused(lambda: dynamodb.query(TableName=name, KeyConditionExpression="pk = :p",
                                           ExpressionAttributeValues={":p": {"S": "a"}},
                                           FilterExpression="#x > :p")).startswith("Invalid FilterExpression: ")
    assert _refused(lambda: dynamodb.transact_write_items(TransactItems=[{"Put": {
        "TableName": name, "Item": {"pk": {"S": "c"}}, "ConditionExpression": "attribute_not_exists(#k)"}}])
    ).startswith("Invalid ConditionExpression: An expression attribute name used in the document path")
    # nothing was written by the refused requests
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": {"S": "b"}})
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": {"S": "c"}})
    assert dynamodb.get_item(TableName=name, Key=key)["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}


def test_an_unused_value_is_refused(table):
    dynamodb, name = table
    assert _refused(lambda: dynamodb.put_item(
        TableName=name, Item={"pk": {"S": "b"}}, ConditionExpression="attribute_not_exists(pk)",
        ExpressionAttributeValues={":x": {"S": "1"}})) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}")


def test_a_key_of_the_wrong_type_does_not_match_the_schema(table):
    dynamodb, name = table
    assert _refused(lambda: dynamodb.get_item(TableName=name, Key={"pk": {"N": "1"}})) == (
        "The provided key element does not match the schema")
    assert _refused(lambda: dynamodb.put_item(TableName=name, Item={"pk": {"N": "1"}})) == (
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")


def test_well_formed_expressions_still_work(table):
    dynamodb, name = table
    key = {"pk": {"S": "a"}}
    dynamodb.update_item(TableName=name, Key=key, UpdateExpression="SET #n = :v",
                         ExpressionAttributeNames={"#n": "w"}, ExpressionAttributeValues={":v": {"N": "2"}})
    got = dynamodb.get_item(TableName=name, Key=key, ProjectionExpression="#n, v",
                            ExpressionAttributeNames={"#n": "w"})["Item"]
    assert got == {"w": {"N": "2"}, "v": {"N": "1"}}
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "d"}, "joinVersion": {"S": "2"}},
                      ConditionExpression="attribute_not_exists(pk) OR joinVersion < :v",
                      ExpressionAttributeValues={":v": {"S": "2"}})
