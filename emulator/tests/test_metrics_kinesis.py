"""AWS/Kinesis metrics from real puts and reads, and the per-shard write limits."""
from __future__ import annotations

import base64
import time
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRY = Config(retries={"total_max_attempts": 1})


def kinesis(endpoint: str):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", config=NO_RETRY)


def stream(client) -> str:
    name = f"s-{uuid.uuid4().hex[:8]}"
    client.create_stream(StreamName=name, ShardCount=1)
    return name


def sums(endpoint: str, name: str, metrics: list[str], stat: str = "Sum", dims: dict | None = None) -> dict[str, float | None]:
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    now = datetime.now(timezone.utc)
    dimensions = [{"Name": k, "Value": v} for k, v in (dims or {"StreamName": name}).items()]
    out = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": f"q{i}", "MetricStat": {"Metric": {"Namespace": "AWS/Kinesis", "MetricName": m,
                                                       "Dimensions": dimensions},
                                            "Period": 3600, "Stat": stat}}
            for i, m in enumerate(metrics)
        ],
        StartTime=now - timedelta(hours=2), EndTime=now + timedelta(minutes=1),
    )["MetricDataResults"]
    by_id = {r["Id"]: r["Values"] for r in out}
    return {m: (sum(by_id[f"q{i}"]) if by_id[f"q{i}"] else None) for i, m in enumerate(metrics)}


def test_puts_and_reads_publish_the_stream_metrics(endpoint: str) -> None:
    client = kinesis(endpoint)
    name = stream(client)
    singles = [b"a" * 10, b"b" * 20, b"c" * 30]
    for data in singles:
        client.put_record(StreamName=name, Data=data, PartitionKey="pk")
    batch = [{"Data": b"x" * n, "PartitionKey": "k1"} for n in (1, 2, 3, 4)]
    assert client.put_records(StreamName=name, Records=batch)["FailedRecordCount"] == 0
    incoming = sum(len(d) + 2 for d in singles) + sum(n + 2 for n in (1, 2, 3, 4))
    shard = client.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    iterator = client.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = client.get_records(ShardIterator=iterator)
    assert len(got["Records"]) == 7
    client.get_records(ShardIterator=got["NextShardIterator"])  # caught up: 0 records

    s = sums(endpoint, name, ["IncomingRecords", "IncomingBytes", "PutRecords.TotalRecords",
                              "PutRecords.SuccessfulRecords", "GetRecords.Records", "GetRecords.Bytes",
                              "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded"])
    assert s == {"IncomingRecords": 7, "IncomingBytes": incoming, "PutRecords.TotalRecords": 4,
                 "PutRecords.SuccessfulRecords": 4, "GetRecords.Records": 7, "GetRecords.Bytes": incoming,
                 "WriteProvisionedThroughputExceeded": 0, "ReadProvisionedThroughputExceeded": 0}
    counts = sums(endpoint, name, ["PutRecord.Success", "PutRecords.Success", "GetRecords.Success",
                                   "PutRecords.Latency", "GetRecords.IteratorAgeMilliseconds"], "SampleCount")
    assert counts == {"PutRecord.Success": 3, "PutRecords.Success": 1, "GetRecords.Success": 2,
                      "PutRecords.Latency": 1, "GetRecords.IteratorAgeMilliseconds": 2}
    assert sums(endpoint, name, ["PutRecord.Success", "GetRecords.Success"], "Average") == {
        "PutRecord.Success": 1.0, "GetRecords.Success": 1.0}
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    listed = cw.list_metrics(Namespace="AWS/Kinesis", Dimensions=[{"Name": "StreamName", "Value": name}])
    assert {m["MetricName"] for m in listed["Metrics"]} >= {"IncomingRecords", "GetRecords.IteratorAgeMilliseconds",
                                                             "PutRecord.Latency", "PutRecords.ThrottledRecords"}
    assert all(m["Dimensions"] == [{"Name": "StreamName", "Value": name}] for m in listed["Metrics"])


def test_write_limits_throttle_records_and_bytes_per_shard(endpoint: str) -> None:
    client = kinesis(endpoint)
    name = stream(client)
    started = time.monotonic()
    failed, sent, codes = 0, 0, set()
    while failed == 0 and sent < 10_000:  # 500 a call, back to back: soon over 1,000/s
        out = client.put_records(StreamName=name, Records=[{"Data": b"r", "PartitionKey": "p"}] * 500)
        sent += 500
        failed += out["FailedRecordCount"]
        codes |= {r["ErrorCode"] for r in out["Records"] if "ErrorCode" in r}
    elapsed = time.monotonic() - started
    accepted = sent - failed
    # At most one second's worth up front plus what refilled meanwhile.
    assert failed > 0 and accepted <= 1000 + 1000 * elapsed + 1, (accepted, elapsed)
    assert codes == {"ProvisionedThroughputExceededException"}
    s = sums(endpoint, name, ["IncomingRecords", "WriteProvisionedThroughputExceeded", "PutRecords.ThrottledRecords"])
    assert s == {"IncomingRecords": accepted, "WriteProvisionedThroughputExceeded": failed,
                 "PutRecords.ThrottledRecords": failed}

    big = stream(client)
    blob = b"z" * (400 * 1024)
    ok = 0
    while True:  # 400 KiB records back to back: over 1 MiB/s within a few
        try:
            client.put_record(StreamName=big, Data=blob, PartitionKey="p")
            ok += 1
            assert ok < 50, "never throttled"
        except ClientError as err:
            assert err.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            assert "Rate exceeded for shard shardId-000000000000 in stream " + big in str(err)
            break
    assert ok >= 2, "two 400 KiB records fit in the first second"
    avg = sums(endpoint, big, ["PutRecord.Success", "WriteProvisionedThroughputExceeded"], "Average")
    assert avg["PutRecord.Success"] == pytest.approx(ok / (ok + 1))
    assert avg["WriteProvisionedThroughputExceeded"] == pytest.approx(1 / (ok + 1))


def test_enhanced_fan_out_reads_publish_subscribe_metrics_not_get_records() -> None:
    """In-process against the backend, as the emulator's EFO mappings read."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.kinesis.models import kinesis_backends

    import streamkit_emulator
    from streamkit_emulator.kinesis import metrics as kinesis_metrics
    from streamkit_emulator.cloudwatch import queries as metric_queries

    streamkit_emulator.install()
    account, region, name = "123456789012", "eu-west-1", f"efo-{uuid.uuid4().hex[:6]}"
    backend = kinesis_backends[account][region]
    backend.create_stream(name, shard_count=1, stream_mode={"StreamMode": "PROVISIONED"})
    backend.put_record(None, name, "pk", None, base64.b64encode(b"hello").decode())
    shard = "shardId-000000000000"
    iterator = backend.get_shard_iterator(None, name, shard, "TRIM_HORIZON", None, None)
    with kinesis_metrics.subscription("replicator"):
        _, records, _ = backend.get_records(None, iterator, None)
    assert len(records) == 1
    cw = cloudwatch_backends[account][region]
    found = {(m["MetricName"], len(m["Dimensions"]))
             for m in metric_queries.list_metrics(cw, "AWS/Kinesis", None, [{"Name": "StreamName", "Value": name}])}
    assert ("SubscribeToShardEvent.Records", 2) in found and ("SubscribeToShardEvent.MillisBehindLatest", 2) in found
    assert not any(metric.startswith("GetRecords.") for metric, _ in found)
