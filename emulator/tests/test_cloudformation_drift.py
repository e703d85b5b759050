"""CloudFormation drift detection on the emulator (DetectStackDrift,
DescribeStackDriftDetectionStatus, DescribeStackResourceDrifts), following
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html:
a stack as deployed is IN_SYNC; a property changed through a service's API is
MODIFIED with the template's value as expected and the live one as actual;
a deleted resource is DELETED; a type drift detection does not check is
NOT_CHECKED."""
from __future__ import annotations

import json
import uuid

import boto3

TEMPLATE = {
    "Parameters": {"Retention": {"Type": "Number", "Default": 24}},
    "Resources": {
        "Stream": {"Type": "AWS::Kinesis::Stream",
                   "Properties": {"ShardCount": 1, "RetentionPeriodHours": {"Ref": "Retention"}}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
        "Bucket": {"Type": "AWS::S3::Bucket",
                   "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold"}},
        "Topic": {"Type": "AWS::SNS::Topic"},
    },
}


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


def drifts(cfn, stack: str) -> tuple[dict, dict]:
    detection = cfn.detect_stack_drift(StackName=stack)["StackDriftDetectionId"]
    status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    resources = cfn.describe_stack_resource_drifts(StackName=stack)["StackResourceDrifts"]
    return status, {r["LogicalResourceId"]: r for r in resources}


def physical(cfn, stack: str, logical: str) -> str:
    return cfn.describe_stack_resource(StackName=stack, LogicalResourceId=logical)[
        "StackResourceDetail"]["PhysicalResourceId"]


def test_a_deployed_stack_is_in_sync_and_an_api_change_is_a_modified_property(endpoint: str) -> None:
    cfn = client(endpoint, "cloudformation")
    stack = f"drift-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(TEMPLATE))
    status, by_id = drifts(cfn, stack)
    assert status["DetectionStatus"] == "DETECTION_COMPLETE"
    assert status["StackDriftStatus"] == "IN_SYNC", by_id
    assert status["DriftedStackResourceCount"] == 0
    assert {k: v["StackResourceDriftStatus"] for k, v in by_id.items()} == {
        "Stream": "IN_SYNC", "Queue": "IN_SYNC", "Bucket": "IN_SYNC", "Alarm": "IN_SYNC",
        "Topic": "NOT_CHECKED"}
    assert json.loads(by_id["Stream"]["ExpectedProperties"])["RetentionPeriodHours"] == 24

    client(endpoint, "kinesis").increase_stream_retention_period(
        StreamName=physical(cfn, stack, "Stream"), RetentionPeriodHours=48)
    client(endpoint, "s3").put_bucket_versioning(
        Bucket=physical(cfn, stack, "Bucket"), VersioningConfiguration={"Status": "Suspended"})
    status, by_id = drifts(cfn, stack)
    assert status["StackDriftStatus"] == "DRIFTED"
    assert status["DriftedStackResourceCount"] == 2
    stream = by_id["Stream"]
    assert stream["StackResourceDriftStatus"] == "MODIFIED"
    assert stream["PropertyDifferences"] == [{
        "PropertyPath": "/RetentionPeriodHours", "ExpectedValue": "24", "ActualValue": "48",
        "DifferenceType": "NOT_EQUAL"}]
    assert json.loads(stream["ActualProperties"])["RetentionPeriodHours"] == 48
    assert by_id["Bucket"]["PropertyDifferences"][0]["PropertyPath"] == "/VersioningConfiguration/Status"
    only = cfn.describe_stack_resource_drifts(
        StackName=stack, StackResourceDriftStatusFilters=["MODIFIED"])["StackResourceDrifts"]
    assert sorted(r["LogicalResourceId"] for r in only) == ["Bucket", "Stream"]


def test_a_deleted_resource_is_deleted(endpoint: str) -> None:
    cfn = client(endpoint, "cloudformation")
    stack = f"drift-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(TEMPLATE))
    client(endpoint, "sqs").delete_queue(QueueUrl=physical(cfn, stack, "Queue"))
    status, by_id = drifts(cfn, stack)
    assert status["StackDriftStatus"] == "DRIFTED"
    assert by_id["Queue"]["StackResourceDriftStatus"] == "DELETED"
