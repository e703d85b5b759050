"""GetMetricData, GetMetricStatistics and ListMetrics over the indexed store
(`metric_store`), with CloudWatch's semantics: a metric is identified by its
namespace, name and *exact* dimension set; periods are aligned to multiples
of the period since the epoch; percentiles (`p99`) are computed; metric math
expressions are evaluated (`metric_math`); results come newest first unless
ScanBy says TimestampAscending.

Moto's own metric providers (the daily S3 storage metrics) are merged in as
a second, freshly built store on every query that can read their namespace.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Iterable

from moto.cloudwatch.exceptions import InvalidParameterValue, ValidationError

from streamkit_emulator.cloudwatch.math import Evaluator, Labeled, MathError
from streamkit_emulator.cloudwatch.store import Key, MetricStore, epoch, key_of, statistic, valid_statistic


def main_store(backend: Any) -> MetricStore:
    """The backend's store (dropped with the backend on a moto reset)."""
    found = backend.__dict__.get("streamkit_store")
    if found is None:
        found = backend.__dict__.setdefault("streamkit_store", MetricStore())
    return found


PROVIDED = {"AWS/S3"}  # the namespaces moto's metric providers publish


def stores(backend: Any, namespaces: Iterable[str | None] = (None,)) -> list[MetricStore]:
    """The backend's own store, plus a snapshot of moto's metric providers
    when one of `namespaces` (None: any) is theirs."""
    main = main_store(backend)
    if not any(ns is None or ns in PROVIDED for ns in namespaces):
        return [main]
    snapshot = MetricStore()
    for datum in backend.aws_metric_data:
        snapshot.put(
            datum.namespace,
            {
                "MetricName": datum.name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in datum.dimensions],
                "Value": getattr(datum, "value", 0.0),
                "Unit": datum.unit,
                "Timestamp": datum.timestamp,
            },
            epoch(datum.timestamp),
        )
    return [main, snapshot]


def series_points(
    all_stores: list[MetricStore], key: Key, stat: str, period: int, start: float, end: float,
    unit: str | None = None,
) -> dict[int, float]:
    """One statistic per period of one metric over [start, end)."""
    points: dict[int, float] = {}
    aligned = start // period * period
    for store in all_stores:
        with store.lock:
            series = store.get(key)
            if series is None or unit and series.unit and series.unit != unit:
                continue
            for slot, bucket in series.aggregate(aligned, end, period):
                value = statistic(bucket, stat)
                if value is not None:
                    points[slot] = value
    return dict(sorted(points.items()))


def _stat_key(metric_stat: dict[str, Any]) -> tuple[Key, str, int]:
    metric = metric_stat["Metric"]
    stat = metric_stat.get("Stat") or ""
    if not valid_statistic(stat):
        raise InvalidParameterValue(f"The value {stat} for parameter MetricDataQueries.member.Stat is invalid.")
    period = int(metric_stat.get("Period") or 0)
    if period <= 0 or (period >= 60 and period % 60) or (period < 60 and period not in (1, 5, 10, 30)):
        raise InvalidParameterValue(f"The value {period} for parameter Period is invalid.")
    key = key_of(metric.get("Namespace") or "", metric["MetricName"], metric.get("Dimensions") or [])
    return key, stat, period


