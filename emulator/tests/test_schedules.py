"""EventBridge scheduled rules invoke their Lambda targets with the
"Scheduled Event"; schedule expressions fire when EventBridge's would."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from conftest import log_messages, wait_for


def test_a_rate_rule_invokes_its_lambda_target_with_the_scheduled_event(aws, make_function):
    fn = make_function("echo")
    arn = aws("lambda").get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    events = aws("events")
    rule = events.put_rule(Name=f"tick-{fn}", ScheduleExpression="rate(1 minute)")["RuleArn"]
    aws("lambda").add_permission(FunctionName=fn, StatementId="events", Action="lambda:InvokeFunction",
                                 Principal="events.amazonaws.com", SourceArn=rule)
    events.put_targets(Rule=f"tick-{fn}", Targets=[{"Id": "fn", "Arn": arn}])
    line = wait_for(lambda: [m for m in log_messages(aws("logs"), f"/aws/lambda/{fn}") if m.startswith("event ")],
                    timeout=90, interval=1.0, what="the first scheduled invocation")[0]
    event = json.loads(line[len("event "):])
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == [rule] and event["detail"] == {} and event["version"] == "0"
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_schedule_expressions_fire_at_the_documented_times():
    from streamkit_emulator.schedule_expr import ExpressionError, next_fire, validate

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

    from streamkit_emulator.schedules import may_invoke

    rule = "arn:aws:events:us-east-1:123456789012:rule/tick"
    allowed = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "lambda:InvokeFunction",
               "Condition": {"ArnLike": {"AWS:SourceArn": rule}}}
    assert may_invoke(SimpleNamespace(policy=SimpleNamespace(statements=[allowed])), rule)
    assert not may_invoke(SimpleNamespace(policy=SimpleNamespace(statements=[allowed])), rule + "-other")
    assert not may_invoke(SimpleNamespace(policy=SimpleNamespace(statements=[])), rule)
