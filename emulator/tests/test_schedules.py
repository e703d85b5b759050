"""EventBridge scheduled rules invoke their Lambda targets with the
"Scheduled Event"; schedule expressions fire when EventBridge's would."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from conftest import HOST_ARCH, log_messages, package, wait_for


def test_a_rate_rule_invokes_its_lambda_target_with_the_scheduled_event(aws, role):
    """Deployed as a stack would be: function, rule and permission from CloudFormation."""
    bucket = f"code-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="echo.zip", Body=package("echo"))
    template = {"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "provided.al2023", "Handler": "bootstrap", "Role": role, "Architectures": [HOST_ARCH],
            "Code": {"S3Bucket": bucket, "S3Key": "echo.zip"}}},
        "Tick": {"Type": "AWS::Events::Rule", "Properties": {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": [{"Id": "fn", "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}]}},
        "TickPermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["Tick", "Arn"]}}},
    }, "Outputs": {"Fn": {"Value": {"Ref": "Fn"}}, "Rule": {"Value": {"Fn::GetAtt": ["Tick", "Arn"]}}}}
    cfn = aws("cloudformation")
    name = f"schedule-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    fn, rule = outputs["Fn"], outputs["Rule"]
    line = wait_for(lambda: [m for m in log_messages(aws("logs"), f"/aws/lambda/{fn}") if m.startswith("event ")],
                    timeout=90, interval=1.0, what="the first scheduled invocation")[0]
    event = json.loads(line[len("event "):])
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == [rule] and event["detail"] == {} and event["version"] == "0"
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_schedule_expressions_fire_at_the_documented_times():
    from streamkit_emulator.events.expr import ExpressionError, next_fire, validate

    at = datetime(2026, 11, 23, 10, 0, 30, tzinfo=timezone.utc)  # a Monday
    created = datetime(2026, 11, 23, 9, 58, 0, tzinfo=timezone.utc)
    assert next_fire("rate(1 minute)", at, created) == datetime(2026, 11, 23, 10, 1, tzinfo=timezone.utc)
    assert next_fire("rate(2 hours)", at, created) == datetime(2026, 11, 23, 11, 58, tzinfo=timezone.utc)
    assert next_fire("cron(0/15 * * * ? *)", at, at) == datetime(2026, 11, 23, 10, 15, tzinfo=timezone.utc)
    assert next_fire("cron(0 12 ? * MON-FRI *)", at, at) == datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert next_fire("cron(0 8 L * ? *)", at, at) == datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    assert next_fire("cron(30 9 ? * 2#1 *)", at, at) == datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
    for bad in ("rate(1 minutes)", "rate(5 minute)", "cron(0 12 * * * *)", "every minute"):
        with pytest.raises(ExpressionError):
            validate(bad)


def test_a_rule_without_permission_to_invoke_its_target_fails_the_delivery():
    from types import SimpleNamespace

    from streamkit_emulator.events.schedules import may_invoke

    rule = "arn:aws:events:us-east-1:123456789012:rule/tick"
    allowed = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "lambda:InvokeFunction",
               "Condition": {"ArnLike": {"AWS:SourceArn": rule}}}
    assert may_invoke(SimpleNamespace(policy=SimpleNamespace(statements=[allowed])), rule)
    assert not may_invoke(SimpleNamespace(policy=SimpleNamespace(statements=[allowed])), rule + "-other")
    assert not may_invoke(SimpleNamespace(policy=SimpleNamespace(statements=[])), rule)
