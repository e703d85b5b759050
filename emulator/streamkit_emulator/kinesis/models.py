"""Kinesis: `AWS::Kinesis::StreamConsumer` (enhanced fan-out consumers), the
stream properties moto drops (mode, encryption, shard-level metrics),
(`kinesis_metrics`) the AWS/Kinesis metrics and per-shard write limits, and the
in-process read helpers the event source mappings use (`source_stream`,
`read_after`, `start_position`): moto numbers each shard's records 1, 2, 3,
... so a position is the last sequence number read (0 = before the first)."""
from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.kinesis.models import Stream, kinesis_backends

from streamkit_emulator.kinesis import metrics as kinesis_metrics
from streamkit_emulator.core.common import MODULE, StreamkitModel, as_int, wrap_create


class StreamConsumer(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::Kinesis::StreamConsumer"
    NAME_PROPERTY = "ConsumerName"
    ATTRIBUTES = {
        "ConsumerARN": "consumer_arn",
        "ConsumerName": "consumer_name",
        "ConsumerStatus": "consumer_status",
        "ConsumerCreationTimestamp": "created",
        "StreamARN": "stream_arn",
        "Id": "consumer_arn",
    }

    def __init__(self, consumer: Any, region_name: str):
        self.consumer_arn = consumer.consumer_arn
        self.consumer_name = consumer.consumer_name
        self.stream_arn = consumer.stream_arn
        self.consumer_status = "ACTIVE"
        self.created = consumer.created.isoformat()
        self.ref = self.consumer_arn
        self.region_name = region_name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = kinesis_backends[account_id][region_name]
        stream_arn = props["StreamARN"]
        backend.describe_stream(stream_arn=stream_arn, stream_name=None)
        consumer = backend.register_stream_consumer(
            stream_arn=stream_arn, consumer_name=props.get("ConsumerName", resource_name)
        )
        return cls(consumer, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        kinesis_backends[account_id][region_name].deregister_stream_consumer(
            stream_arn="", consumer_name="", consumer_arn=self.consumer_arn
        )


def _stream_before(props: dict[str, Any]) -> None:
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "ON_DEMAND":
        props.pop("ShardCount", None)
    if "ShardCount" in props:
        props["ShardCount"] = as_int(props["ShardCount"])
    if "RetentionPeriodHours" in props:
        props["RetentionPeriodHours"] = as_int(props["RetentionPeriodHours"])


def _stream_after(stream: Stream, props: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = kinesis_backends[account_id][region_name]
    mode = props.get("StreamModeDetails")
    if mode:
        backend.update_stream_mode(stream.arn, {"StreamMode": mode["StreamMode"]})
    enc = props.get("StreamEncryption")
    if enc:
        backend.start_stream_encryption(
            stream_arn=stream.arn,
            stream_name=stream.stream_name,
            encryption_type=enc["EncryptionType"],
            key_id=enc["KeyId"],
        )
    metrics = props.get("DesiredShardLevelMetrics")
    if metrics:
        backend.enable_enhanced_monitoring(
            stream_arn=stream.arn, stream_name=stream.stream_name, shard_level_metrics=list(metrics)
        )


def source_stream(arn: str) -> Stream | None:
    """The stream behind an event source ARN: a stream, or an enhanced fan-out
    consumer (`.../stream/NAME/consumer/C:ts`) of one; None when gone."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kinesis":
        return None
    region, account, resource = parts[3], parts[4], ":".join(parts[5:])
    backend = kinesis_backends[account][region]
    name = resource.split("/")[1] if resource.startswith("stream/") else ""
    stream = backend.streams.get(name)
    if stream is None:
        return None
    if "/consumer/" in resource and stream.get_consumer_by_arn(arn) is None:
        return None
    return stream


def read_after(shard: Any, position: int, limit: int) -> list[Any]:
    """Up to `limit` records after `position`, in order (moto's keys are
    consecutive integers, so this reads by key and never iterates the dict
    another thread may be growing)."""
    out = []
    records = shard.records
    seq = position + 1
    while len(out) < limit:
        record = records.get(seq)
        if record is None:
            break
        out.append(record)
        seq += 1
    return out


def last_position(shard: Any) -> int:
    """The position after the shard's newest record (LATEST)."""
    try:
        return next(reversed(shard.records), 0)
    except RuntimeError:  # grown while read: take the slow path
        return max(list(shard.records.keys()) or [0])


def first_position(shard: Any) -> int:
    """The position before the shard's oldest record (TRIM_HORIZON)."""
    first = next(iter(shard.records), None) if shard.records else None
    return (first - 1) if first is not None else last_position(shard)


def position_at(shard: Any, timestamp: float) -> int:
    """The position before the first record that arrived at or after `timestamp`."""
    low, high = first_position(shard), last_position(shard)
    while low < high:  # first seq in (low, high] with created_at >= timestamp, minus one
        mid = (low + high + 1) // 2
        record = shard.records.get(mid)
        if record is not None and record.created_at < timestamp:
            low = mid
        else:
            high = mid - 1
    return low


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    from streamkit_emulator.kinesis import answers, shards

    wrap_create(Stream, _stream_after, _stream_before)
    shards.install()
    answers.install()
    kinesis_metrics.install()
