"""EventBridge scheduled rules fire: `AWS::Events::Rule` / PutRule with a
`ScheduleExpression` (moto stores the rule and its targets and runs nothing).

One thread wakes once a second, finds the enabled scheduled rules of every
account and region, and when one is due delivers to its targets:

* a Lambda function is invoked asynchronously (`Event`), if its resource
  policy lets `events.amazonaws.com` invoke it (an `AWS:SourceArn` condition
  must match the rule), else the delivery fails (FailedInvocations) as on AWS;
* an SQS queue or a CloudWatch Logs group gets the event (moto's delivery).

The event is the target's `Input`, or the part `InputPath` selects, or
`InputTransformer`'s rendering, or else the "Scheduled Event":
`{"version": "0", "id", "detail-type": "Scheduled Event", "source":
"aws.events", "account", "time", "region", "resources": [rule ARN],
"detail": {}}`. AWS/Events TriggeredRules, Invocations and FailedInvocations
(dimension RuleName) are published.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from moto.events.models import events_backends

from streamkit_emulator.iam import enforce
from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.awslambda import runtime as lambda_runtime
from streamkit_emulator.cloudwatch import metrics
from streamkit_emulator.events.expr import ExpressionError, next_fire

log = logging.getLogger("streamkit.emulator")
_due: dict[int, tuple[Any, datetime]] = {}  # id(rule) -> (rule, next time)
_thread: threading.Thread | None = None


def scheduled_event(rule: Any, at: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }


def _input_for(target: dict[str, Any], event: dict[str, Any]) -> dict[str, Any] | Any:
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        value: Any = event
        for part in target["InputPath"].lstrip("$").strip(".").split("."):
            if part:
                value = value.get(part) if isinstance(value, dict) else None
        return value
    if "InputTransformer" in target:
        from moto.events.utils import EventTemplateParser

        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return event


def may_invoke(fn: Any, rule_arn: str) -> bool:
    """Whether the function's resource policy lets EventBridge invoke it for `rule_arn`."""
    for statement in getattr(fn.policy, "statements", []):
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        action = statement.get("Action", "")
        if statement.get("Effect", "Allow") != "Allow" or service not in ("events.amazonaws.com", "*"):
            continue
        if action not in ("lambda:InvokeFunction", "lambda:*", "*"):
            continue
        source = (statement.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
        if source is None or fnmatch.fnmatchcase(rule_arn, source):
            return True
    return False


def _deliver(rule: Any, target: dict[str, Any], event: dict[str, Any]) -> bool:
    arn = target["Arn"]
    payload = _input_for(target, event)
    parts = arn.split(":")
    if parts[2] == "lambda":
        from moto.awslambda.models import lambda_backends

        try:
            fn = lambda_backends[parts[4]][parts[3]].get_function(arn)
        except Exception:  # noqa: BLE001 - the function is gone
            return False
        if enforce.enabled():
            if iam_hooks.function_invocation_denied(parts[4], parts[3], fn.function_name, "events.amazonaws.com",
                                                    rule.arn):
                return False
        elif not may_invoke(fn, rule.arn):
            log.warning("rule %s: %s has no permission for events.amazonaws.com to invoke it", rule.name, fn.function_name)
            return False
        result = lambda_runtime.invoke(parts[4], parts[3], arn, json.dumps(payload).encode(), "Event")
        return result.status_code == 202
    if parts[2] == "sqs":
        rule._send_to_sqs_queue(parts[5], payload, (target.get("SqsParameters") or {}).get("MessageGroupId"))
        return True
    if parts[2] == "logs":
        rule._send_to_cw_log_group(arn.split(":log-group:")[-1].removesuffix(":*"), payload)
        return True
    log.warning("rule %s: targets of type %s are not delivered by the emulator", rule.name, parts[2])
    return False


def _fire(rule: Any, at: datetime) -> None:
    event = scheduled_event(rule, at)
    dims = {"RuleName": rule.name}
    metrics.put(rule.account_id, rule.region_name, "AWS/Events", "TriggeredRules", dims, 1)
    for target in list(rule.targets):
        try:
            ok = _deliver(rule, target, event)
        except Exception:  # noqa: BLE001 - one target must not stop the others
            log.exception("rule %s: delivery to %s failed", rule.name, target.get("Arn"))
            ok = False
        metrics.put(rule.account_id, rule.region_name, "AWS/Events", "Invocations" if ok else "FailedInvocations", dims, 1)


def scheduled_rules() -> list[Any]:
    rules = []
    for account in list(dict.values(events_backends)):
        for backend in list(dict.values(account)):
            for bus in list(backend.event_buses.values()):
                rules.extend(r for r in list(bus.rules.values()) if r.scheduled_expression)
    return rules


def tick(now: datetime) -> None:
    """Fires every enabled scheduled rule that is due at `now`."""
    seen = set()
    for rule in scheduled_rules():
        seen.add(id(rule))
        if id(rule) not in _due or _due[id(rule)][0] is not rule:
            try:
                _due[id(rule)] = (rule, next_fire(rule.scheduled_expression, now, now))
            except ExpressionError as error:
                log.warning("rule %s: %s", rule.name, error)
                _due[id(rule)] = (rule, datetime.max.replace(tzinfo=timezone.utc))
            continue
        _, due = _due[id(rule)]
        if now >= due:
            if str(rule.state).startswith("ENABLED"):
                _fire(rule, due)
            _due[id(rule)] = (rule, next_fire(rule.scheduled_expression, now, due))
    for key in set(_due) - seen:
        del _due[key]


def _loop() -> None:
    stop = threading.Event()
    while not stop.wait(1.0):
        try:
            tick(datetime.now(timezone.utc))
        except Exception:  # noqa: BLE001 - the scheduler keeps going
            log.exception("scheduler tick failed")


def install() -> None:
    """Starts the scheduler thread (once)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_loop, name="streamkit-schedules", daemon=True)
        _thread.start()
