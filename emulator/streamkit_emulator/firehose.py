"""Firehose: `AWS::KinesisFirehose::DeliveryStream` (Kinesis source, extended S3)."""
from __future__ import annotations

from moto.core.common_models import CloudFormationModel
from moto.firehose.models import firehose_backends

from .common import MODULE, StreamkitModel, as_int, tag_list


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
        if p.get("KinesisStreamSourceConfiguration"):
            # AWS describes the source with the time delivery started.
            stream.source = dict(p["KinesisStreamSourceConfiguration"])
        return cls(name, stream.delivery_stream_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        firehose_backends[account_id][region_name].delete_delivery_stream(self.name)


def install() -> None:
    """The models above register themselves with moto when this module is imported."""
