"""Kinesis: `AWS::Kinesis::StreamConsumer` (enhanced fan-out consumers), the
stream properties moto drops (mode, encryption, shard-level metrics), and
(`kinesis_metrics`) the AWS/Kinesis metrics and per-shard write limits."""
from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.kinesis.models import Stream, kinesis_backends

from . import kinesis_metrics
from .common import MODULE, StreamkitModel, as_int, wrap_create


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


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    wrap_create(Stream, _stream_after, _stream_before)
    kinesis_metrics.install()
