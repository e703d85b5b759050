"""Firehose: `AWS::KinesisFirehose::DeliveryStream` (Kinesis source, extended
S3), and the switch that makes a delivery stream with a Kinesis source deliver
(`firehose_delivery.Delivery`), whether CloudFormation or CreateDeliveryStream
made it. A destination setting the emulator cannot honour is refused by name
in strict mode (a warning otherwise)."""
from __future__ import annotations

import inspect
import sys
import threading
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.firehose import models as firehose_models
from moto.firehose.exceptions import InvalidArgumentException
from moto.firehose.models import firehose_backends

from streamkit_emulator.firehose import config as firehose_config
from streamkit_emulator.cloudformation import strict
from streamkit_emulator.core.common import MODULE, StreamkitModel, as_int, tag_list
from streamkit_emulator.firehose.delivery import Delivery

_live: dict[tuple[str, str, str], Delivery] = {}
_lock = threading.Lock()


class DeliveryStream(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::KinesisFirehose::DeliveryStream"
    NAME_PROPERTY = "DeliveryStreamName"
    ATTRIBUTES = {"Arn": "arn"}

    def __init__(self, name: str, arn: str):
        self.name = name
        self.arn = arn
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("DeliveryStreamName", resource_name)
        backend = firehose_backends[account_id][region_name]
        supported = {
            "KinesisStreamSourceConfiguration",
            "DeliveryStreamEncryptionConfigurationInput",
            "DeliveryStreamName",
            "DeliveryStreamType",
            "ExtendedS3DestinationConfiguration",
            "S3DestinationConfiguration",
            "Tags",
        }
        unknown = set(p) - supported
        if unknown:
            raise ValueError(f"{cls.CFN_TYPE}: properties not implemented by the emulator: {sorted(unknown)}")
        ext = p.get("ExtendedS3DestinationConfiguration")
        if ext and "BufferingHints" in ext:
            ext["BufferingHints"] = {k: as_int(v) for k, v in ext["BufferingHints"].items()}
        backend.create_delivery_stream(
            region=region_name,
            delivery_stream_name=name,
            delivery_stream_type=p.get("DeliveryStreamType"),
            kinesis_stream_source_configuration=p.get("KinesisStreamSourceConfiguration"),
            delivery_stream_encryption_configuration_input=p.get(
                "DeliveryStreamEncryptionConfigurationInput"
            ),
            s3_destination_configuration=p.get("S3DestinationConfiguration"),
            extended_s3_destination_configuration=ext,
            redshift_destination_configuration=None,
            elasticsearch_destination_configuration=None,
            splunk_destination_configuration=None,
            http_endpoint_destination_configuration=None,
            snowflake_destination_configuration=None,
            tags=tag_list(p.get("Tags")),
        )
        stream = backend.delivery_streams[name]
        return cls(name, stream.delivery_stream_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        firehose_backends[account_id][region_name].delete_delivery_stream(self.name)


def _config(source: Any, ext: Any, s3: Any) -> firehose_config.DeliveryConfig | None:
    """The delivery to run, or None (with a warning) when not strict and a
    setting cannot be honoured."""
    try:
        return firehose_config.parse(source or {}, ext or s3 or {})
    except ValueError as e:
        if strict.STRICT:
            raise
        print(f"streamkit emulator: firehose will not deliver: {e}", file=sys.stderr)
        return None


_create: Any = None
_delete: Any = None


def create_delivery_stream(self: Any, *args: Any, **kwargs: Any) -> str:
    call = inspect.signature(_create).bind(self, *args, **kwargs).arguments
    name, region = call["delivery_stream_name"], call["region"]
    config = None
    if call.get("delivery_stream_type") == "KinesisStreamAsSource":
        ext = call.get("extended_s3_destination_configuration")
        if ext and "BufferingHints" in ext:
            ext["BufferingHints"] = {k: as_int(v) for k, v in ext["BufferingHints"].items()}
        try:
            config = _config(call.get("kinesis_stream_source_configuration"), ext,
                             call.get("s3_destination_configuration"))
        except ValueError as e:
            raise InvalidArgumentException(str(e)) from None
    arn = _create(self, *args, **kwargs)
    if config is not None:
        stream = self.delivery_streams[name]
        # AWS describes the source with the time delivery started (it reads from there).
        stream.source = dict(stream.source or {}, DeliveryStartTimestamp=stream.create_timestamp)
        delivery = Delivery(self.account_id, region, name, stream.version_id, config, stream.create_timestamp)
        with _lock:
            old = _live.pop((self.account_id, region, name), None)
            _live[(self.account_id, region, name)] = delivery
        if old:
            old.stop()
        delivery.start()
    return arn


def delete_delivery_stream(self: Any, delivery_stream_name: str) -> None:
    _delete(self, delivery_stream_name)
    with _lock:
        delivery = _live.pop((self.account_id, self.region_name, delivery_stream_name), None)
    if delivery:
        delivery.stop()


def live(account_id: str, region: str, name: str) -> Delivery | None:
    """The running delivery of a stream (tests and `local` status use it)."""
    return _live.get((account_id, region, name))


def install() -> None:
    """Registers the model (on import) and makes Kinesis-sourced streams deliver."""
    global _create, _delete
    backend = firehose_models.FirehoseBackend
    _create, _delete = backend.create_delivery_stream, backend.delete_delivery_stream
    backend.create_delivery_stream = create_delivery_stream
    backend.delete_delivery_stream = delete_delivery_stream
