"""Limits AWS enforces, with AWS's error codes (each test names its page)."""
from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError


def _code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def test_lambda_payload_limits(aws, make_function):
    """"Lambda quotas": 6 MB synchronous, 1 MB asynchronous, 256 KB through
    InvokeAsync; "Invoke": 413 RequestTooLargeException."""
    lam = aws("lambda")
    name = make_function("echo")
    big_sync = json.dumps({"x": "a" * (6 * 1024 * 1024)}).encode()
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=big_sync)
    assert _code(e.value) == "RequestTooLargeException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    big_async = json.dumps({"x": "a" * (1024 * 1024)}).encode()
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=big_async, InvocationType="Event")
    assert _code(e.value) == "RequestTooLargeException"
    assert lam.invoke(FunctionName=name, Payload=json.dumps({"x": "a" * 1000}).encode(),
                      InvocationType="Event")["StatusCode"] == 202
    with pytest.raises(ClientError) as e:
        lam.invoke_async(FunctionName=name, InvokeArgs=json.dumps({"x": "a" * (256 * 1024)}).encode())
    assert _code(e.value) == "RequestTooLargeException"
    assert lam.invoke_async(FunctionName=name, InvokeArgs=b'{"action": "async"}')["Status"] == 202


def test_kinesis_record_and_put_records_limits(aws):
    """"PutRecord" / "PutRecords" (Kinesis API Reference): a data blob up to
    1 MiB (ValidationException), 500 records and 5 MiB per PutRecords call."""
    kinesis = aws("kinesis")
    name = f"limits-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x" * (1024 * 1000))  # under 1 MiB (and the shard's 1 MiB/s)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x" * (1024 * 1024 + 1))
    assert _code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x"}] * 501)
    assert _code(e.value) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x" * (1024 * 1024)}] * 6)
    assert _code(e.value) == "InvalidArgumentException"


def test_sqs_message_size_follows_the_queue_maximum(aws):
    """"CreateQueue" (SQS API Reference): MaximumMessageSize defaults to
    262,144 bytes and may be set up to 1,048,576; a longer message is
    InvalidParameterValue."""
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"limits-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"][
        "MaximumMessageSize"] == "262144"
    sqs.send_message(QueueUrl=url, MessageBody="x" * 262_144)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 262_145)
    assert _code(e.value) in ("InvalidParameterValue", "InvalidParameterValueException")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1048576"})
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_000_000)


def test_dynamodb_items_are_at_most_400_kb(aws):
    """"Service, account, and table quotas in Amazon DynamoDB": an item is at
    most 400 KB (names and values); over it PutItem is a ValidationException."""
    ddb = aws("dynamodb")
    table = f"limits-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=table, Item={"k": {"S": "a"}, "v": {"S": "x" * 390_000}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"k": {"S": "b"}, "v": {"S": "x" * 410_000}})
    assert _code(e.value) == "ValidationException"


def test_cloudformation_template_quotas(aws):
    """"AWS CloudFormation quotas": template body 51,200 bytes, 1 MB from S3,
    500 resources: ValidationError before anything is created."""
    cfn, s3 = aws("cloudformation"), aws("s3")
    queue = {"Type": "AWS::SQS::Queue"}
    body = json.dumps({"Description": "x" * 51_200, "Resources": {"Q": queue}})
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="too-long", TemplateBody=body)
    assert _code(e.value) == "ValidationError" and "51200" in str(e.value)
    many = json.dumps({"Resources": {f"Q{i}": queue for i in range(501)}})
    s3.create_bucket(Bucket="templates-limits")
    s3.put_object(Bucket="templates-limits", Key="many.json", Body=many.encode())
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="too-many", TemplateURL="http://localhost/templates-limits/many.json")
    assert "Number of resources, 501, is greater than maximum allowed, 500" in str(e.value)
    huge = json.dumps({"Description": "x" * 1_000_001, "Resources": {"Q": queue}})
    s3.put_object(Bucket="templates-limits", Key="huge.json", Body=huge.encode())
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="too-big", TemplateURL="http://localhost/templates-limits/huge.json")
    assert "Template may not exceed 1000000 bytes in size." in str(e.value)
    assert not [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"].startswith("too-")]
