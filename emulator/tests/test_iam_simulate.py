"""iam:SimulatePrincipalPolicy / SimulateCustomPolicy through boto3 against the
emulator (IAM API Reference: SimulatePrincipalPolicy, SimulateCustomPolicy):
the decisions of the enforcing evaluator, in AWS's response shape."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

ACCT = "123456789012"


@pytest.fixture
def iam(endpoint):
    return boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")


def _user(iam, name, *docs):
    iam.create_user(UserName=name)
    for i, doc in enumerate(docs):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(doc))
    return f"arn:aws:iam::{ACCT}:user/{name}"


def test_principal_simulation_allowed_explicit_and_implicit(iam):
    arn = _user(iam, "sim-user", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kinesis:DeleteStream", "Resource": f"arn:aws:kinesis:us-east-1:{ACCT}:stream/keep"},
    ]})
    out = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["kinesis:CreateStream", "kinesis:DeleteStream", "s3:PutObject"],
        ResourceArns=[f"arn:aws:kinesis:us-east-1:{ACCT}:stream/keep"],
    )
    got = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert got["kinesis:CreateStream"]["EvalDecision"] == "allowed"
    assert got["kinesis:CreateStream"]["MatchedStatements"][0]["SourcePolicyId"] == "p0"
    assert got["kinesis:DeleteStream"]["EvalDecision"] == "explicitDeny"
    assert got["s3:PutObject"]["EvalDecision"] == "implicitDeny"
    assert got["kinesis:DeleteStream"]["EvalResourceName"].endswith("stream/keep")
    assert got["kinesis:DeleteStream"]["MatchedStatements"][0]["SourcePolicyId"] == "p0"
    assert out["IsTruncated"] is False


def test_role_simulation_honours_the_permissions_boundary(iam):
    iam.create_policy(PolicyName="only-s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        PermissionsBoundary=f"arn:aws:iam::{ACCT}:policy/only-s3")
    iam.put_role_policy(RoleName="bounded", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    out = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCT}:role/bounded",
                                        ActionNames=["s3:GetObject", "sqs:SendMessage"])
    got = {r["EvalActionName"]: r["EvalDecision"] for r in out["EvaluationResults"]}
    assert got == {"s3:GetObject": "allowed", "sqs:SendMessage": "implicitDeny"}


def test_conditions_take_the_context_entries(iam):
    out = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]})],
        ActionNames=["s3:GetObject"],
        ContextEntries=[{"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["false"],
                         "ContextKeyType": "boolean"}],
    )
    assert out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    out = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]})],
        ActionNames=["s3:GetObject"],
        ContextEntries=[{"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["true"],
                         "ContextKeyType": "boolean"}],
    )
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_unknown_principals_and_unevaluable_policies_are_errors(iam):
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCT}:role/nobody", ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(
            PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:NoSuchKey": "x"}}}]})],
            ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert "aws:NoSuchKey".lower() in e.value.response["Error"]["Message"].lower()


def test_get_role_policy_answers_json_for_a_cloudformation_role(endpoint, iam):
    """GetRolePolicy (IAM API Reference): the document is JSON text, also for a
    role CloudFormation created with inline `Policies`."""
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1")
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}}]}}}}
    cfn.create_stack(StackName="role-json", TemplateBody=json.dumps(template))
    name = cfn.describe_stack_resource(StackName="role-json", LogicalResourceId="R")[
        "StackResourceDetail"]["PhysicalResourceId"]
    doc = iam.get_role_policy(RoleName=name, PolicyName="inline")["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Action"] == "sqs:SendMessage"
