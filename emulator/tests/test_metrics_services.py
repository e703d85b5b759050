"""AWS/SQS and AWS/DynamoDB metrics from real calls, the per-minute SQS
depth sample, and the logged email delivery of SNS."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError


def metric_sums(endpoint: str, ns: str, metrics: list[tuple[str, dict[str, str]]], stat: str = "Sum") -> list[float | None]:
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    now = datetime.now(timezone.utc)
    out = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": f"q{i}", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": m,
                                                       "Dimensions": [{"Name": k, "Value": v} for k, v in d.items()]},
                                            "Period": 3600, "Stat": stat}}
            for i, (m, d) in enumerate(metrics)
        ],
        StartTime=now - timedelta(hours=2), EndTime=now + timedelta(minutes=1),
    )["MetricDataResults"]
    by_id = {r["Id"]: r["Values"] for r in out}
    return [sum(by_id[f"q{i}"]) if by_id[f"q{i}"] else None for i in range(len(metrics))]


def test_sqs_calls_publish_sent_received_deleted(endpoint: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "two"}, {"Id": "b", "MessageBody": "3"}])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    empty = f"e-{uuid.uuid4().hex[:8]}"
    sqs.receive_message(QueueUrl=sqs.create_queue(QueueName=empty)["QueueUrl"])
    q = {"QueueName": name}
    assert metric_sums(endpoint, "AWS/SQS", [("NumberOfMessagesSent", q), ("NumberOfMessagesReceived", q),
                                             ("NumberOfMessagesDeleted", q), ("SentMessageSize", q),
                                             ("NumberOfEmptyReceives", {"QueueName": empty})]) == [3, 2, 1, 7, 1]


def test_the_minute_sample_reports_depth_and_oldest_age() -> None:
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.sqs.models import sqs_backends

    import streamkit_emulator
    from streamkit_emulator.cloudwatch import queries as metric_queries
    from streamkit_emulator.sqs import metrics as sqs_metrics

    streamkit_emulator.install()
    account, region, name = "123456789012", "ap-southeast-2", f"depth-{uuid.uuid4().hex[:6]}"
    backend = sqs_backends[account][region]
    backend.create_queue(name)
    for body in ("a", "b", "c"):
        backend.send_message(name, body)
    backend.receive_message(name, 1, 0, 30)
    at = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    sqs_metrics.sample(at)
    cw = cloudwatch_backends[account][region]
    dims = [{"Name": "QueueName", "Value": name}]
    queries = [{"Id": f"q{i}", "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": m, "Dimensions": dims},
                                              "Period": 60, "Stat": "Maximum"}}
               for i, m in enumerate(["ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
                                      "ApproximateAgeOfOldestMessage"])]
    got = metric_queries.get_metric_data(cw, queries, at - timedelta(minutes=5), at + timedelta(minutes=1), "TimestampAscending")
    values = {r["Id"]: r["Values"] for r in got}
    assert values["q0"] == [2.0] and values["q1"] == [1.0]
    assert 0.0 < values["q2"][0] <= 61.0
    assert [t for t in got[0]["Timestamps"]] == [at]


def test_dynamodb_requests_publish_latency_capacity_and_errors(endpoint: str) -> None:
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    table = f"t-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    before = metric_sums(endpoint, "AWS/DynamoDB", [("UserErrors", {})])[0] or 0
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "blob": {"S": "x" * 3000}})  # 3 write units
    ddb.get_item(TableName=table, Key={"pk": {"S": "a"}}, ConsistentRead=True)  # 1 read unit
    with pytest.raises(ClientError):
        ddb.put_item(TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError):
        ddb.get_item(TableName=table, Key={"nope": {"S": "a"}})
    t = {"TableName": table}
    assert metric_sums(endpoint, "AWS/DynamoDB", [
        ("ConsumedWriteCapacityUnits", t), ("ConsumedReadCapacityUnits", t), ("ConditionalCheckFailedRequests", t),
    ]) == [3, 1, 1]
    assert metric_sums(endpoint, "AWS/DynamoDB", [("UserErrors", {})])[0] == before + 1
    counts = metric_sums(endpoint, "AWS/DynamoDB", [
        ("SuccessfulRequestLatency", {"TableName": table, "Operation": "PutItem"}),
        ("SuccessfulRequestLatency", {"TableName": table, "Operation": "GetItem"}),
    ], "SampleCount")
    assert counts == [1, 1]


def test_email_subscriptions_are_logged() -> None:
    from moto.sns.models import sns_backends

    import streamkit_emulator
    from streamkit_emulator.sns import models as sns

    streamkit_emulator.install()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    sns.log.addHandler(keep)
    try:
        backend = sns_backends["123456789012"]["us-east-1"]
        topic = backend.create_topic(f"mail-{uuid.uuid4().hex[:6]}").arn
        backend.subscribe(topic, "ops@example.com", "email")
        backend.publish(json.dumps({"AlarmName": "x"}), arn=topic, subject='ALARM: "x"')
    finally:
        sns.log.removeHandler(keep)
    assert [r.getMessage() for r in records] == ['email to ops@example.com: ALARM: "x": {"AlarmName": "x"}']


def test_s3_storage_metrics_are_the_bucket_s_real_contents(endpoint: str) -> None:
    """"Amazon S3 daily storage metrics for buckets" (S3 User Guide, "Metrics and
    dimensions"): BucketSizeBytes (StorageType StandardStorage) is the bytes the
    bucket stores, current and noncurrent versions; NumberOfObjects
    (AllStorageTypes) counts every version and delete marker; published daily
    at midnight UTC in the bucket's region."""
    import boto3
    from datetime import datetime, timedelta, timezone

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="storage-metrics")
    bodies = [b"x" * 1000, b"y" * 25_199]
    for i, body in enumerate(bodies):
        s3.put_object(Bucket="storage-metrics", Key=f"k{i}", Body=body)
    s3.put_bucket_versioning(Bucket="storage-metrics", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="storage-metrics", Key="k0", Body=b"z" * 10)  # a second version of k0
    s3.delete_object(Bucket="storage-metrics", Key="k1")  # a delete marker; k1's data stays stored
    now = datetime.now(timezone.utc)

    def value(name: str, storage: str) -> float:
        points = cw.get_metric_statistics(
            Namespace="AWS/S3", MetricName=name, Statistics=["Average"], Period=86400,
            Dimensions=[{"Name": "StorageType", "Value": storage}, {"Name": "BucketName", "Value": "storage-metrics"}],
            StartTime=now - timedelta(days=2), EndTime=now + timedelta(days=1))["Datapoints"]
        assert len(points) == 1, points
        return points[0]["Average"]

    assert value("BucketSizeBytes", "StandardStorage") == 1000 + 25_199 + 10
    assert value("NumberOfObjects", "AllStorageTypes") == 4
    west = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-west-2")
    listed = west.list_metrics(Namespace="AWS/S3", Dimensions=[{"Name": "BucketName", "Value": "storage-metrics"}])
    assert listed["Metrics"] == []  # the bucket's metrics are in its own region only
