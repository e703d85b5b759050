"""What happens when an alarm changes state: the alarm history item
(DescribeAlarmHistory) and the alarm actions (the notification CloudWatch
publishes to each SNS topic among the actions of the new state).

History items and notifications have AWS's shapes: a `StateUpdate` item with
`HistoryData` `{"version": "1.0", "oldState": {...}, "newState": {...}}`, an
`Action` item per executed action, and the notification JSON CloudWatch sends
(`AlarmName`, `NewStateValue`, `NewStateReason`, `StateChangeTime`, `Region`,
`OldStateValue`, `Trigger`, ...), with the subject
`ALARM: "name" in US East (N. Virginia)`.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import Any

from moto.sns.models import sns_backends

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)",
    "sa-east-1": "South America (Sao Paulo)",
}
_lock = threading.Lock()


def aws_time(at: datetime) -> str:
    """`2024-10-28T13:06:32.123+0000`, the form of alarm JSON documents."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def history(backend: Any) -> list[dict[str, Any]]:
    """The backend's alarm history (kept after an alarm is deleted, as on AWS)."""
    return backend.__dict__.setdefault("streamkit_history", [])


def record(backend: Any, alarm: Any, kind: str, summary: str, data: dict[str, Any], at: datetime) -> None:
    with _lock:
        history(backend).append(
            {
                "AlarmName": alarm.name,
                "AlarmType": "MetricAlarm",
                "Timestamp": at,
                "HistoryItemType": kind,
                "HistorySummary": summary,
                "HistoryData": json.dumps(data),
            }
        )


def change_state(backend: Any, alarm: Any, state: str, reason: str, reason_data: dict[str, Any] | None) -> None:
    """Moves `alarm` to `state`, records the history item and runs the actions."""
    now = datetime.now(timezone.utc)
    old = {"stateValue": alarm.state_value, "stateReason": alarm.state_reason}
    new: dict[str, Any] = {"stateValue": state, "stateReason": reason}
    if reason_data:
        new["stateReasonData"] = reason_data
    old_state = alarm.state_value
    alarm.state_value = state
    alarm.state_reason = reason
    alarm.state_reason_data = json.dumps(reason_data) if reason_data else None
    alarm.state_updated_timestamp = now
    alarm.state_transitioned_timestamp = now
    record(
        backend, alarm, "StateUpdate", f"Alarm updated from {old_state} to {state}",
        {"version": "1.0", "oldState": old, "newState": new}, now,
    )
    if not alarm.actions_enabled:
        return
    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }[state]
    for action in actions or []:
        _run(backend, alarm, action, old_state, now)


def _run(backend: Any, alarm: Any, action: str, old_state: str, now: datetime) -> None:
    parts = action.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        record(
            backend, alarm, "Action", f"Failed to execute action {action}",
            {"actionState": "Failed", "stateUpdateTimestamp": aws_time(now),
             "error": "the emulator runs SNS alarm actions only"}, now,
        )
        return
    account, region = parts[4], parts[3]
    message = notification(backend, alarm, old_state, now)
    subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(backend.region_name, backend.region_name)}'
    try:
        sns_backends[account][region].publish(json.dumps(message), arn=action, subject=subject[:100])
    except Exception as err:  # a deleted topic: AWS records the failure the same way
        record(
            backend, alarm, "Action", f"Failed to execute action {action}",
            {"actionState": "Failed", "stateUpdateTimestamp": aws_time(now), "error": str(err)}, now,
        )
        return
    record(
        backend, alarm, "Action", f"Successfully executed action {action}",
        {"actionState": "Succeeded", "stateUpdateTimestamp": aws_time(now),
         "notificationResource": action, "publishedMessage": message}, now,
    )


def notification(backend: Any, alarm: Any, old_state: str, now: datetime) -> dict[str, Any]:
    """The JSON document CloudWatch publishes to SNS for a state change."""
    trigger: dict[str, Any] = {
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing_data or "missing",
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }
    if alarm.metric_data_queries:
        trigger["Metrics"] = [_query_json(q) for q in alarm.metric_data_queries]
    else:
        trigger.update(
            {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
                "Unit": alarm.unit,
                "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            }
        )
        if alarm.extended_statistic:
            trigger["ExtendedStatistic"] = alarm.extended_statistic
        else:
            trigger["Statistic"] = (alarm.statistic or "").upper()
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": aws_time(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": aws_time(now),
        "Region": REGION_NAMES.get(backend.region_name, backend.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": trigger,
    }


def _query_json(q: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": q.id, "ReturnData": str(q.return_data).lower() != "false"}
    if q.label:
        out["Label"] = q.label
    if q.expression:
        out["Expression"] = q.expression
    if q.metric_stat:
        m = q.metric_stat.metric
        out["MetricStat"] = {
            "Metric": {
                "Dimensions": [{"value": d.value, "name": d.name} for d in m.dimensions],
                "MetricName": m.metric_name,
                "Namespace": m.namespace,
            },
            "Period": int(q.metric_stat.period),
            "Stat": q.metric_stat.stat,
        }
    return out
