"""Firehose delivery from a Kinesis stream to S3, live.

One daemon thread per delivery stream wakes about once a second (at once
again while a backlog remains), reads the records that arrived on every shard
since the stream's DeliveryStartTimestamp (its creation, as on AWS), runs the
processors (MetadataExtraction with jq, AppendDelimiterToRecord), and buffers
them: one buffer without dynamic partitioning, one per partition-key set with
it. A buffer is written as one S3 object when it holds SizeInMBs or when its
first record has waited IntervalInSeconds, whichever comes first. Records a
processor rejects go, in AWS's error-record JSON (one per line), under the
ErrorOutputPrefix with `!{firehose:error-output-type}` = `processing-failed`.
A failed S3 write keeps the buffer and retries on the next tick. Metrics:
AWS/Firehose IncomingRecords/Bytes, DataReadFromKinesisStream.Records/Bytes,
DeliveryToS3.Records/Bytes/Success/DataFreshness (dimension DeliveryStreamName).
"""
from __future__ import annotations

import base64
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from moto.core.utils import utcnow
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.logs import cwlogs
from streamkit_emulator.cloudwatch import metrics
from streamkit_emulator.firehose.config import DeliveryConfig
from streamkit_emulator.firehose.prefix import PrefixError, evaluate, object_key
from streamkit_emulator.kinesis.reader import StreamReader, StreamRecord

POLL_SECONDS = 1.0
ERROR_TYPE = "processing-failed"


@dataclass
class Buffer:
    keys: dict[str, str]
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    count: int = 0
    opened: float = 0.0  # monotonic time of the first record
    oldest: datetime | None = None  # arrival of the oldest record


