"""ConsumedCapacity in DynamoDB's answers ("ReturnConsumedCapacity", DynamoDB
API Reference; "Read/write capacity mode": 1 KB write units, 4 KB read units,
half for eventually consistent reads): only when asked, in the units charged."""
from __future__ import annotations

from conftest import string_key_table


def test_consumed_capacity_only_when_asked_and_in_charged_units(aws):
    dynamodb = aws("dynamodb")
    name = string_key_table(dynamodb, "capacity")
    big = {"pk": {"S": "a"}, "blob": {"S": "x" * 2500}}  # 2.5 KB: 3 write units
    assert "ConsumedCapacity" not in dynamodb.put_item(TableName=name, Item=big)
    assert "ConsumedCapacity" not in dynamodb.update_item(
        TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "1"}})
    assert "ConsumedCapacity" not in dynamodb.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    asked = dynamodb.put_item(TableName=name, Item=big, ReturnConsumedCapacity="TOTAL")
    assert asked["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 3.0}
    asked = dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="INDEXES")
    assert asked["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
    asked = dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True,
                              ReturnConsumedCapacity="TOTAL")
    assert asked["ConsumedCapacity"]["CapacityUnits"] == 1.0
    asked = dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "c"}}}},
                                                           {"PutRequest": {"Item": {"pk": {"S": "d"}}}}]},
                                      ReturnConsumedCapacity="TOTAL")
    assert asked["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 2.0}]
