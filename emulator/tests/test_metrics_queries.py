"""GetMetricData, GetMetricStatistics and ListMetrics over data put with
PutMetricData: statistics and percentiles checked against a computation from
the values put, exact dimension sets, metric math."""
from __future__ import annotations

import math
import statistics
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError


def cw(endpoint: str, region: str = "us-east-1"):
    return boto3.client("cloudwatch", endpoint_url=endpoint, region_name=region)


def minute(offset: int) -> datetime:
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    return now + timedelta(minutes=offset)


def put(client, ns: str, name: str, dims: dict[str, str], values: list[float], at: datetime) -> None:
    client.put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Values": values,
                "Timestamp": at,
            }
        ],
    )


def query(client, queries: list[dict], start: datetime, end: datetime, **kw) -> dict[str, dict]:
    out = client.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, **kw)
    return {r["Id"]: r for r in out["MetricDataResults"]}


def stat(ns: str, name: str, dims: dict[str, str], s: str, qid: str, period: int = 60, **extra) -> dict:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": ns, "MetricName": name,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
            "Period": period,
            "Stat": s,
        },
        **extra,
    }


def test_statistics_and_percentiles_per_period_match_the_values_put(endpoint: str) -> None:
    client, ns = cw(endpoint), f"Test/{uuid.uuid4().hex[:8]}"
    dims = {"FunctionName": "f1"}
    first = [float(v) for v in range(1, 201)]
    second = [5.0, 7.0, 9.0]
    put(client, ns, "Duration", dims, first, minute(-3) + timedelta(seconds=10))
    put(client, ns, "Duration", dims, second, minute(-2) + timedelta(seconds=50))
    wanted = {"Sum": sum, "Average": statistics.mean, "Minimum": min, "Maximum": max,
              "SampleCount": len, "p99": lambda v: sorted(v)[math.ceil(0.99 * len(v)) - 1]}
    queries = [stat(ns, "Duration", dims, s, f"q{i}") for i, s in enumerate(wanted)]
    got = query(client, queries, minute(-10), minute(1), ScanBy="TimestampAscending")
    for i, (s, fn) in enumerate(wanted.items()):
        r = got[f"q{i}"]
        assert r["Timestamps"] == [minute(-3), minute(-2)], s
        assert r["Values"] == [pytest.approx(fn(first)), pytest.approx(fn(second))], s
    # Five-minute periods merge both minutes; the default order is newest first.
    five = query(client, [stat(ns, "Duration", dims, "Sum", "s", period=300)], minute(-30), minute(1))
    assert sum(five["s"]["Values"]) == pytest.approx(sum(first) + sum(second))
    desc = query(client, [stat(ns, "Duration", dims, "Maximum", "m")], minute(-10), minute(1))
    assert desc["m"]["Timestamps"] == [minute(-2), minute(-3)]


def test_a_metric_is_its_exact_dimension_set(endpoint: str) -> None:
    client, ns = cw(endpoint), f"Test/{uuid.uuid4().hex[:8]}"
    put(client, ns, "Requests", {"ApiName": "a", "Stage": "prod"}, [3.0], minute(-1))
    put(client, ns, "Requests", {"ApiName": "a"}, [100.0], minute(-1))
    got = query(
        client,
        [stat(ns, "Requests", {"ApiName": "a", "Stage": "prod"}, "Sum", "both"),
         stat(ns, "Requests", {"ApiName": "a"}, "Sum", "one"),
         stat(ns, "Requests", {"Stage": "prod", "ApiName": "a"}, "Sum", "reordered"),
         stat(ns, "Requests", {"ApiName": "b", "Stage": "prod"}, "Sum", "other")],
        minute(-5), minute(1),
    )
    assert got["both"]["Values"] == [3.0]
    assert got["one"]["Values"] == [100.0]
    assert got["reordered"]["Values"] == [3.0]
    assert got["other"]["Values"] == []
    listed = client.list_metrics(Namespace=ns, MetricName="Requests")["Metrics"]
    assert sorted(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]) for m in listed) == [
        [("ApiName", "a")], [("ApiName", "a"), ("Stage", "prod")]
    ]
    # A dimension filter matches the metrics that have it (with any value when none is given).
    filtered = client.list_metrics(Namespace=ns, Dimensions=[{"Name": "Stage"}])["Metrics"]
    assert [len(m["Dimensions"]) for m in filtered] == [2]
    assert client.list_metrics(Namespace=ns, Dimensions=[{"Name": "Stage", "Value": "dev"}])["Metrics"] == []


