"""Metrics the emulated services publish, with AWS's names, dimensions and units.

Every live part of the emulator (Lambda, event source mappings, Kinesis,
Firehose, API Gateway, SQS, ...) reports what really happened through `put`, so
the stacks' dashboards and alarms see data as they would on AWS. Values go into
the CloudWatch backend's metric store (`store.py`: GetMetricData,
GetMetricStatistics, ListMetrics and alarms read them).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Iterable, Mapping

from moto.cloudwatch.models import cloudwatch_backends

from streamkit_emulator.cloudwatch import alarms
from streamkit_emulator.cloudwatch import queries as metric_queries
from streamkit_emulator.cloudwatch.store import epoch as store_epoch
from streamkit_emulator.cloudwatch.store import key_of_mapping


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
    dimensions, value, unit each), as a service reporting one request's
    metrics together.

    Straight into the account's metric store, as PutMetricData stores a
    datum without statistics (`MetricStore.put`): the emulator's own
    datapoints are well-formed by construction (names, units, finite
    values, at most a few dimensions), so the request validation of the
    PutMetricData API (`_validate_parameters_put_metric_data`) and the
    request-shaped dicts it needs are skipped (they were a third of the
    metrics' cost on each DynamoDB request)."""
    at = store_epoch(timestamp) if timestamp is not None else time.time()
    backend = cloudwatch_backends[account_id][region]
    store = metric_queries.main_store(backend)
    keys = {store.put_value(key_of_mapping(namespace, name, dimensions), at, float(value), unit)
            for name, dimensions, value, unit in points}
    if keys:
        alarms.touched(account_id, region, keys)