def get_metric_data(
    backend: Any, queries: list[dict[str, Any]], start_time: Any, end_time: Any, scan_by: str
) -> list[dict[str, Any]]:
    start, end = epoch(start_time), epoch(end_time)
    if start >= end:
        raise ValidationError("The parameter StartTime must be less than the parameter EndTime.")
    all_stores = stores(backend, [q["MetricStat"]["Metric"].get("Namespace") or "" for q in queries if "MetricStat" in q])
    by_id = {q["Id"]: q for q in queries}
    if len(by_id) != len(queries):
        raise ValidationError("The values for parameter Id in MetricDataQueries are not unique.")
    metric_ids = [q["Id"] for q in queries if "MetricStat" in q]
    periods = [int(q["MetricStat"]["Period"]) for q in queries if "MetricStat" in q]
    grid_period = min(periods) if periods else int(queries[0].get("Period") or 60)
    grid = list(range(int(start // grid_period * grid_period), int(end), grid_period))
    done: dict[str, Any] = {}
    active: set[str] = set()

    def lookup(query_id: str) -> Any:
        if query_id in done:
            return done[query_id]
        query = by_id.get(query_id)
        if query is None:
            raise MathError(f"Unknown metric id '{query_id}'")
        if query_id in active:
            raise MathError(f"Circular reference to '{query_id}'")
        active.add(query_id)
        if "MetricStat" in query:
            key, stat, period = _stat_key(query["MetricStat"])
            points = series_points(all_stores, key, stat, period, start, end, query["MetricStat"].get("Unit"))
            value: Any = Labeled(query.get("Label") or key[1], points)
        else:
            value = Evaluator(lookup, metric_ids, grid).evaluate(query["Expression"])
            if isinstance(value, Labeled):
                value = Labeled(query.get("Label") or query_id, value.points)
        active.discard(query_id)
        done[query_id] = value
        return value

    results = []
    for query in queries:
        if str(query.get("ReturnData", True)).lower() == "false":
            continue
        try:
            value = lookup(query["Id"])
        except MathError as err:
            raise ValidationError(str(err))
        for label, points in _as_series(value, query, grid):
            items = sorted(points.items(), reverse=scan_by != "TimestampAscending")
            results.append(
                {
                    "Id": query["Id"],
                    "Label": label,
                    "Timestamps": [datetime.fromtimestamp(t, timezone.utc) for t, _ in items],
                    "Values": [v for _, v in items],
                    "StatusCode": "Complete",
                }
            )
    return results


def _as_series(value: Any, query: dict[str, Any], grid: list[int]) -> Iterable[tuple[str, dict[int, float]]]:
    if isinstance(value, Labeled):
        yield value.label, value.points
    elif isinstance(value, list):
        for item in value:
            yield from _as_series(item, query, grid)
    elif isinstance(value, float) and math.isfinite(value):
        yield query.get("Label") or query["Id"], {t: value for t in grid}


def get_metric_statistics(
    backend: Any, namespace: str, name: str, start_time: Any, end_time: Any, period: int,
    stats: list[str], extended: list[str], dimensions: list[dict[str, str]], unit: str | None,
) -> list[dict[str, Any]]:
    start, end = epoch(start_time), epoch(end_time)
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    key = key_of(namespace, name, dimensions)
    merged: dict[int, dict[str, Any]] = {}
    for store in stores(backend, [namespace]):
        with store.lock:
            series = store.get(key)
            if series is None:
                continue
            for slot, bucket in series.aggregate(start // period * period, end, period):
                point = merged.setdefault(
                    slot, {"Timestamp": datetime.fromtimestamp(slot, timezone.utc), "Unit": series.unit or "None"}
                )
                for stat in stats:
                    point[stat] = statistic(bucket, stat)
                if extended:
                    point["ExtendedStatistics"] = {p: statistic(bucket, p) for p in extended}
    return [merged[t] for t in sorted(merged)]


def list_metrics(
    backend: Any, namespace: str | None, name: str | None, dimensions: list[dict[str, Any]],
    recently_active: str | None = None,
) -> list[dict[str, Any]]:
    now = datetime.now(timezone.utc).timestamp()
    horizon = now - (3 * 3600 if recently_active == "PT3H" else 14 * 86400)
    found: dict[Key, None] = {}
    for store in stores(backend, [namespace]):
        for key in store.matching(namespace, name, dimensions):
            series = store.get(key)
            if series is not None and series.last_put >= horizon:
                found[key] = None
    return [
        {
            "Namespace": ns,
            "MetricName": metric,
            "Dimensions": [{"Name": n, "Value": v} for n, v in sorted(dims)],
        }
        for ns, metric, dims in found
    ]
