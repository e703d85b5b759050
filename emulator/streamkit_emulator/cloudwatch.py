"""CloudWatch: `AWS::CloudWatch::Alarm`, including metric-math alarms."""
from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel

from .common import MODULE, StreamkitModel, as_bool, as_float, as_int


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


def install() -> None:
    """The models above register themselves with moto when this module is imported."""
