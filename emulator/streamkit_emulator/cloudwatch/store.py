"""CloudWatch's metric storage, indexed: one series per metric (namespace,
name, exact dimension set), datapoints aggregated into buckets of the storage
resolution (60 s standard, 1 s high resolution), as CloudWatch stores them.

moto keeps every datapoint in one flat list and scans it for each query and
period (so a dashboard over hours of traffic took minutes); here a put is O(1)
and a query reads only the buckets of its series and range. Each bucket keeps
sum, count, minimum and maximum, and up to `VALUES_KEPT` raw values for
percentiles (a uniform reservoir sample beyond that, so percentiles of very
busy minutes are estimates).
"""
from __future__ import annotations

import bisect
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

VALUES_KEPT = 2000
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

Key = tuple[str, str, frozenset]  # namespace, metric name, {(dim name, value)}


def epoch(value: Any) -> float:
    """Seconds since the epoch of a datetime (naive means UTC), number or ISO text."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def key_of(namespace: str, name: str, dimensions: Iterable[dict[str, str]]) -> Key:
    return (namespace, name, frozenset((d["Name"], d["Value"]) for d in dimensions))


def key_of_mapping(namespace: str, name: str, dimensions: Mapping[str, str]) -> Key:
    """`key_of` for dimensions as a name -> value mapping."""
    return (namespace, name, frozenset(dimensions.items()))


@dataclass
class Bucket:
    sum: float = 0.0
    count: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    values: list[float] = field(default_factory=list)
    seen: int = 0  # raw values offered to the reservoir

    def add(self, value: float, count: float = 1.0) -> None:
        self.sum += value * count
        self.count += count
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        for _ in range(int(count)):
            self._keep(value)

    def add_statistics(self, total: float, count: float, low: float, high: float) -> None:
        self.sum += total
        self.count += count
        self.minimum = min(self.minimum, low)
        self.maximum = max(self.maximum, high)
        if count > 0:
            self._keep(total / count)

    def _keep(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < VALUES_KEPT:
            self.values.append(value)
        else:
            slot = random.randrange(self.seen)
            if slot < VALUES_KEPT:
                self.values[slot] = value

    def merge(self, other: "Bucket") -> None:
        self.sum += other.sum
        self.count += other.count
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.values.extend(other.values)
        self.seen += other.seen


def statistic(bucket: Bucket, stat: str) -> float | None:
    """One CloudWatch statistic (incl. percentiles `p99`, `p99.9`) of a bucket."""
    if bucket.count <= 0:
        return None
    if stat == "SampleCount":
        return bucket.count
    if stat == "Sum":
        return bucket.sum
    if stat == "Average":
        return bucket.sum / bucket.count
    if stat == "Minimum":
        return bucket.minimum
    if stat == "Maximum":
        return bucket.maximum
    if stat.lower().startswith("p"):
        values = sorted(bucket.values)
        if not values:
            return None
        rank = math.ceil(float(stat[1:]) / 100.0 * len(values))
        return values[min(max(rank, 1), len(values)) - 1]
    raise ValueError(f"unsupported statistic {stat}")


def valid_statistic(stat: str) -> bool:
    if stat in STATISTICS:
        return True
    if stat[:1] in ("p", "P"):
        try:
            return 0.0 <= float(stat[1:]) <= 100.0
        except ValueError:
            return False
    return False


class Series:
    """The datapoints of one metric, bucketed by storage resolution."""

    def __init__(self, key: Key):
        self.key = key
        self.unit: str | None = None
        self.times: list[int] = []  # sorted bucket start times
        self.buckets: dict[int, Bucket] = {}
        self.last_put = 0.0

    def bucket(self, at: float, resolution: int) -> Bucket:
        start = int(at // resolution * resolution)
        found = self.buckets.get(start)
        if found is None:
            found = self.buckets[start] = Bucket()
            if not self.times or start > self.times[-1]:
                self.times.append(start)
            else:
                bisect.insort(self.times, start)
        return found

    def aggregate(self, start: float, end: float, period: int) -> list[tuple[int, Bucket]]:
        """Buckets in [start, end) merged per period (periods aligned to the epoch)."""
        lo = bisect.bisect_left(self.times, start)
        hi = bisect.bisect_left(self.times, end)
        out: list[tuple[int, Bucket]] = []
        for t in self.times[lo:hi]:
            slot = t // period * period
            if not out or out[-1][0] != slot:
                out.append((slot, Bucket()))
            out[-1][1].merge(self.buckets[t])
        return out


class MetricStore:
    """All series of one account and region (one per CloudWatch backend)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.series: dict[Key, Series] = {}
        # (namespace, name) -> keys, for ListMetrics and dimension-less lookups
        self.by_name: dict[tuple[str, str], set[Key]] = {}

    def _series(self, key: Key) -> Series:
        found = self.series.get(key)
        if found is None:
            found = self.series[key] = Series(key)
            self.by_name.setdefault(key[:2], set()).add(key)
        return found

    def put(self, namespace: str, datum: dict[str, Any], now: float) -> Key:
        """Stores one PutMetricData datum (Value, Values+Counts or StatisticValues)."""
        key = key_of(namespace, datum["MetricName"], datum.get("Dimensions") or [])
        at = epoch(datum["Timestamp"]) if datum.get("Timestamp") else now
        resolution = 1 if int(float(datum.get("StorageResolution") or 60)) == 1 else 60
        with self.lock:
            series = self._series(key)
            if datum.get("Unit"):
                series.unit = datum["Unit"]
            series.last_put = max(series.last_put, at)
            bucket = series.bucket(at, resolution)
            if datum.get("Values"):
                counts = datum.get("Counts") or [1] * len(datum["Values"])
                for value, count in zip(datum["Values"], counts):
                    bucket.add(float(value), float(count))
            elif datum.get("StatisticValues"):
                s = datum["StatisticValues"]
                bucket.add_statistics(
                    float(s["Sum"]), float(s["SampleCount"]), float(s["Minimum"]), float(s["Maximum"])
                )
            else:
                bucket.add(float(datum.get("Value", 0.0)))
        return key

    def put_value(self, key: Key, at: float, value: float, unit: str | None) -> Key:
        """Stores one value at standard resolution: what `put` does with a
        datum of a `Value`, a `Unit` and a `Timestamp` (seconds since the epoch)."""
        with self.lock:
            series = self._series(key)
            if unit:
                series.unit = unit
            series.last_put = max(series.last_put, at)
            series.bucket(at, 60).add(value)
        return key

    def get(self, key: Key) -> Series | None:
        return self.series.get(key)

    def matching(
        self, namespace: str | None, name: str | None, dimensions: list[dict[str, Any]]
    ) -> list[Key]:
        """Keys of the metrics ListMetrics returns for these filters (a dimension
        filter without a Value matches any value of that dimension)."""
        with self.lock:
            if namespace and name:
                candidates: Iterable[Key] = list(self.by_name.get((namespace, name), ()))
            else:
                candidates = list(self.series)
        out = []
        for key in candidates:
            ns, metric, dims = key
            if namespace and ns != namespace or name and metric != name:
                continue
            names = {n: v for n, v in dims}
            if all(
                d["Name"] in names and (d.get("Value") is None or names[d["Name"]] == d["Value"])
                for d in dimensions
            ):
                out.append(key)
        return sorted(out, key=lambda k: (k[0], k[1], sorted(k[2])))
