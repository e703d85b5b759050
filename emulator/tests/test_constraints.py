"""Modeled constraints enforced as AWS enforces them (`core/constraints.py`).

Each API reference page lists its members' constraints ("Length
Constraints", "Valid Range", "Valid Values", "Required") and its "Common
Errors" page answers a request that breaks them with HTTP 400
`ValidationException` ("The input fails to satisfy the constraints specified
by an AWS service"). boto3 checks minimums itself, so these clients skip
their own validation: as the SDK for Rust, which sends such requests.
"""
from __future__ import annotations

import datetime
import json
import uuid

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from streamkit_emulator.core import constraints


@pytest.fixture()
def raw(endpoint):
    """Clients that send what they are given (no client-side validation)."""
    import boto3

    config = Config(retries={"max_attempts": 1}, parameter_validation=False)
    return lambda service: boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config)


def _error(e: pytest.ExceptionInfo) -> tuple[int, str, str]:
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def test_kinesis_put_record_with_an_empty_partition_key_is_refused_and_not_stored(raw):
    """"PutRecord" (Kinesis API Reference): PartitionKey, length 1-256."""
    kinesis = raw("kinesis")
    name = f"constraints-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=name, PartitionKey="", Data=b"x")
    assert _error(e) == (400, "ValidationException",
                         "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: "
                         "Member must have length greater than or equal to 1")
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=name, PartitionKey="k" * 257, Data=b"x")
    assert _error(e)[2].endswith("Member must have length less than or equal to 256")
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName=name, Records=[{"PartitionKey": "a", "Data": b"1"},
                                                      {"PartitionKey": "", "Data": b"2"}])
    assert _error(e)[2] == ("1 validation error detected: Value '' at 'records.2.member.partitionKey' failed to "
                            "satisfy constraint: Member must have length greater than or equal to 1")
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []  # nothing half-made
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x")  # a valid one still goes in


def test_kinesis_enum_and_range(raw):
    """"GetShardIterator": ShardIteratorType's valid values; "GetRecords":
    Limit, valid range 1-10000."""
    kinesis = raw("kinesis")
    name = f"constraints-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    with pytest.raises(ClientError) as e:
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="OLDEST")
    status, code, text = _error(e)
    assert (status, code) == (400, "ValidationException")
    assert text.startswith("1 validation error detected: Value 'OLDEST' at 'shardIteratorType' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [")
    assert "TRIM_HORIZON" in text and "LATEST" in text
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard,
                                          ShardIteratorType="LATEST")["ShardIterator"]
    with pytest.raises(ClientError) as e:
        kinesis.get_records(ShardIterator=iterator, Limit=0)
    assert _error(e)[2] == ("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                            "Member must have value greater than or equal to 1")


def test_dynamodb_lists_every_violation_and_counts_user_errors(raw):
    """"Query" (DynamoDB API Reference): Limit, minimum 1; "GetItem": Key
    required; several violations in one message; the table's "UserErrors"
    metric counts each 400 ("DynamoDB metrics and dimensions")."""
    dynamodb = raw("dynamodb")
    name = f"constraints-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    with pytest.raises(ClientError) as e:
        dynamodb.get_item(TableName=name)
    assert _error(e) == (400, "ValidationException",
                         "1 validation error detected: Value null at 'key' failed to satisfy constraint: "
                         "Member must not be null")
    with pytest.raises(ClientError) as e:
        dynamodb.query(TableName=name, Limit=0, Select="EVERYTHING",
                       KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    status, code, text = _error(e)
    assert (status, code) == (400, "ValidationException")
    head = "2 validation errors detected: "
    assert text.startswith(head)
    parts = text[len(head):].split("; ")  # in the model's member order (Select before Limit)
    assert parts[1] == ("Value '0' at 'limit' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 1")
    assert parts[0].startswith("Value 'EVERYTHING' at 'select' failed to satisfy constraint: "
                               "Member must satisfy enum value set: [")
    assert dynamodb.query(TableName=name, Limit=1, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "a"}})["Count"] == 0
    cloudwatch = raw("cloudwatch")
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/DynamoDB", MetricName="UserErrors", Dimensions=[], StartTime=started,
        EndTime=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1),
        Period=60, Statistics=["Sum"])["Datapoints"]
    assert sum(p["Sum"] for p in points) >= 2


# ---------------------------------------------------------------- the checks themselves

def _valid(shape, depth=0):
    """A value of `shape` that meets every constraint (required members only)."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if depth > 6:
            return {}
        return {name: _valid(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [_valid(shape.member, depth + 1) for _ in range(meta.get("min", 0))]
    if kind == "map":
        return {f"k{i}": _valid(shape.value, depth + 1) for i in range(meta.get("min", 0))}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        return "a" * max(meta.get("min", 1), 1)
    if kind in ("integer", "long"):
        return meta.get("min", 1)
    if kind == "boolean":
        return True
    return "YQ=="


@pytest.mark.parametrize("parsed", [False, True])
@pytest.mark.parametrize("service", ["dynamodb", "kinesis", "firehose", "logs", "sqs", "events"])
def test_a_request_within_every_constraint_passes(service, parsed):
    """No false refusal: for every operation, the smallest request meeting
    its model passes, and dropping any one required member is refused (as
    the request's JSON, and as moto's parsed parameters: the same names in
    these JSON-protocol models)."""
    model = botocore.session.get_session().get_service_model(service)
    for operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if shape is None:
            continue
        body = _valid(shape)
        assert constraints.violations(model, operation, body, parsed) == [], (service, operation, body)
        for name in shape.required_members:
            partial = {k: v for k, v in body.items() if k != name}
            found = constraints.violations(model, operation, partial, parsed)
            wire = name[:1].lower() + name[1:]
            assert (wire, None, "Member must not be null") in found, (service, operation, name)


# ---------------------------------------------------------------- unknown and unimplemented operations

def _post(endpoint: str, target: str, content_type: str, body: bytes = b"{}"):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(endpoint + "/", data=body, method="POST", headers={
        "X-Amz-Target": target, "Content-Type": content_type,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=00"})
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.parametrize("target,content_type", [
    ("DynamoDB_20120810.PutItems", "application/x-amz-json-1.0"),
    ("Kinesis_20131202.PutRecordz", "application/x-amz-json-1.1"),
])
def test_an_operation_the_service_does_not_have_is_unknown_operation(endpoint, target, content_type):
    """A JSON API reference's "Common Errors": an unknown operation is
    UnknownOperationException, HTTP 400 (moto answered an HTML 500)."""
    status, headers, body = _post(endpoint, target, content_type)
    assert status == 400
    assert json.loads(body) == {"__type": "com.amazon.coral.service#UnknownOperationException"}
    assert headers["Content-Type"] == content_type


def test_an_operation_the_emulator_does_not_implement_fails_by_name(endpoint, raw):
    """An operation AWS has and the emulator lacks: 501 naming it (the SDK
    does not retry it), not an HTML 500 nor a silent success."""
    status, _, body = _post(endpoint, "DynamoDB_20120810.DescribeContributorInsights",
                            "application/x-amz-json-1.0", b'{"TableName": "abc"}')
    assert status == 501
    answer = json.loads(body)
    assert answer["__type"] == "NotImplemented"
    assert "does not implement dynamodb DescribeContributorInsights" in answer["message"]
    with pytest.raises(ClientError) as e:
        raw("kinesis").describe_account_settings()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    assert "kinesis DescribeAccountSettings" in e.value.response["Error"]["Message"]
