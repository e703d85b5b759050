"""The package installs its models and the strictness switch."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError


def cfn(endpoint: str):
    return boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1")


def test_strict_mode_refuses_an_unknown_type(endpoint: str) -> None:
    template = {"Resources": {"X": {"Type": "AWS::Nope::Thing", "Properties": {}}}}
    with pytest.raises(ClientError) as err:
        cfn(endpoint).create_stack(StackName="unknown", TemplateBody=json.dumps(template))
    assert "Unrecognized resource types: [AWS::Nope::Thing]" in str(err.value)


def test_a_streamkit_model_creates_its_resource(endpoint: str) -> None:
    template = {
        "Resources": {
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
            "Consumer": {
                "Type": "AWS::Kinesis::StreamConsumer",
                "Properties": {"ConsumerName": "c1", "StreamARN": {"Fn::GetAtt": ["Stream", "Arn"]}},
            },
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Consumer", "ConsumerARN"]}}},
    }
    client = cfn(endpoint)
    client.create_stack(StackName="consumer", TemplateBody=json.dumps(template))
    stack = client.describe_stacks(StackName="consumer")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    arn = stack["Outputs"][0]["OutputValue"]
    assert "/consumer/c1" in arn


def test_execute_api_urls_map_to_the_local_form() -> None:
    from streamkit_emulator.core import endpoints

    endpoints.set_base("http://127.0.0.1:4599")
    aws = "https://abc123.execute-api.us-west-2.amazonaws.com/prod/predictFare?ride_request_id=1"
    assert (
        endpoints.rewrite_execute_api_urls(aws)
        == "http://127.0.0.1:4599/_aws/execute-api/abc123/prod/predictFare?ride_request_id=1"
    )
    assert endpoints.rewrite_execute_api_urls("s3://bucket/key") == "s3://bucket/key"


def test_a_template_url_on_the_emulator_is_path_style(endpoint: str) -> None:
    """Templates over 51,200 bytes go to CloudFormation through S3: with an
    endpoint override, TemplateURL is `http://127.0.0.1:PORT/bucket/key`."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="templates")
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}}
    s3.put_object(Bucket="templates", Key="big/t.json", Body=json.dumps(template).encode())
    client = cfn(endpoint)
    client.create_stack(StackName="from-url", TemplateURL=f"{endpoint}/templates/big/t.json")
    stack = client.describe_stacks(StackName="from-url")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
