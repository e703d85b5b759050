"""What a Kinesis event source mapping is configured to do, read afresh from
moto's mapping before every batch (so UpdateEventSourceMapping takes effect
at the next batch), and the event Lambda builds for a batch.

`check` lists the properties the emulator cannot honour; strict mode refuses
a mapping that sets any of them, by name.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from streamkit_emulator.esm.filter import RecordFilter

# Properties a Kinesis mapping may carry that change nothing observable here
# are accepted; these would change behaviour the emulator does not reproduce.
UNSUPPORTED = {
    "MetricsConfig": "event source mapping metrics (EventCount, ...) are not published",
    "ProvisionedPollerConfig": "provisioned pollers are not emulated",
    "SourceAccessConfigurations": "source access configurations apply to Kafka and MQ sources",
    "SelfManagedEventSource": "self-managed sources are not emulated",
    "SelfManagedKafkaEventSourceConfig": "self-managed Kafka is not emulated",
    "AmazonManagedKafkaEventSourceConfig": "Amazon MSK is not emulated",
    "DocumentDBEventSourceConfig": "DocumentDB sources are not emulated",
    "Queues": "MQ sources are not emulated",
    "Topics": "Kafka sources are not emulated",
    "ScalingConfig": "ScalingConfig applies to SQS sources",
}
_FILTER_CACHE: dict[str, RecordFilter] = {}


def check(spec: dict[str, Any]) -> list[str]:
    """`Property: reason` for each property of `spec` the emulator cannot honour."""
    problems = [f"{k}: {why}" for k, why in UNSUPPORTED.items() if spec.get(k)]
    on_success = ((spec.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
    if on_success:
        problems.append("DestinationConfig.OnSuccess: on-success destinations apply to Kafka sources")
    on_failure = ((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if on_failure and on_failure.split(":")[2:3] not in (["sqs"], ["sns"], ["s3"]):
        problems.append("DestinationConfig.OnFailure.Destination: only SQS, SNS and S3 destinations are delivered")
    return problems


@dataclass(frozen=True)
class Settings:
    function_arn: str
    batch_size: int
    batching_window: float
    max_age: int | None
    max_retries: int | None
    bisect: bool
    report_failures: bool
    tumbling: int
    parallelization: int
    destination: str | None
    record_filter: RecordFilter

    @staticmethod
    def of(esm: Any) -> "Settings":
        def number(value: Any, default: int) -> int:
            return default if value is None else int(value)

        max_age = number(esm.max_record_age, -1)
        max_retries = number(esm.max_retry_attempts, -1)
        criteria = esm.filter_criteria or {}
        key = json.dumps(criteria, sort_keys=True)
        if key not in _FILTER_CACHE:
            _FILTER_CACHE[key] = RecordFilter(criteria)
        return Settings(
            function_arn=esm.function_arn,
            batch_size=number(esm.batch_size, 100),
            batching_window=float(esm.max_batch_window or 0),
            max_age=None if max_age < 0 else max_age,
            max_retries=None if max_retries < 0 else max_retries,
            bisect=bool(esm.bisect_on_error),
            report_failures="ReportBatchItemFailures" in (esm.function_response_types or []),
            tumbling=number(esm.tumbling_window, 0),
            parallelization=max(1, number(esm.parallelization_factor, 1)),
            destination=((esm.destination_config or {}).get("OnFailure") or {}).get("Destination"),
            record_filter=_FILTER_CACHE[key],
        )


def iso_second(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def kinesis_event(records: list[Any], shard_id: str, stream_arn: str, region: str, role: str) -> dict[str, Any]:
    """The `Records` event Lambda sends for a Kinesis batch."""
    out = []
    for r in records:
        data = r.data if isinstance(r.data, str) else base64.b64encode(r.data).decode()
        out.append({
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": r.partition_key,
                "sequenceNumber": str(r.sequence_number),
                "data": data,
                "approximateArrivalTimestamp": round(r.created_at, 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{r.sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": role,
            "awsRegion": region,
            "eventSourceARN": stream_arn,
        })
    return {"Records": out}


def event_size(record: Any) -> int:
    """Approximate bytes a record adds to the event (for the 6 MB limit)."""
    return len(record.data) + len(record.partition_key) + 420
