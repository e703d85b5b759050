"""S3's daily storage metrics from what each bucket really holds.

"Amazon S3 daily storage metrics for buckets" (S3 User Guide, "Metrics and
dimensions"): `BucketSizeBytes` is the bytes stored in a bucket per storage
class (dimension `StorageType`, `StandardStorage` for STANDARD), current and
noncurrent versions; `NumberOfObjects` (StorageType `AllStorageTypes`) counts
current and noncurrent objects and delete markers. Both are published once a
day, time-stamped at midnight UTC, in the bucket's region (dimension
`BucketName`).

moto 5.2.1 reports `sys.getsizeof` of its key objects as the size (832 bytes
for a bucket holding 26,199) and every bucket of the partition in every
region; this replaces its provider.
"""
from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import MetricDatum
from moto.core.utils import utcnow
from moto.s3.models import FakeDeleteMarker, S3Backend, s3_backends
from moto.utilities.utils import get_partition

STORAGE_TYPES = {  # storage class -> StorageType dimension value
    "STANDARD": "StandardStorage", "REDUCED_REDUNDANCY": "ReducedRedundancyStorage",
    "STANDARD_IA": "StandardIAStorage", "ONEZONE_IA": "OneZoneIAStorage",
    "INTELLIGENT_TIERING": "IntelligentTieringFAStorage", "GLACIER": "GlacierStorage",
    "DEEP_ARCHIVE": "DeepArchiveStorage", "GLACIER_IR": "GlacierInstantRetrievalStorage",
}


def contents(bucket: Any) -> tuple[dict[str, int], int]:
    """(bytes per StorageType, number of objects incl. versions and delete markers)."""
    sizes: dict[str, int] = {}
    count = 0
    store = bucket.keys
    for name in list(dict.keys(store)):
        for version in list(store.getlist(name, [])):
            count += 1
            if isinstance(version, FakeDeleteMarker):
                continue
            kind = STORAGE_TYPES.get(version.storage_class or "STANDARD", "StandardStorage")
            sizes[kind] = sizes.get(kind, 0) + int(version.size or 0)
    return sizes, count


def get_cloudwatch_metrics(cls: Any, account_id: str, region: str) -> list[MetricDatum]:
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    out: list[MetricDatum] = []
    for name, bucket in list(s3_backends[account_id][get_partition(region)].buckets.items()):
        if getattr(bucket, "region_name", region) != region:
            continue
        sizes, count = contents(bucket)
        for kind, size in (sizes or {"StandardStorage": 0}).items():
            out.append(MetricDatum(namespace="AWS/S3", name="BucketSizeBytes", value=size, timestamp=midnight,
                                   unit="Bytes", dimensions=[{"Name": "StorageType", "Value": kind},
                                                             {"Name": "BucketName", "Value": name}]))
        out.append(MetricDatum(namespace="AWS/S3", name="NumberOfObjects", value=count, timestamp=midnight,
                               unit="Count", dimensions=[{"Name": "StorageType", "Value": "AllStorageTypes"},
                                                         {"Name": "BucketName", "Value": name}]))
    return out


def install() -> None:
    S3Backend.get_cloudwatch_metrics = classmethod(get_cloudwatch_metrics)  # type: ignore[method-assign,assignment]
