"""CloudWatch: `AWS::CloudWatch::Alarm` (incl. metric math), and moto's
CloudWatch backend rewired onto the indexed metric store:

* PutMetricData (and `metrics.put`) store into `metric_store` and wake the
  alarm evaluator (`alarms`);
* GetMetricData, GetMetricStatistics (incl. ExtendedStatistics) and
  ListMetrics (exact dimension sets, RecentlyActive, 500 per page) answer
  from it (`metric_queries`);
* alarms start in INSUFFICIENT_DATA, keep their state and history when
  updated, and SetAlarmState runs the actions and is re-evaluated a second
  later; DescribeAlarmHistory (which moto lacks) answers from
  `alarm_actions`.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterValue, ResourceNotFound, ValidationError
from moto.cloudwatch.models import (
    CloudWatchBackend,
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult

from streamkit_emulator.cloudwatch import alarm_actions
from streamkit_emulator.cloudwatch import alarms
from streamkit_emulator.cloudwatch import queries as metric_queries
from streamkit_emulator.core.common import MODULE, StreamkitModel, as_bool, as_float, as_int
from streamkit_emulator.cloudwatch.store import epoch


def _metric_data_queries(metrics: list[dict[str, Any]]) -> list[MetricDataQuery]:
    queries = []
    for metric in metrics:
        stat = None
        metric_stat = metric.get("MetricStat")
        if metric_stat:
            m = metric_stat["Metric"]
            stat = MetricStat(
                metric=Metric(
                    metric_name=m["MetricName"],
                    namespace=m.get("Namespace"),
                    dimensions=[
                        Dimension(name=d["Name"], value=d["Value"])
                        for d in m.get("Dimensions", [])
                    ],
                ),
                period=as_int(metric_stat.get("Period")),
                stat=metric_stat.get("Stat"),
                unit=metric_stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=metric["Id"],
                label=metric.get("Label"),
                period=as_int(metric.get("Period")),
                return_data=as_bool(metric.get("ReturnData")),
                expression=metric.get("Expression"),
                metric_stat=stat,
            )
        )
    return queries


class Alarm(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"
    ATTRIBUTES = {"Arn": "arn"}

    def __init__(self, alarm: Any):
        self.name = alarm.name
        self.arn = alarm.alarm_arn
        self.ref = alarm.name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("AlarmName", resource_name)
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=_metric_data_queries(p["Metrics"]) if p.get("Metrics") else None,
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=as_int(p["EvaluationPeriods"]),
            datapoints_to_alarm=as_int(p.get("DatapointsToAlarm")),
            period=as_int(p.get("Period")),
            threshold=as_float(p.get("Threshold")),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"),
            actions_enabled=as_bool(p.get("ActionsEnabled", True)),
            treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
            tags=None,
        )
        return cls(alarm)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])


# ------------------------------------------------------------ backend


def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    for i, datum in enumerate(metric_data):
        self._validate_parameters_put_metric_data(datum, i + 1)
    store = metric_queries.main_store(self)
    now = datetime.now(timezone.utc).timestamp()
    keys = {store.put(namespace, datum, now) for datum in metric_data}
    alarms.touched(self.account_id, self.region_name, keys)


def get_metric_data(self: CloudWatchBackend, queries: list[dict[str, Any]], start_time: Any,
                    end_time: Any, scan_by: str = "TimestampDescending") -> list[dict[str, Any]]:
    return metric_queries.get_metric_data(self, queries, start_time, end_time, scan_by)


_put_metric_alarm = CloudWatchBackend.put_metric_alarm


def put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Any:
    threshold = kwargs.get("threshold")
    if threshold is not None:
        kwargs["threshold"] = float(threshold)
    old = self.alarms.get(name)
    alarm = _put_metric_alarm(self, name, *args, **kwargs)
    now = datetime.now(timezone.utc)
    if old is None:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
        alarm.state_reason_data = None
        alarm.state_transitioned_timestamp = now
        summary = f'Alarm "{name}" created'
    else:
        for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp"):
            setattr(alarm, attr, getattr(old, attr))
        alarm.state_transitioned_timestamp = getattr(old, "state_transitioned_timestamp", now)
        summary = f'Alarm "{name}" updated'
    alarm_actions.record(self, alarm, "ConfigurationUpdate", summary, {"type": "Update", "version": "1.0"}, now)
    alarms.soon(self.account_id, self.region_name, name)
    return alarm


_delete_alarms = CloudWatchBackend.delete_alarms


def delete_alarms(self: CloudWatchBackend, alarm_names: list[str]) -> None:
    now = datetime.now(timezone.utc)
    for name in alarm_names:
        if name in self.alarms:
            alarm_actions.record(
                self, self.alarms[name], "ConfigurationUpdate", f'Alarm "{name}" deleted',
                {"type": "Delete", "version": "1.0"}, now,
            )
    _delete_alarms(self, alarm_names)


def set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str | None,
                    state_value: str) -> None:
    try:
        data = json.loads(reason_data) if reason_data else None
    except ValueError:
        raise InvalidParameterValue("StateReasonData is not valid JSON.")
    if alarm_name not in self.alarms:
        raise ResourceNotFound
    if state_value not in ("OK", "ALARM", "INSUFFICIENT_DATA"):
        raise ValidationError(
            f"1 validation error detected: Value '{state_value}' at 'stateValue' failed to satisfy "
            "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        )
    alarm = self.alarms[alarm_name]
    if alarm.state_value != state_value:
        alarm_actions.change_state(self, alarm, state_value, reason, data)
    alarms.soon(self.account_id, self.region_name, alarm_name)


# ------------------------------------------------------------ responses


def _list_metrics(self: CloudWatchResponse) -> ActionResult:
    params = self._get_params()
    found = metric_queries.list_metrics(
        self.cloudwatch_backend, params.get("Namespace"), params.get("MetricName"),
        params.get("Dimensions") or [], params.get("RecentlyActive"),
    )
    start = int(params.get("NextToken") or 0)
    page = found[start : start + 500]
    result: dict[str, Any] = {"Metrics": page}
    if start + 500 < len(found):
        result["NextToken"] = str(start + 500)
    return ActionResult(result)


def _get_metric_statistics(self: CloudWatchResponse) -> ActionResult:
    params = self._get_params()
    stats = params.get("Statistics") or []
    extended = params.get("ExtendedStatistics") or []
    if not stats and not extended:
        raise InvalidParameterValue("Must specify either Statistics or ExtendedStatistics")
    points = metric_queries.get_metric_statistics(
        self.cloudwatch_backend, params["Namespace"], params["MetricName"], params["StartTime"],
        params["EndTime"], int(params["Period"]), stats, extended, params.get("Dimensions") or [],
        params.get("Unit"),
    )
    return ActionResult({"Label": params["MetricName"], "Datapoints": points})


def _describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    params = self._get_params()
    items = list(alarm_actions.history(self.cloudwatch_backend))
    name, kind = params.get("AlarmName"), params.get("HistoryItemType")
    start = epoch(params["StartDate"]) if params.get("StartDate") else None
    end = epoch(params["EndDate"]) if params.get("EndDate") else None
    items = [
        i for i in items
        if (not name or i["AlarmName"] == name)
        and (not kind or i["HistoryItemType"] == kind)
        and (start is None or i["Timestamp"].timestamp() >= start)
        and (end is None or i["Timestamp"].timestamp() <= end)
    ]
    if params.get("ScanBy") != "TimestampAscending":
        items.reverse()
    offset = int(params.get("NextToken") or 0)
    limit = int(params.get("MaxRecords") or 100)
    result: dict[str, Any] = {"AlarmHistoryItems": items[offset : offset + limit]}
    if offset + limit < len(items):
        result["NextToken"] = str(offset + limit)
    return ActionResult(result)


_response_init = CloudWatchResponse.__init__


def _response_init_once_decompressed(self: CloudWatchResponse) -> None:
    # moto server already un-gzips request bodies (SDKs compress large
    # PutMetricData); decompressing again in BaseResponse fails.
    _response_init(self)
    self.allow_request_decompression = False


def install() -> None:
    """Rewires moto's CloudWatch backend (the models above register themselves on import)."""
    CloudWatchBackend.put_metric_data = put_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    CloudWatchBackend.delete_alarms = delete_alarms  # type: ignore[method-assign]
    CloudWatchBackend.set_alarm_state = set_alarm_state  # type: ignore[method-assign]
    CloudWatchResponse.__init__ = _response_init_once_decompressed  # type: ignore[method-assign]
    CloudWatchResponse.list_metrics = _list_metrics  # type: ignore[method-assign]
    CloudWatchResponse.get_metric_statistics = _get_metric_statistics  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarm_history = _describe_alarm_history  # type: ignore[attr-defined]
    alarms.install()
