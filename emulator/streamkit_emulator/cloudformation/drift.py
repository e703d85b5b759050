"""CloudFormation drift detection: DetectStackDrift,
DescribeStackDriftDetectionStatus, DescribeStackResourceDrifts (moto has none).

Follows "Detect unmanaged configuration changes to stacks and resources with
drift detection" (AWS CloudFormation User Guide,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html)
and the API reference of the three actions: a resource's *expected*
properties are its template properties with parameters and intrinsics
resolved; its *actual* properties are read from the live resource; only
properties the template sets are compared; each difference is a
PropertyDifference (`PropertyPath` as a JSON pointer, `DifferenceType`
NOT_EQUAL, ADD or REMOVE). A resource that no longer exists is DELETED; a
resource type drift detection does not support is NOT_CHECKED (AWS lists the
supported types in "Resource type support"). Detection here runs at once, so
the detection status is DETECTION_COMPLETE when DetectStackDrift returns.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from moto.cloudformation import parsing

# Detection results by id, and the latest drifts per stack id.
_lock = threading.Lock()
_detections: dict[str, dict[str, Any]] = {}
_drifts: dict[str, list[dict[str, Any]]] = {}


# ------------------------------------------------------------ live properties
# Each reader returns the live values of the properties drift detection
# compares for its type (CloudFormation property names), or None when the
# resource is gone.

def _kinesis_stream(account: str, region: str, physical: str) -> dict[str, Any] | None:
    from moto.kinesis.models import kinesis_backends

    stream = kinesis_backends[account][region].streams.get(physical)
    if stream is None:
        return None
    mode = (stream.stream_mode or {}).get("StreamMode", "PROVISIONED")
    out: dict[str, Any] = {
        "RetentionPeriodHours": stream.retention_period_hours,
        "StreamModeDetails": {"StreamMode": mode},
    }
    if mode == "PROVISIONED":
        out["ShardCount"] = sum(1 for s in stream.shards.values() if s.is_open)
    return out


def _lambda_function(account: str, region: str, physical: str) -> dict[str, Any] | None:
    from moto.awslambda.models import lambda_backends

    try:
        fn = lambda_backends[account][region].get_function(physical)
    except Exception:  # moto raises UnknownFunctionException
        return None
    return {
        "Handler": fn.handler,
        "Runtime": fn.run_time,
        "MemorySize": fn.memory_size,
        "Timeout": fn.timeout,
        "Environment": {"Variables": dict(fn.environment_vars or {})},
        "Architectures": list(getattr(fn, "architectures", None) or ["x86_64"]),
    }


def _sqs_queue(account: str, region: str, physical: str) -> dict[str, Any] | None:
    from moto.sqs.models import sqs_backends

    name = physical.rstrip("/").rsplit("/", 1)[-1]
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        return None
    keys = ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "MaximumMessageSize",
            "ReceiveMessageWaitTimeSeconds", "KmsMasterKeyId", "SqsManagedSseEnabled")
    attributes = queue.attributes
    return {k: attributes[k] for k in keys if k in attributes}


def _s3_bucket(account: str, region: str, physical: str) -> dict[str, Any] | None:
    from moto.s3.models import s3_backends

    bucket = s3_backends[account]["aws"].buckets.get(physical)
    if bucket is None:
        return None
    out: dict[str, Any] = {}
    if bucket.versioning_status:
        out["VersioningConfiguration"] = {"Status": bucket.versioning_status}
    return out


def _alarm(account: str, region: str, physical: str) -> dict[str, Any] | None:
    from moto.cloudwatch.models import cloudwatch_backends

    alarm = cloudwatch_backends[account][region].alarms.get(physical)
    if alarm is None:
        return None
    out = {
        "ComparisonOperator": alarm.comparison_operator,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "Threshold": alarm.threshold,
        "Period": alarm.period,
        "Statistic": alarm.statistic,
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "TreatMissingData": alarm.treat_missing_data,
    }
    return {k: v for k, v in out.items() if v is not None}


READERS: dict[str, Callable[[str, str, str], dict[str, Any] | None]] = {
    "AWS::Kinesis::Stream": _kinesis_stream,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::CloudWatch::Alarm": _alarm,
}


# ------------------------------------------------------------ comparison

def _same(expected: Any, actual: Any) -> bool:
    """Scalars compare as CloudFormation passes them (`"24"` equals `24`)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(expected).lower() == str(actual).lower()
    try:
        return float(expected) == float(actual)
    except (TypeError, ValueError):
        return str(expected) == str(actual)


