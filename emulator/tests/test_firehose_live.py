"""Firehose on the running emulator: a delivery stream created through the API
(and one through CloudFormation) reads its Kinesis stream by itself and writes
objects, publishing AWS/Firehose metrics; strict mode refuses what it cannot do."""
from __future__ import annotations

import gzip
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def wait_for(check, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def firehose_role(endpoint: str, name: str, write: bool = True) -> str:
    """A delivery role as "Grant Firehose access to an Amazon S3 destination"
    shows it: trusted by firehose.amazonaws.com with `sts:ExternalId` = the
    account, reading the stream, writing the bucket (unless `write` is False)."""
    iam = client(endpoint, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "123456789012"}}}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    read = {"Effect": "Allow", "Action": ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords",
                                          "kinesis:ListShards"], "Resource": "*"}
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [read]}))
    if write:
        allow_writes(endpoint, name)
    return arn


def allow_writes(endpoint: str, name: str) -> None:
    put = {"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::*/*"}
    client(endpoint, "iam").put_role_policy(RoleName=name, PolicyName="write",
                                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [put]}))


def test_a_kinesis_sourced_delivery_stream_delivers_on_its_own(endpoint: str) -> None:
    firehose_role(endpoint, "fh")
    kinesis, s3, firehose = (client(endpoint, s) for s in ("kinesis", "s3", "firehose"))
    kinesis.create_stream(StreamName="fh-live", ShardCount=2)
    arn = kinesis.describe_stream_summary(StreamName="fh-live")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.put_record(StreamName="fh-live", Data=b"before-creation", PartitionKey="a")
    s3.create_bucket(Bucket="fh-live-out")
    firehose.create_delivery_stream(
        DeliveryStreamName="fh-live",
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": "arn:aws:iam::123456789012:role/fh"},
        ExtendedS3DestinationConfiguration={
            "BucketARN": "arn:aws:s3:::fh-live-out", "RoleARN": "arn:aws:iam::123456789012:role/fh",
            "Prefix": "data/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}, "CompressionFormat": "GZIP",
        },
    )
    source = firehose.describe_delivery_stream(DeliveryStreamName="fh-live")["DeliveryStreamDescription"]["Source"]
    assert "DeliveryStartTimestamp" in source["KinesisStreamSourceDescription"]
    sent = [json.dumps({"n": i}).encode() + b"\n" for i in range(20)]
    kinesis.put_records(StreamName="fh-live", Records=[{"Data": d, "PartitionKey": str(i)} for i, d in enumerate(sent)])

    def delivered():
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="fh-live-out").get("Contents", [])]
        lines = []
        for key in keys:
            lines += gzip.decompress(s3.get_object(Bucket="fh-live-out", Key=key)["Body"].read()).splitlines(True)
        return lines if len(lines) >= len(sent) else None

    lines = wait_for(delivered, "20 records delivered")
    # Every record put after creation, none before (delivery starts at creation, as on AWS).
    assert sorted(lines) == sorted(sent)

    cw = client(endpoint, "cloudwatch")

    def stat(name: str) -> float:
        points = cw.get_metric_statistics(
            Namespace="AWS/Firehose", MetricName=name, Statistics=["Sum"], Period=60,
            Dimensions=[{"Name": "DeliveryStreamName", "Value": "fh-live"}],
            StartTime=time.time() - 600, EndTime=time.time() + 60,
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert wait_for(lambda: stat("DeliveryToS3.Records") >= 20, "DeliveryToS3.Records")
    assert stat("IncomingRecords") == 20 and stat("DeliveryToS3.Bytes") == sum(map(len, sent))
    assert stat("DeliveryToS3.Success") >= 1
    # Firehose reads its source with GetRecords ("Reading data from Kinesis Data
    # Streams", Firehose Developer Guide), so the stream has GetRecords.* metrics
    # (Kinesis Developer Guide, "Monitoring ... with Amazon CloudWatch").
    def kinesis_sum(name: str) -> float:
        points = cw.get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName=name, Statistics=["Sum"], Period=60,
            Dimensions=[{"Name": "StreamName", "Value": "fh-live"}],
            StartTime=time.time() - 600, EndTime=time.time() + 60,
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert kinesis_sum("GetRecords.Records") == 20
    assert kinesis_sum("GetRecords.Bytes") == sum(len(d) + len(str(i)) for i, d in enumerate(sent))
    assert kinesis_sum("GetRecords.Success") >= 2  # one call per shard per poll
    firehose.delete_delivery_stream(DeliveryStreamName="fh-live")


def test_a_role_without_s3_put_object_delivers_nothing_until_allowed(endpoint: str) -> None:
    """IAM enforced: Firehose writes with its role ("Grant Firehose access to an
    Amazon S3 destination"); a denied write is logged as S3.AccessDenied and
    retried, and every record arrives once the role may write."""
    import urllib.request

    role = firehose_role(endpoint, "fh-nowrite", write=False)
    kinesis, s3, firehose = (client(endpoint, s) for s in ("kinesis", "s3", "firehose"))
    kinesis.create_stream(StreamName="fh-deny", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="fh-deny")["StreamDescriptionSummary"]["StreamARN"]
    s3.create_bucket(Bucket="fh-deny-out")
    firehose.create_delivery_stream(
        DeliveryStreamName="fh-deny", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": role},
        ExtendedS3DestinationConfiguration={"BucketARN": "arn:aws:s3:::fh-deny-out", "RoleARN": role, "Prefix": "d/",
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    sent = [f"r{i}\n".encode() for i in range(5)]
    kinesis.put_records(StreamName="fh-deny", Records=[{"Data": d, "PartitionKey": "k"} for d in sent])

    def denials():
        with urllib.request.urlopen(endpoint + "/_streamkit/iam/denials") as r:
            found = [d for d in json.load(r)["denials"] if d["via"] == "firehose fh-deny"]
        return found

    denial = wait_for(denials, "the denied write")[0]
    assert denial["action"] == "s3:PutObject"
    assert denial["principal"] == "arn:aws:sts::123456789012:assumed-role/fh-nowrite/AWSFirehoseToS3"
    assert denial["resource"].startswith("arn:aws:s3:::fh-deny-out/d/")
    assert "no identity-based policy allows the s3:PutObject action" in denial["message"]
    assert s3.list_objects_v2(Bucket="fh-deny-out").get("KeyCount", 0) == 0
    allow_writes(endpoint, "fh-nowrite")

    def delivered():
        body = b"".join(s3.get_object(Bucket="fh-deny-out", Key=o["Key"])["Body"].read()
                        for o in s3.list_objects_v2(Bucket="fh-deny-out").get("Contents", []))
        return body if body.count(b"\n") >= len(sent) else None

    assert sorted(wait_for(delivered, "the records after the role may write").splitlines(True)) == sorted(sent)
    firehose.delete_delivery_stream(DeliveryStreamName="fh-deny")


def test_strict_mode_refuses_a_processor_the_emulator_cannot_run(endpoint: str) -> None:
    template = {
        "Resources": {
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Delivery": {"Type": "AWS::KinesisFirehose::DeliveryStream", "Properties": {
                "DeliveryStreamType": "KinesisStreamAsSource",
                "KinesisStreamSourceConfiguration": {"KinesisStreamARN": {"Fn::GetAtt": ["Stream", "Arn"]},
                                                     "RoleARN": "arn:aws:iam::123456789012:role/fh"},
                "ExtendedS3DestinationConfiguration": {
                    "BucketARN": {"Fn::GetAtt": ["Bucket", "Arn"]}, "RoleARN": "arn:aws:iam::123456789012:role/fh",
                    "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": []}]},
                },
            }},
        }
    }
    cfn = client(endpoint, "cloudformation")
    cfn.create_stack(StackName="fh-strict", TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName="fh-strict")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "processor type 'Lambda' is not implemented" in stack["StackStatusReason"]


def test_the_api_refuses_what_the_emulator_cannot_honour(endpoint: str) -> None:
    firehose = client(endpoint, "firehose")
    with pytest.raises(ClientError) as err:
        firehose.create_delivery_stream(
            DeliveryStreamName="fh-bad", DeliveryStreamType="KinesisStreamAsSource",
            KinesisStreamSourceConfiguration={"KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/x",
                                              "RoleARN": "arn:aws:iam::123456789012:role/fh"},
            ExtendedS3DestinationConfiguration={"BucketARN": "arn:aws:s3:::b", "RoleARN": "arn:aws:iam::123456789012:role/fh",
                                                "S3BackupMode": "Enabled"},
        )
    assert "S3BackupMode" in str(err.value)