class Delivery:
    """The live part of one delivery stream (`start()`, `stop()`)."""

    def __init__(self, account_id: str, region: str, name: str, version: str, config: DeliveryConfig,
                 start: datetime, clock=time.monotonic):
        self.account_id, self.region, self.name, self.version = account_id, region, name, version
        self.clock = clock  # monotonic seconds; tests pass their own
        self.config = config
        self.reader = StreamReader(account_id, region, config.stream_arn, start)
        self.buffers: dict[tuple, Buffer] = {}
        self.errors = Buffer({})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"firehose-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stops the loop; what is still buffered is dropped, as AWS drops it on delete."""
        self._stop.set()

    def _run(self) -> None:
        wait = POLL_SECONDS
        while not self._stop.wait(wait):
            try:
                wait = 0.0 if self.tick() else POLL_SECONDS
            except Exception as e:  # keep delivering; say why this tick failed
                print(f"streamkit emulator: firehose {self.name}: {type(e).__name__}: {e}", file=sys.stderr)
                wait = POLL_SECONDS

    def tick(self) -> bool:
        """One poll: read, process, buffer, flush what is due. True when a
        backlog remains (the loop then polls again at once)."""
        denied = iam_hooks.firehose_read_denied(self.account_id, self.config.source_role, self.name,
                                                self.config.stream_arn)
        if denied:
            self._log("Kinesis.AccessDenied", denied)
            return False
        records, more = self.reader.read()
        if records:
            total = sum(len(r.data) for r in records)
            for name in ("IncomingRecords", "DataReadFromKinesisStream.Records"):
                self._metric(name, len(records))
            for name in ("IncomingBytes", "DataReadFromKinesisStream.Bytes"):
                self._metric(name, total, "Bytes")
        for record in records:
            self._accept(record)
        now = self.clock()
        for key, buf in list(self.buffers.items()):
            if self._due(buf, now) and self._flush(buf, error_type=""):
                del self.buffers[key]
        if self._due(self.errors, now) and self._flush(self.errors, error_type=ERROR_TYPE):
            self.errors = Buffer({})
        return more

    def _due(self, buf: Buffer, now: float) -> bool:
        return buf.count > 0 and (buf.size >= self.config.size_bytes or now - buf.opened >= self.config.interval_s)

    def _accept(self, record: StreamRecord) -> None:
        data = record.data
        keys: dict[str, str] = {}
        if self.config.queries:
            try:
                keys = extract_keys(self.config.queries, data)
            except ValueError as e:
                self._reject(record, "DynamicPartitioning.MetadataExtractionFailed", str(e))
                return
        if self.config.delimiter is not None:
            data = data + self.config.delimiter
        slot = tuple(sorted(keys.items()))
        buf = self.buffers.get(slot)
        if buf is None:
            buf = self.buffers[slot] = Buffer(keys)
        _add(buf, data, record.arrival, self.clock())
        if buf.size >= self.config.size_bytes and self._flush(buf, error_type=""):
            del self.buffers[slot]

    def _reject(self, record: StreamRecord, code: str, message: str) -> None:
        now_ms = int(time.time() * 1000)
        line = json.dumps({
            "attemptsMade": 1,
            "arrivalTimestamp": int(record.arrival.timestamp() * 1000),
            "errorCode": code,
            "errorMessage": message,
            "attemptEndingTimestamp": now_ms,
            "rawData": base64.b64encode(record.data).decode("ascii"),
        })
        _add(self.errors, line.encode("utf-8") + b"\n", record.arrival, self.clock())
        self._log(code, message)

    def _flush(self, buf: Buffer, error_type: str) -> bool:
        """Writes `buf` as one object; False (buffer kept) when S3 refused it."""
        cfg = self.config
        when = (buf.oldest or datetime.now(timezone.utc)).astimezone(cfg.zone)
        body = b"".join(buf.chunks)
        try:
            if error_type:
                prefix = evaluate(cfg.error_prefix, when, error_type=error_type)
            else:
                prefix = evaluate(cfg.prefix, when, buf.keys)
        except PrefixError as e:
            for chunk in buf.chunks:
                fake = StreamRecord("", 0, "", chunk, buf.oldest or when)
                self._reject(fake, "DynamicPartitioning.PrefixEvaluationFailed", str(e))
            return True
        key = object_key(prefix, self.name, self.version, datetime.now(cfg.zone), cfg.extension)
        payload = cfg.codec.compress(body, key.rsplit("/", 1)[-1].removesuffix(cfg.extension))
        denied = iam_hooks.firehose_write_denied(self.account_id, self.region, self.config.role, self.name,
                                                 cfg.bucket, key, cfg.kms_key)
        if denied:
            self._metric("DeliveryToS3.Success", 0)
            self._log("S3.AccessDenied", denied)
            return False
        try:
            self._put(key, payload)
        except Exception as e:  # noqa: BLE001 - any S3 failure is a failed delivery
            self._metric("DeliveryToS3.Success", 0)
            self._log("S3.PutObjectFailed", f"{type(e).__name__}: {e}")
            return False
        if not error_type:
            self._metric("DeliveryToS3.Records", buf.count)
            self._metric("DeliveryToS3.Bytes", len(body), "Bytes")
            self._metric("DeliveryToS3.Success", 1)
            freshness = (datetime.now(timezone.utc) - buf.oldest).total_seconds() if buf.oldest else 0
            self._metric("DeliveryToS3.DataFreshness", max(freshness, 0.0), "Seconds")
        return True

    def _put(self, key: str, payload: bytes) -> None:
        backend = s3_backends[self.account_id][get_partition(self.region)]
        cfg = self.config
        stored = backend.put_object(
            cfg.bucket, key, payload,
            encryption="aws:kms" if cfg.kms_key else None, kms_key_id=cfg.kms_key,
        )
        meta = {"Content-Type": "application/octet-stream"}
        if cfg.codec.content_encoding:
            meta["Content-Encoding"] = cfg.codec.content_encoding
        stored.set_metadata(meta)

    def _metric(self, name: str, value: float, unit: str = "Count") -> None:
        # Naive UTC, as moto stores API-put datapoints (an aware one breaks GetMetricStatistics).
        metrics.put(self.account_id, self.region, "AWS/Firehose", name, {"DeliveryStreamName": self.name},
                    value, unit, timestamp=utcnow())

    def _log(self, code: str, message: str) -> None:
        cfg = self.config
        if not (cfg.log_group and cfg.log_stream):
            return
        event = json.dumps({
            "deliveryStreamARN": f"arn:aws:firehose:{self.region}:{self.account_id}:deliverystream/{self.name}",
            "destination": f"arn:aws:s3:::{cfg.bucket}",
            "deliveryStreamVersionId": int(self.version),
            "message": message,
            "errorCode": code,
        })
        cwlogs.write(self.account_id, self.region, cfg.log_group, cfg.log_stream, [event])


def _add(buf: Buffer, data: bytes, arrival: datetime, now: float) -> None:
    if buf.count == 0:
        buf.opened = now
    buf.chunks.append(data)
    buf.size += len(data)
    buf.count += 1
    if buf.oldest is None or arrival < buf.oldest:
        buf.oldest = arrival


def extract_keys(queries: list, data: bytes) -> dict[str, str]:
    """Partition keys from the MetadataExtraction jq programs (each must give
    one JSON object of non-empty scalars)."""
    try:
        text = data.decode("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise ValueError("Non JSON record provided") from None
    keys: dict[str, str] = {}
    for program in queries:
        try:
            results = program.input_text(text).all()
        except ValueError as e:
            raise ValueError(f"jq query failed: {e}") from None
        if len(results) != 1 or not isinstance(results[0], dict):
            raise ValueError("The MetadataExtractionQuery must produce exactly one JSON object")
        for k, v in results[0].items():
            if v is None or v == "" or isinstance(v, (dict, list)):
                raise ValueError(f"partitionKeys values must not be null, empty or structured ({k})")
            keys[k] = json.dumps(v) if isinstance(v, bool) else str(v)
    return keys