def differences(expected: Any, actual: Any, path: str = "") -> list[dict[str, str]]:
    """PropertyDifferences of the properties `expected` sets (objects compared
    key by key; a key the template sets that the live resource lacks is
    REMOVE, a key of a checked map the template does not set is ADD)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[dict[str, str]] = []
        for key, value in expected.items():
            sub = f"{path}/{key}"
            if key not in actual:
                out.append(_difference(sub, value, None, "REMOVE"))
            else:
                out.extend(differences(value, actual[key], sub))
        # Free-form maps (environment variables) are compared whole.
        if path.endswith("/Variables"):
            for key in actual.keys() - expected.keys():
                out.append(_difference(f"{path}/{key}", None, actual[key], "ADD"))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) == len(actual) and all(_same(a, b) if not isinstance(a, (dict, list))
                                                else not differences(a, b)
                                                for a, b in zip(expected, actual)):
            return []
        return [_difference(path, expected, actual, "NOT_EQUAL")]
    if _same(expected, actual):
        return []
    return [_difference(path, expected, actual, "NOT_EQUAL")]


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _difference(path: str, expected: Any, actual: Any, kind: str) -> dict[str, str]:
    return {"PropertyPath": path, "ExpectedValue": _text(expected),
            "ActualValue": _text(actual), "DifferenceType": kind}


def detect(stack: Any) -> list[dict[str, Any]]:
    """The StackResourceDrift of every resource of `stack`."""
    now = datetime.now(timezone.utc)
    resource_map = stack.resource_map
    template_resources = resource_map._resource_json_map or {}
    out = []
    for logical, resource in sorted(template_resources.items()):
        live = resource_map._parsed_resources.get(logical)
        if live is None or not isinstance(resource, dict):
            continue  # a false Condition: not in the stack
        kind = resource.get("Type", "")
        physical = getattr(live, "physical_resource_id", None) or str(live)
        drift: dict[str, Any] = {
            "StackId": stack.stack_id,
            "LogicalResourceId": logical,
            "PhysicalResourceId": physical,
            "ResourceType": kind,
            "Timestamp": now,
        }
        reader = READERS.get(kind)
        if reader is None:
            drift["StackResourceDriftStatus"] = "NOT_CHECKED"
            out.append(drift)
            continue
        expected_all = parsing.clean_json(resource.get("Properties") or {}, resource_map)
        actual = reader(stack.account_id, stack.region_name, physical)
        checked = {k: v for k, v in expected_all.items() if actual is None or k in actual}
        drift["ExpectedProperties"] = json.dumps(expected_all, sort_keys=True, default=str)
        if actual is None:
            drift["StackResourceDriftStatus"] = "DELETED"
        else:
            diffs = differences(checked, actual)
            actual_all = dict(expected_all)
            actual_all.update({k: actual[k] for k in checked})
            drift["ActualProperties"] = json.dumps(actual_all, sort_keys=True, default=str)
            drift["PropertyDifferences"] = diffs
            drift["StackResourceDriftStatus"] = "MODIFIED" if diffs else "IN_SYNC"
        out.append(drift)
    return out


# ------------------------------------------------------------ the actions

def install() -> None:
    """Adds the three drift actions to moto's CloudFormation responses."""
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def detect_stack_drift(self: Any) -> Any:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        drifts = detect(stack)
        drifted = sum(1 for d in drifts if d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED"))
        detection_id = str(uuid.uuid4())
        with _lock:
            _drifts[stack.stack_id] = drifts
            _detections[detection_id] = {
                "StackId": stack.stack_id,
                "StackDriftDetectionId": detection_id,
                "StackDriftStatus": "DRIFTED" if drifted else "IN_SYNC",
                "DetectionStatus": "DETECTION_COMPLETE",
                "DriftedStackResourceCount": drifted,
                "Timestamp": datetime.now(timezone.utc),
            }
        return ActionResult({"StackDriftDetectionId": detection_id})

    def describe_stack_drift_detection_status(self: Any) -> Any:
        from moto.cloudformation.exceptions import ValidationError

        detection_id = self._get_param("StackDriftDetectionId")
        with _lock:
            found = _detections.get(detection_id)
        if found is None:
            raise ValidationError(message=f"Drift detection id {detection_id} does not exist")
        return ActionResult(found)

    def describe_stack_resource_drifts(self: Any) -> Any:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        wanted = self._get_param("StackResourceDriftStatusFilters", [])
        with _lock:
            drifts = list(_drifts.get(stack.stack_id, []))
        if wanted:
            drifts = [d for d in drifts if d["StackResourceDriftStatus"] in wanted]
        return ActionResult({"StackResourceDrifts": drifts})

    CloudFormationResponse.detect_stack_drift = detect_stack_drift
    CloudFormationResponse.describe_stack_drift_detection_status = describe_stack_drift_detection_status
    CloudFormationResponse.describe_stack_resource_drifts = describe_stack_resource_drifts
