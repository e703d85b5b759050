"""What a Firehose delivery stream with a Kinesis source does, read from its
(Extended)S3DestinationConfiguration: either a `DeliveryConfig` the delivery
loop runs, or a `ValueError` naming the property the emulator cannot honour.

Honoured: BucketARN, RoleARN, Prefix, ErrorOutputPrefix, BufferingHints,
CompressionFormat, FileExtension, CustomTimeZone, CloudWatchLoggingOptions,
EncryptionConfiguration (objects are stored with the KMS key or unencrypted),
DynamicPartitioningConfiguration (with RetryOptions), and the processors
MetadataExtraction (jq, JQ-1.6) and AppendDelimiterToRecord. Anything else
(format conversion, Lambda or de-aggregation processors, S3 backup) is refused.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import tzinfo, timezone
from typing import Any
from zoneinfo import ZoneInfo

import jq

from streamkit_emulator.firehose import prefix as firehose_prefix
from streamkit_emulator.core.common import as_bool, as_int
from streamkit_emulator.firehose.codecs import Codec, codec

MIB = 1024 * 1024
S3_KEYS = {
    "BucketARN", "RoleARN", "Prefix", "ErrorOutputPrefix", "BufferingHints", "CompressionFormat",
    "FileExtension", "CustomTimeZone", "CloudWatchLoggingOptions", "EncryptionConfiguration",
    "DynamicPartitioningConfiguration", "ProcessingConfiguration", "S3BackupMode",
}


@dataclass
class DeliveryConfig:
    stream_arn: str
    bucket: str
    prefix: str  # effective, expressions unevaluated
    error_prefix: str
    size_bytes: int
    interval_s: int
    codec: Codec
    extension: str
    zone: tzinfo
    dynamic: bool
    queries: list[Any] = field(default_factory=list)  # compiled jq programs
    delimiter: bytes | None = None
    kms_key: str | None = None
    log_group: str | None = None
    log_stream: str | None = None
    source_role: str = ""  # KinesisStreamSourceConfiguration.RoleARN: reads the stream
    role: str = ""  # the destination's RoleARN: writes the bucket


def parse(source: dict[str, Any], dest: dict[str, Any]) -> DeliveryConfig:
    """Reads the source and S3 destination configuration; raises ValueError
    naming the first property the emulator cannot honour."""
    where = "ExtendedS3DestinationConfiguration"
    unknown = sorted(set(dest) - S3_KEYS)
    if unknown:
        raise ValueError(f"{where}: properties not implemented by the emulator: {unknown}")
    if dest.get("S3BackupMode", "Disabled") != "Disabled":
        raise ValueError(f"{where}.S3BackupMode {dest['S3BackupMode']!r}: S3 backup is not implemented by the emulator")
    stream_arn = (source or {}).get("KinesisStreamARN")
    if not stream_arn:
        raise ValueError("KinesisStreamSourceConfiguration.KinesisStreamARN is required for KinesisStreamAsSource")
    bucket = str(dest.get("BucketARN", "")).split(":::", 1)[-1]
    if not bucket:
        raise ValueError(f"{where}.BucketARN is required")
    hints = dest.get("BufferingHints") or {}
    unknown = sorted(set(hints) - {"SizeInMBs", "IntervalInSeconds"})
    if unknown:
        raise ValueError(f"{where}.BufferingHints: {unknown} not implemented by the emulator")
    dynamic = as_bool((dest.get("DynamicPartitioningConfiguration") or {}).get("Enabled", False)) is True
    _check_keys(dest.get("DynamicPartitioningConfiguration") or {}, {"Enabled", "RetryOptions"},
                f"{where}.DynamicPartitioningConfiguration")
    queries, delimiter = _processors(dest.get("ProcessingConfiguration") or {}, dynamic)
    prefix = firehose_prefix.effective(dest.get("Prefix"), dynamic)
    error_prefix = firehose_prefix.effective_error(dest.get("ErrorOutputPrefix"))
    firehose_prefix.check(prefix, error_prefix=False, dynamic=dynamic)
    firehose_prefix.check(error_prefix, error_prefix=True, dynamic=dynamic)
    if dynamic and not dest.get("ErrorOutputPrefix"):
        raise ValueError(f"{where}.ErrorOutputPrefix is required with dynamic partitioning")
    chosen = codec(dest.get("CompressionFormat"))
    logging = dest.get("CloudWatchLoggingOptions") or {}
    enc = dest.get("EncryptionConfiguration") or {}
    _check_keys(enc, {"NoEncryptionConfig", "KMSEncryptionConfig"}, f"{where}.EncryptionConfiguration")
    return DeliveryConfig(
        stream_arn=stream_arn,
        bucket=bucket,
        prefix=prefix,
        error_prefix=error_prefix,
        size_bytes=int(as_int(hints.get("SizeInMBs", 5))) * MIB,
        interval_s=int(as_int(hints.get("IntervalInSeconds", 300))),
        codec=chosen,
        extension=dest.get("FileExtension") or chosen.extension,
        zone=ZoneInfo(dest["CustomTimeZone"]) if dest.get("CustomTimeZone") else timezone.utc,
        dynamic=dynamic,
        queries=queries,
        delimiter=delimiter,
        kms_key=(enc.get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN"),
        log_group=logging.get("LogGroupName") if as_bool(logging.get("Enabled")) is True else None,
        log_stream=logging.get("LogStreamName") if as_bool(logging.get("Enabled")) is True else None,
        source_role=str((source or {}).get("RoleARN") or ""),
        role=str(dest.get("RoleARN") or ""),
    )


def _check_keys(value: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValueError(f"{where}: {unknown} not implemented by the emulator")


def _processors(processing: dict[str, Any], dynamic: bool) -> tuple[list[Any], bytes | None]:
    where = "ExtendedS3DestinationConfiguration.ProcessingConfiguration"
    if as_bool(processing.get("Enabled", False)) is not True:
        return [], None
    queries: list[Any] = []
    delimiter = None
    for proc in processing.get("Processors") or []:
        kind = proc.get("Type")
        params = {p["ParameterName"]: p["ParameterValue"] for p in proc.get("Parameters") or []}
        if kind == "MetadataExtraction":
            if not dynamic:
                raise ValueError(f"{where}: MetadataExtraction needs DynamicPartitioningConfiguration.Enabled")
            engine = params.get("JsonParsingEngine", "JQ-1.6")
            if engine != "JQ-1.6":
                raise ValueError(f"{where}: JsonParsingEngine {engine!r} is not JQ-1.6")
            query = params.get("MetadataExtractionQuery")
            if not query:
                raise ValueError(f"{where}: MetadataExtraction needs a MetadataExtractionQuery")
            try:
                queries.append(jq.compile(query))
            except ValueError as e:
                raise ValueError(f"{where}: MetadataExtractionQuery {query!r} does not compile: {e}") from None
        elif kind == "AppendDelimiterToRecord":
            # The delimiter as written (escapes such as \\n allowed); default a newline.
            raw = params.get("Delimiter")
            delimiter = codecs.decode(raw, "unicode_escape").encode("utf-8") if raw else b"\n"
        else:
            raise ValueError(f"{where}: processor type {kind!r} is not implemented by the emulator")
    return queries, delimiter
