"""Termination protection ("Protect CloudFormation stacks from being deleted",
CloudFormation User Guide): DeleteStack of a protected stack fails with
ValidationError and the stack stays as it was; UpdateTerminationProtection
turns it on and off. And ListStackResources of a stack whose create failed
answers (AWS CloudFormation API Reference, ListStackResources), with nothing
live after the rollback."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError


def cfn(endpoint: str):
    return boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


QUEUE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}


def status(client, stack: str) -> str:
    return client.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]


def test_a_protected_stack_is_not_deleted_until_protection_is_off(endpoint: str) -> None:
    client = cfn(endpoint)
    stack = f"protected-{uuid.uuid4().hex[:8]}"
    client.create_stack(StackName=stack, TemplateBody=json.dumps(QUEUE))
    answer = client.update_termination_protection(StackName=stack, EnableTerminationProtection=True)
    assert answer["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    assert client.describe_stacks(StackName=stack)["Stacks"][0]["EnableTerminationProtection"] is True
    with pytest.raises(ClientError) as refused:
        client.delete_stack(StackName=stack)
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == f"Stack [{stack}] cannot be deleted while TerminationProtection is enabled"
    assert status(client, stack) == "CREATE_COMPLETE"
    client.update_termination_protection(StackName=stack, EnableTerminationProtection=False)
    client.delete_stack(StackName=stack)
    with pytest.raises(ClientError, match="does not exist"):
        client.describe_stacks(StackName=stack)


def test_list_stack_resources_answers_after_a_failed_create(endpoint: str) -> None:
    client = cfn(endpoint)
    stack = f"failed-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Consumer": {"Type": "AWS::Kinesis::StreamConsumer", "DependsOn": "Queue", "Properties": {
            "ConsumerName": "c", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/nope"}}}}
    client.create_stack(StackName=stack, TemplateBody=json.dumps(body))
    assert status(client, stack) == "ROLLBACK_COMPLETE"
    assert client.list_stack_resources(StackName=stack)["StackResourceSummaries"] == []
    client.delete_stack(StackName=stack)
