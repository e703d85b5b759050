"""Kinesis as CloudWatch sees it: the AWS/Kinesis metrics of every PutRecord,
PutRecords and GetRecords the backend serves (whoever calls it: the API, the
SDKs, the emulator's own event source mappings), and the per-shard write
limits that make WriteProvisionedThroughputExceeded real.

Write limits: each shard accepts 1,000 records and 1 MiB (data plus
partition key) per second, as a token bucket holding one second's worth. A
PutRecord over the limit fails with ProvisionedThroughputExceededException;
a PutRecords entry over the limit comes back with that ErrorCode (the others
succeed). Reads are not throttled (ReadProvisionedThroughputExceeded is
published as 0 per GetRecords call).

Metrics (dimension StreamName; with enhanced monitoring also StreamName +
ShardId for the shard-level names), one datapoint per call:
PutRecord.{Success,Bytes,Latency}; PutRecords.{Success,Bytes,Latency,
TotalRecords,SuccessfulRecords,FailedRecords,ThrottledRecords,Records};
IncomingRecords, IncomingBytes, WriteProvisionedThroughputExceeded (records
rejected); GetRecords.{Success,Records,Bytes,Latency,IteratorAgeMilliseconds},
ReadProvisionedThroughputExceeded. Reads made inside `subscription(consumer)`
are enhanced fan-out deliveries instead: SubscribeToShardEvent.{Records,Bytes,
MillisBehindLatest,Success} with StreamName + ConsumerName, and no GetRecords
metrics (an EFO-only stream has none on AWS either).
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from base64 import b64decode
from typing import Any, Iterator

from moto.core.exceptions import JsonRESTError
from moto.kinesis.exceptions import RecordSizeExceedsLimit, TooManyRecords, TotalRecordsSizeExceedsLimit
from moto.kinesis.models import KinesisBackend, kinesis_backends
from moto.kinesis.utils import decompose_shard_iterator

from streamkit_emulator.cloudwatch import metrics

RECORDS_PER_SECOND = 1000
BYTES_PER_SECOND = 1024 * 1024
SHARD_LEVEL = {
    "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds",
}

_consumer: contextvars.ContextVar[str | None] = contextvars.ContextVar("efo_consumer", default=None)
_buckets: dict[tuple[str, str, str, str], "ShardBudget"] = {}
_lock = threading.Lock()


class ProvisionedThroughputExceeded(JsonRESTError):
    def __init__(self, shard: str, stream: str, account: str):
        super().__init__(
            "ProvisionedThroughputExceededException",
            f"Rate exceeded for shard {shard} in stream {stream} under account {account}.",
        )


class ShardBudget:
    """A token bucket per shard: one second of records and bytes."""

    def __init__(self) -> None:
        self.records = float(RECORDS_PER_SECOND)
        self.bytes = float(BYTES_PER_SECOND)
        self.at = time.monotonic()

    def take(self, size: int) -> bool:
        now = time.monotonic()
        elapsed, self.at = now - self.at, now
        self.records = min(RECORDS_PER_SECOND, self.records + elapsed * RECORDS_PER_SECOND)
        self.bytes = min(BYTES_PER_SECOND, self.bytes + elapsed * BYTES_PER_SECOND)
        if self.records < 1 or self.bytes < size:
            return False
        self.records -= 1
        self.bytes -= size
        return True


@contextlib.contextmanager
def subscription(consumer_name: str) -> Iterator[None]:
    """Marks the backend reads inside as enhanced fan-out deliveries to `consumer_name`
    (for the emulator's EFO event source mappings)."""
    token = _consumer.set(consumer_name)
    try:
        yield
    finally:
        _consumer.reset(token)


def _budget(backend: KinesisBackend, stream: Any, shard_id: str) -> ShardBudget:
    key = (backend.account_id, backend.region_name, stream.stream_name, shard_id)
    with _lock:
        found = _buckets.get(key)
        if found is None:
            found = _buckets[key] = ShardBudget()
        return found


def _size(data: str, partition_key: str) -> int:
    return len(b64decode(data or "")) + len((partition_key or "").encode("utf-8"))


def publish(backend: KinesisBackend, stream: Any, values: dict[str, tuple[float, str]],
            shard_id: str | None = None, consumer: str | None = None) -> None:
    """Puts each `name: (value, unit)` on the stream (and shard, when enhanced
    monitoring covers that name; per consumer when `consumer` is given)."""
    dims = {"StreamName": stream.stream_name}
    if consumer:
        dims["ConsumerName"] = consumer
    shard_metrics = set(getattr(stream, "shard_level_metrics", None) or [])
    if "ALL" in shard_metrics:
        shard_metrics = SHARD_LEVEL
    for name, (value, unit) in values.items():
        metrics.put(backend.account_id, backend.region_name, "AWS/Kinesis", name, dims, value, unit)
        shard_name = {"GetRecords.Records": "OutgoingRecords", "GetRecords.Bytes": "OutgoingBytes",
                      "GetRecords.IteratorAgeMilliseconds": "IteratorAgeMilliseconds"}.get(name, name)
        if shard_id and not consumer and shard_name in shard_metrics:
            metrics.put(backend.account_id, backend.region_name, "AWS/Kinesis", shard_name,
                        {"StreamName": stream.stream_name, "ShardId": shard_id}, value, unit)


_put_record = KinesisBackend.put_record
_get_records = KinesisBackend.get_records


MAX_RECORD_DATA = 1024 * 1024


def _data_size(data: str) -> int:
    return len(b64decode(data or ""))


def put_record(self: KinesisBackend, stream_arn: str, stream_name: str, partition_key: str,
               explicit_hash_key: str, data: str) -> tuple[str, str]:
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    if _data_size(data) > MAX_RECORD_DATA:
        # "PutRecord" (Kinesis API Reference): the data blob is at most 1 MiB
        # before base64 encoding (Kinesis quotas: "the maximum size of the data
        # payload of a record"); over it, a ValidationException.
        raise JsonRESTError(
            "ValidationException",
            "1 validation error detected: Value at 'data' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RECORD_DATA}")
    started = time.perf_counter()
    try:
        shard = stream.get_shard_for_key(partition_key, explicit_hash_key)
        size = _size(data, partition_key)
        if shard is not None and not _budget(self, stream, shard.shard_id).take(size):
            publish(self, stream, {"PutRecord.Success": (0, "Count"),
                                   "WriteProvisionedThroughputExceeded": (1, "Count")}, shard.shard_id)
            raise ProvisionedThroughputExceeded(shard.shard_id, stream.stream_name, self.account_id)
        result = _put_record(self, stream_arn, stream_name, partition_key, explicit_hash_key, data)
    except ProvisionedThroughputExceeded:
        raise
    except Exception:
        publish(self, stream, {"PutRecord.Success": (0, "Count")})
        raise
    latency = (time.perf_counter() - started) * 1000
    publish(self, stream, {
        "PutRecord.Success": (1, "Count"), "PutRecord.Bytes": (size, "Bytes"),
        "PutRecord.Latency": (latency, "Milliseconds"), "IncomingRecords": (1, "Count"),
        "IncomingBytes": (size, "Bytes"), "WriteProvisionedThroughputExceeded": (0, "Count"),
    }, result[1])
    return result


def put_records(self: KinesisBackend, stream_arn: str, stream_name: str,
                records: list[dict[str, Any]]) -> dict[str, Any]:
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    started = time.perf_counter()
    if len(records) > 500:
        raise TooManyRecords
    sizes = [_size(r.get("Data", ""), r.get("PartitionKey", "")) for r in records]
    if sum(sizes) > 5 * 1024 * 1024:
        raise TotalRecordsSizeExceedsLimit
    # "PutRecords" (Kinesis API Reference): up to 500 records, each data blob
    # up to 1 MiB, 5 MiB for the whole request including partition keys.
    too_big = next((i for i, r in enumerate(records) if _data_size(r.get("Data", "")) > MAX_RECORD_DATA), None)
    if too_big is not None:
        raise RecordSizeExceedsLimit(position=too_big + 1)
    out: list[dict[str, Any]] = []
    per_shard: dict[str, list[int]] = {}  # shard -> [records, bytes, throttled]
    for record, size in zip(records, sizes):
        key, hash_key, data = record.get("PartitionKey"), record.get("ExplicitHashKey"), record.get("Data")
        shard = stream.get_shard_for_key(key, hash_key)
        counts = per_shard.setdefault(shard.shard_id, [0, 0, 0])
        if _budget(self, stream, shard.shard_id).take(size):
            sequence, shard_id = stream.put_record(key, hash_key, data)
            out.append({"SequenceNumber": sequence, "ShardId": shard_id})
            counts[0] += 1
            counts[1] += size
        else:
            counts[2] += 1
            out.append({
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": f"Rate exceeded for shard {shard.shard_id} in stream "
                                f"{stream.stream_name} under account {self.account_id}.",
            })
    ok = sum(c[0] for c in per_shard.values())
    nbytes = sum(c[1] for c in per_shard.values())
    throttled = len(records) - ok
    publish(self, stream, {
        "PutRecords.Success": (1 if ok else 0, "Count"), "PutRecords.Bytes": (nbytes, "Bytes"),
        "PutRecords.Latency": ((time.perf_counter() - started) * 1000, "Milliseconds"),
        "PutRecords.TotalRecords": (len(records), "Count"), "PutRecords.SuccessfulRecords": (ok, "Count"),
        "PutRecords.FailedRecords": (0, "Count"), "PutRecords.ThrottledRecords": (throttled, "Count"),
        "PutRecords.Records": (ok, "Count"),
    })
    publish(self, stream, {"IncomingRecords": (ok, "Count"), "IncomingBytes": (nbytes, "Bytes"),
                           "WriteProvisionedThroughputExceeded": (throttled, "Count")})
    for shard_id, (count, size, rejected) in per_shard.items():
        if getattr(stream, "shard_level_metrics", None):
            _shard_only(self, stream, shard_id, {"IncomingRecords": (count, "Count"), "IncomingBytes": (size, "Bytes"),
                                                 "WriteProvisionedThroughputExceeded": (rejected, "Count")})
    return {"FailedRecordCount": throttled, "Records": out}


def _shard_only(backend: KinesisBackend, stream: Any, shard_id: str, values: dict[str, tuple[float, str]]) -> None:
    wanted = set(stream.shard_level_metrics)
    for name, (value, unit) in values.items():
        if name in wanted or "ALL" in wanted:
            metrics.put(backend.account_id, backend.region_name, "AWS/Kinesis", name,
                        {"StreamName": stream.stream_name, "ShardId": shard_id}, value, unit)


def polled(account_id: str, region: str, stream: Any, shard_id: str, records: list[Any], latency_ms: float,
           consumer: str | None = None) -> None:
    """One read of one shard by a reader inside the emulator, published as AWS
    publishes the call it stands for: a GetRecords call (an event source mapping
    polling a shard, Firehose reading its source stream) or, with `consumer`, an
    enhanced fan-out event (SubscribeToShardEvent.*).

    `records` are moto's records the call returned (`data` base64 text or bytes,
    `partition_key`, `created_at`). Follows "Monitoring the Amazon Kinesis Data
    Streams Service with Amazon CloudWatch" (Kinesis Developer Guide): the
    GetRecords.* stream-level metrics count every GetRecords call;
    IteratorAgeMilliseconds is "the difference between the current time and when
    the last record of the GetRecords call was written to the stream" (0 when
    caught up); and "Lambda reads records ... polls each shard ... at a base rate
    of once per second" ("How Lambda processes records from Amazon Kinesis Data
    Streams", Lambda Developer Guide), so a mapping's stream has these metrics
    every second, with traffic or not."""
    backend = kinesis_backends[account_id][region]
    nbytes = sum(_record_size(r) for r in records)
    if consumer:
        behind = max(0.0, (time.time() - records[-1].created_at) * 1000) if records else 0.0
        publish(backend, stream, {
            "SubscribeToShardEvent.Success": (1, "Count"), "SubscribeToShardEvent.Records": (len(records), "Count"),
            "SubscribeToShardEvent.Bytes": (nbytes, "Bytes"),
            "SubscribeToShardEvent.MillisBehindLatest": (behind, "Milliseconds"),
        }, shard_id, consumer)
        return
    age = max(0.0, (time.time() - records[-1].created_at) * 1000) if records else 0.0
    publish(backend, stream, {
        "GetRecords.Success": (1, "Count"), "GetRecords.Records": (len(records), "Count"),
        "GetRecords.Bytes": (nbytes, "Bytes"), "GetRecords.Latency": (latency_ms, "Milliseconds"),
        "GetRecords.IteratorAgeMilliseconds": (age, "Milliseconds"),
        "ReadProvisionedThroughputExceeded": (0, "Count"),
    }, shard_id)


def _record_size(record: Any) -> int:
    """Bytes GetRecords.Bytes counts for one record: its data blob (moto keeps
    base64 text) plus its partition key, as IncomingBytes counts them."""
    data = record.data
    size = len(b64decode(data)) if isinstance(data, str) else len(data or b"")
    return size + len((record.partition_key or "").encode("utf-8"))


def get_records(self: KinesisBackend, stream_arn: str | None, shard_iterator: str,
                limit: int | None) -> tuple[str, list[Any], int]:
    consumer = _consumer.get()
    started = time.perf_counter()
    stream_name, shard_id, _ = decompose_shard_iterator(shard_iterator)
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    prefix = "SubscribeToShardEvent" if consumer else "GetRecords"
    try:
        result = _get_records(self, stream_arn, shard_iterator, limit)
    except Exception:
        publish(self, stream, {f"{prefix}.Success": (0, "Count")}, shard_id, consumer)
        raise
    _, records, behind = result
    nbytes = sum(_size(r.data, r.partition_key) for r in records)
    if consumer:
        publish(self, stream, {
            "SubscribeToShardEvent.Success": (1, "Count"), "SubscribeToShardEvent.Records": (len(records), "Count"),
            "SubscribeToShardEvent.Bytes": (nbytes, "Bytes"),
            "SubscribeToShardEvent.MillisBehindLatest": (behind, "Milliseconds"),
        }, shard_id, consumer)
        return result
    age = max(0.0, (time.time() - records[-1].created_at) * 1000) if records else 0.0
    publish(self, stream, {
        "GetRecords.Success": (1, "Count"), "GetRecords.Records": (len(records), "Count"),
        "GetRecords.Bytes": (nbytes, "Bytes"),
        "GetRecords.Latency": ((time.perf_counter() - started) * 1000, "Milliseconds"),
        "GetRecords.IteratorAgeMilliseconds": (age, "Milliseconds"),
        "ReadProvisionedThroughputExceeded": (0, "Count"),
    }, shard_id)
    return result


def install() -> None:
    KinesisBackend.put_record = put_record  # type: ignore[method-assign]
    KinesisBackend.put_records = put_records  # type: ignore[method-assign]
    KinesisBackend.get_records = get_records  # type: ignore[method-assign]
