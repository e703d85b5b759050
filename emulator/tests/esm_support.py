"""Helpers of the event source mapping tests: streams, records, mappings,
what the test functions logged, and on-failure queues."""
from __future__ import annotations

import json
import uuid

from conftest import log_messages


def new_stream(aws, shards: int = 1) -> str:
    name = f"esm-{uuid.uuid4().hex[:8]}"
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def put(aws, stream_arn: str, items: list[tuple[str, str]]) -> list[str]:
    """Puts (partition key, data) in order, one call each; their sequence numbers."""
    kinesis = aws("kinesis")
    return [
        kinesis.put_record(StreamARN=stream_arn, PartitionKey=key, Data=data.encode())["SequenceNumber"]
        for key, data in items
    ]


def new_queue(aws) -> tuple[str, str]:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"failures-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def queue_messages(aws, url: str) -> list[dict]:
    out = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in out.get("Messages", [])]


def batches(aws, function: str, prefix: str = "BATCH ") -> list[dict]:
    return [json.loads(m[len(prefix):]) for m in log_messages(aws("logs"), f"/aws/lambda/{function}") if m.startswith(prefix)]


def delivered(aws, function: str) -> list[str]:
    """Data of every record the function was given, in invocation order."""
    return [data for b in batches(aws, function) for _, data in b["records"]]
