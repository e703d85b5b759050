"""Metrics the emulated services publish, with AWS's names, dimensions and units.

Every live part of the emulator (Lambda, event source mappings, Kinesis,
Firehose, API Gateway, SQS, ...) reports what really happened through `put`, so
the stacks' dashboards and alarms see data as they would on AWS. Values go into
moto's own CloudWatch backend (GetMetricData, ListMetrics and alarms read them).
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Iterable, Mapping

from moto.cloudwatch.models import cloudwatch_backends

_lock = threading.Lock()


def _naive_utc(at: datetime) -> datetime:
    """moto compares datapoints with the naive UTC times it parses from
    GetMetricStatistics / GetMetricData requests: store naive UTC too (a
    naive `at` is taken as UTC already)."""
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def put(
    account_id: str,
    region: str,
    namespace: str,
    name: str,
    dimensions: Mapping[str, str],
    value: float,
    unit: str = "Count",
    timestamp: datetime | None = None,
) -> None:
    """Records one datapoint (e.g. `put(acct, "us-east-1", "AWS/Lambda",
    "Invocations", {"FunctionName": fn}, 1)`)."""
    put_many(account_id, region, namespace, [(name, dimensions, value, unit)], timestamp)


def put_many(
    account_id: str,
    region: str,
    namespace: str,
    points: Iterable[tuple[str, Mapping[str, str], float, str]],
    timestamp: datetime | None = None,
) -> None:
    """Records several datapoints of one namespace at one time (name,
    dimensions, value, unit each): one PutMetricData of several data, as a
    service reporting one request's metrics together."""
    at = _naive_utc(timestamp or datetime.now(timezone.utc))
    data = [{"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
             "Value": float(value), "Unit": unit, "Timestamp": at} for name, dimensions, value, unit in points]
    if not data:
        return
    with _lock:
        cloudwatch_backends[account_id][region].put_metric_data(namespace, data)
