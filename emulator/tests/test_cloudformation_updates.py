"""Stack updates as CloudFormation performs them ("Update behaviors of stack
resources", CloudFormation User Guide): in place unless a create-only
property (the registry schema's `createOnlyProperties`) changes; replacement
gives a new physical ID, dependants follow it, the old resource goes after."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import uuid
import os

import boto3
import pytest

from conftest import wait_for
from test_firehose_live import firehose_role


def template(stream_name: bool, role: str) -> str:
    """A stream, a bucket and a delivery stream reading one into the other
    with `role` (a real role: Firehose assumes it under IAM)."""
    stream_props = {"ShardCount": {"Ref": "ShardCount"}}
    if stream_name:
        stream_props["Name"] = {"Ref": "StreamName"}
    return json.dumps({
        "Parameters": {"ShardCount": {"Type": "Number", "Default": 1},
                       "StreamName": {"Type": "String", "Default": "unused"}},
        "Resources": {
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": stream_props},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Delivery": {"Type": "AWS::KinesisFirehose::DeliveryStream", "Properties": {
                "DeliveryStreamType": "KinesisStreamAsSource",
                "KinesisStreamSourceConfiguration": {"KinesisStreamARN": {"Fn::GetAtt": ["Stream", "Arn"]},
                                                     "RoleARN": role},
                "ExtendedS3DestinationConfiguration": {
                    "BucketARN": {"Fn::GetAtt": ["Bucket", "Arn"]}, "RoleARN": role, "Prefix": "data/",
                    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}, "CompressionFormat": "GZIP"}}},
        },
        "Outputs": {"Stream": {"Value": {"Ref": "Stream"}}},
    })


def physical_ids(cfn, stack: str) -> dict[str, str]:
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]}


def delivered(s3, bucket: str) -> list[bytes]:
    lines: list[bytes] = []
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        lines += gzip.decompress(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()).splitlines()
    return lines


def test_shard_count_updates_the_stream_in_place_and_leaves_firehose_alone(aws, endpoint):
    """ShardCount is not create-only for AWS::Kinesis::Stream: the stream is
    resharded in place (UpdateShardCount); the delivery stream, whose resolved
    properties do not change, is not touched and delivers every record put
    before and after the update."""
    cfn, kinesis, s3 = aws("cloudformation"), aws("kinesis"), aws("s3")
    stack = f"upd-{uuid.uuid4().hex[:8]}"
    role = firehose_role(endpoint, stack)
    cfn.create_stack(StackName=stack, TemplateBody=template(False, role),
                     Parameters=[{"ParameterKey": "ShardCount", "ParameterValue": "1"}])
    before = physical_ids(cfn, stack)
    stream, bucket = before["Stream"], before["Bucket"]
    sent = []
    for i in range(20):
        sent.append(f"before-{i}".encode())
        kinesis.put_record(StreamName=stream, PartitionKey=f"k{i}", Data=sent[-1] + b"\n")  # one line each
    cfn.update_stack(StackName=stack, TemplateBody=template(False, role),
                     Parameters=[{"ParameterKey": "ShardCount", "ParameterValue": "2"}])
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert physical_ids(cfn, stack) == before
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    for i in range(20):
        sent.append(f"after-{i}".encode())
        kinesis.put_record(StreamName=stream, PartitionKey=f"k{i}", Data=sent[-1] + b"\n")  # one line each
    got = wait_for(lambda: (lines := delivered(s3, bucket)) and len(lines) >= 40 and lines, timeout=60,
                   what="40 records in S3")
    assert sorted(got) == sorted(sent)
    assert aws("firehose").list_delivery_streams()["DeliveryStreamNames"].count(before["Delivery"]) == 1
    cfn.delete_stack(StackName=stack)


def test_a_create_only_change_replaces_the_resource_and_its_dependants_follow(aws, endpoint):
    """Name is create-only for AWS::Kinesis::Stream: a new stream (new physical
    ID) is created, the delivery stream that reads it is updated to the new ARN
    (KinesisStreamSourceConfiguration is create-only for Firehose, so it is
    replaced too, under a new generated name), and the old stream and
    delivery stream are deleted after."""
    cfn, kinesis, firehose = aws("cloudformation"), aws("kinesis"), aws("firehose")
    stack = f"rep-{uuid.uuid4().hex[:8]}"
    role = firehose_role(endpoint, stack)
    first, second = f"{stack}-a", f"{stack}-b"
    cfn.create_stack(StackName=stack, TemplateBody=template(True, role),
                     Parameters=[{"ParameterKey": "StreamName", "ParameterValue": first}])
    before = physical_ids(cfn, stack)
    assert before["Stream"] == first
    cfn.update_stack(StackName=stack, TemplateBody=template(True, role),
                     Parameters=[{"ParameterKey": "StreamName", "ParameterValue": second}])
    after = physical_ids(cfn, stack)
    assert after["Stream"] == second and after["Bucket"] == before["Bucket"]
    assert after["Delivery"] != before["Delivery"]
    source = firehose.describe_delivery_stream(DeliveryStreamName=after["Delivery"])["DeliveryStreamDescription"][
        "Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"]
    assert source.endswith(f"stream/{second}")
    kinesis.describe_stream_summary(StreamName=second)
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream_summary(StreamName=first)
    assert before["Delivery"] not in firehose.list_delivery_streams()["DeliveryStreamNames"]
    cfn.delete_stack(StackName=stack)


def test_the_create_only_list_is_the_registry_schemas():
    """create_only.json equals the createOnlyProperties of the schemas cfn-lint
    ships (the deploy guard's source, tests/templates.rs)."""
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "create_only.py")
    assert subprocess.run([sys.executable, script, "--check"]).returncode == 0


def test_an_update_does_not_create_a_resource_whose_condition_is_false(aws):
    """"Conditions" (CloudFormation User Guide): a resource whose condition is
    false is not created, on create or on update (a parameter change elsewhere
    must not bring it in)."""
    cfn = aws("cloudformation")
    body = json.dumps({
        "Parameters": {"Email": {"Type": "String", "Default": ""}, "Retention": {"Type": "Number", "Default": 1}},
        "Conditions": {"HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]}},
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Sub": {"Type": "AWS::SNS::Subscription", "Condition": "HasEmail",
                    "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": {"Ref": "Email"}}},
            "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Retention"}}},
        },
    })
    stack = f"cond-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=body)
    assert "Sub" not in physical_ids(cfn, stack)
    cfn.update_stack(StackName=stack, TemplateBody=body, Parameters=[
        {"ParameterKey": "Retention", "ParameterValue": "3"}, {"ParameterKey": "Email", "ParameterValue": ""}])
    assert "Sub" not in physical_ids(cfn, stack)
    cfn.delete_stack(StackName=stack)