def test_metric_math_as_the_dashboards_use_it(endpoint: str) -> None:
    client, ns = cw(endpoint), f"Test/{uuid.uuid4().hex[:8]}"
    dims = {"FunctionName": "f"}
    for offset, (inv, err) in {-3: (10.0, 1.0), -2: (4.0, 0.0), -1: (0.0, 0.0)}.items():
        put(client, ns, "Invocations", dims, [inv], minute(offset))
        put(client, ns, "Errors", dims, [err], minute(offset))
    queries = [
        stat(ns, "Errors", dims, "Sum", "errors", ReturnData=False),
        stat(ns, "Invocations", dims, "Sum", "invocations", ReturnData=False),
        {"Id": "rate", "Expression": "100 - 100 * errors / MAX([errors, invocations])", "Label": "Success"},
        {"Id": "pct", "Expression": 'METRICS("errors") * 100'},
        {"Id": "gc", "Expression": "(invocations * 100)/60000"},
    ]
    got = query(client, queries, minute(-10), minute(1), ScanBy="TimestampAscending")
    assert set(got) == {"rate", "pct", "gc"}, "ReturnData false hides the inputs"
    # 0/0 in the last minute is dropped, as CloudWatch drops non-numbers.
    assert got["rate"]["Values"] == [pytest.approx(90.0), pytest.approx(100.0)]
    assert got["rate"]["Label"] == "Success"
    assert got["pct"]["Values"] == [100.0, 0.0, 0.0]
    assert got["gc"]["Values"] == [pytest.approx(v * 100 / 60000) for v in (10.0, 4.0, 0.0)]
    with pytest.raises(ClientError) as err:
        query(client, [{"Id": "bad", "Expression": "NOPE(2)"}], minute(-10), minute(1))
    assert "NOPE" in str(err.value)


def test_get_metric_statistics_with_extended_statistics(endpoint: str) -> None:
    client, ns = cw(endpoint), f"Test/{uuid.uuid4().hex[:8]}"
    values = [float(v) for v in range(100)]
    put(client, ns, "Latency", {"Stage": "prod"}, values, minute(-2))
    out = client.get_metric_statistics(
        Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Stage", "Value": "prod"}],
        StartTime=minute(-10), EndTime=minute(1), Period=60, Statistics=["Average", "SampleCount"],
        ExtendedStatistics=["p50"],
    )
    [point] = out["Datapoints"]
    assert point["Average"] == pytest.approx(49.5)
    assert point["SampleCount"] == 100
    assert point["ExtendedStatistics"]["p50"] == 49.0


def test_a_large_put_metric_data_arrives_gzipped_and_lands(endpoint: str) -> None:
    client, ns = cw(endpoint), f"Test/{uuid.uuid4().hex[:8]}"
    data = [{"MetricName": "Big", "Dimensions": [{"Name": "K", "Value": "v"}],
             "Values": [float(i) for i in range(150)], "Timestamp": minute(-1)} for _ in range(20)]
    client.put_metric_data(Namespace=ns, MetricData=data)  # > 10 KB: botocore compresses it
    got = query(client, [stat(ns, "Big", {"K": "v"}, "SampleCount", "n")], minute(-5), minute(1))
    assert got["n"]["Values"] == [3000.0]
