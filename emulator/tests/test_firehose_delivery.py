"""Firehose delivery from Kinesis to S3, driven tick by tick in-process (moto's
backends under `mock_aws`, a test clock) so buffering is checked exactly:
size and interval thresholds, prefixes and timestamp namespaces, dynamic
partitioning with jq, every compression format read back with decoders written
here, and the error output."""
from __future__ import annotations

import base64
import gzip
import io
import json
import re
import struct
import time
import zipfile
from datetime import datetime, timedelta, timezone

import boto3
import cramjam
import pytest
from moto import mock_aws

from streamkit_emulator.firehose import config as firehose_config
from streamkit_emulator.firehose.delivery import Delivery

ACCOUNT, REGION = "123456789012", "us-east-1"
TIME_PREFIX = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def aws(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="src", ShardCount=1)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="out")
        yield kinesis


def delivery(dest: dict, clock: Clock) -> Delivery:
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/src"
    base = {"BucketARN": "arn:aws:s3:::out", "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/r"}
    cfg = firehose_config.parse({"KinesisStreamARN": arn}, {**base, **dest})
    start = datetime.now(timezone.utc) - timedelta(seconds=5)
    return Delivery(ACCOUNT, REGION, "fh", "1", cfg, start, clock=clock)


def put(kinesis, *payloads: bytes) -> list[dict]:
    """Puts the records one by one, in order, waiting out the shard's write
    limit (1 MiB/s, enforced when `kinesis_metrics` is installed)."""
    deadline = time.monotonic() + 30
    for p in payloads:
        while True:
            try:
                kinesis.put_record(StreamName="src", Data=p, PartitionKey="k")
                break
            except kinesis.exceptions.ProvisionedThroughputExceededException:
                assert time.monotonic() < deadline, "the stream kept refusing the records"
                time.sleep(0.2)  # the shard's per-second budget refills
    shard = kinesis.list_shards(StreamName="src")["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName="src", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return kinesis.get_records(ShardIterator=it)["Records"]


def objects(prefix: str = "") -> list[tuple[str, bytes, dict]]:
    s3 = boto3.client("s3", region_name=REGION)
    out = []
    for o in s3.list_objects_v2(Bucket="out", Prefix=prefix).get("Contents", []):
        got = s3.get_object(Bucket="out", Key=o["Key"])
        out.append((o["Key"], got["Body"].read(), got))
    return sorted(out)


def hour_prefix(when: datetime) -> str:
    return when.strftime("year=%Y/month=%m/day=%d/hour=%H/")


def test_a_buffer_flushes_when_it_reaches_size_in_mbs(aws):
    clock = Clock()
    d = delivery({"BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 900}, "CompressionFormat": "UNCOMPRESSED"}, clock)
    big = [bytes([65 + i]) * 400_000 for i in range(4)]
    put(aws, *big)
    d.tick()
    found = objects()
    assert len(found) == 1, [k for k, _, _ in found]
    # 3 x 400 kB is the first total at or above 1 MiB; the fourth record waits.
    assert found[0][1] == b"".join(big[:3])
    assert d.buffers[()].count == 1


def test_a_buffer_flushes_when_its_first_record_has_waited_interval_in_seconds(aws):
    clock = Clock()
    d = delivery({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60}, "CompressionFormat": "UNCOMPRESSED"}, clock)
    put(aws, b'{"n":1}', b'{"n":2}')
    d.tick()
    clock.t += 59.9
    d.tick()
    assert objects() == []
    clock.t += 0.1
    d.tick()
    (only,) = objects()
    assert only[1] == b'{"n":1}{"n":2}'


def test_the_time_prefix_uses_the_arrival_time_and_aws_object_names(aws):
    clock = Clock()
    d = delivery({"Prefix": "data/" + TIME_PREFIX, "ErrorOutputPrefix": "errors/" + TIME_PREFIX + "!{firehose:error-output-type}/",
                  "BufferingHints": {"IntervalInSeconds": 0}, "CompressionFormat": "GZIP"}, clock)
    (record,) = put(aws, b"hello")
    d.tick()
    (found,) = objects()
    arrival = record["ApproximateArrivalTimestamp"].astimezone(timezone.utc)
    pattern = r"fh-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz"
    assert re.fullmatch(re.escape("data/" + hour_prefix(arrival)) + pattern, found[0]), found[0]
    assert gzip.decompress(found[1]) == b"hello"
    assert found[2]["ContentEncoding"] == "gzip"


def test_a_prefix_without_timestamp_gets_the_default_time_part(aws):
    d = delivery({"Prefix": "raw/", "BufferingHints": {"IntervalInSeconds": 0}}, Clock())
    (record,) = put(aws, b"x")
    d.tick()
    (found,) = objects()
    arrival = record["ApproximateArrivalTimestamp"].astimezone(timezone.utc)
    assert found[0].startswith("raw/" + arrival.strftime("%Y/%m/%d/%H/") + "fh-1-"), found[0]


def dynamic(query: str) -> dict:
    return {
        "Prefix": "data/partition=!{partitionKeyFromQuery:partition}/" + TIME_PREFIX,
        "ErrorOutputPrefix": "errors/" + TIME_PREFIX + "!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0},
        "CompressionFormat": "UNCOMPRESSED",
        "DynamicPartitioningConfiguration": {"Enabled": True, "RetryOptions": {"DurationInSeconds": 300}},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "MetadataExtraction", "Parameters": [
            {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]},
    }


def test_dynamic_partitioning_groups_records_by_the_jq_query(aws):
    d = delivery(dynamic("{partition: .TICKER}"), Clock())
    ticks = [{"TICKER": t, "PRICE": p} for t, p in [("AMZN", 1.5), ("MSFT", 2), ("AMZN", 3)]]
    put(aws, *[json.dumps(t).encode() for t in ticks])
    d.tick()
    by_ticker = {}
    for key, body, _ in objects("data/"):
        m = re.match(r"data/partition=([A-Z]+)/year=\d{4}/month=\d{2}/day=\d{2}/hour=\d{2}/fh-1-", key)
        assert m, key
        by_ticker[m.group(1)] = body
    assert by_ticker == {
        "AMZN": json.dumps(ticks[0]).encode() + json.dumps(ticks[2]).encode(),
        "MSFT": json.dumps(ticks[1]).encode(),
    }


def test_records_the_jq_query_cannot_partition_go_to_the_error_prefix(aws):
    d = delivery(dynamic("{partition: .TICKER}"), Clock())
    bad = [b"not json", b'{"PRICE": 1}']
    records = put(aws, bad[0], b'{"TICKER": "AAPL"}', bad[1])
    d.tick()
    (err,) = objects("errors/")
    assert re.match(r"errors/year=\d{4}/month=\d{2}/day=\d{2}/hour=\d{2}/processing-failed/fh-1-", err[0]), err[0]
    lines = [json.loads(line) for line in err[1].decode().splitlines()]
    assert [base64.b64decode(line["rawData"]) for line in lines] == bad
    for line, record in zip(lines, [records[0], records[2]]):
        assert line["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
        assert line["attemptsMade"] == 1 and line["errorMessage"]
        assert line["arrivalTimestamp"] == int(record["ApproximateArrivalTimestamp"].timestamp() * 1000)
    (good,) = objects("data/")
    assert good[0].startswith("data/partition=AAPL/") and good[1] == b'{"TICKER": "AAPL"}'


def test_append_delimiter_to_record_adds_a_newline(aws):
    d = delivery({"BufferingHints": {"IntervalInSeconds": 0}, "ProcessingConfiguration": {
        "Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]}}, Clock())
    put(aws, b'{"a":1}', b'{"a":2}')
    d.tick()
    (found,) = objects()
    assert found[1] == b'{"a":1}\n{"a":2}\n'


# Decoders written from the format descriptions, independent of the emulator's encoders.
def xerial(body: bytes) -> bytes:
    assert body[:8] == b"\x82SNAPPY\x00" and struct.unpack(">ii", body[8:16]) == (1, 1)
    out, pos = b"", 16
    while pos < len(body):
        (n,) = struct.unpack(">i", body[pos:pos + 4])
        out += bytes(cramjam.snappy.decompress_raw(body[pos + 4:pos + 4 + n]))
        pos += 4 + n
    return out


def hadoop(body: bytes) -> bytes:
    out, pos = b"", 0
    while pos < len(body):
        (want,) = struct.unpack(">I", body[pos:pos + 4])
        pos, block = pos + 4, b""
        while len(block) < want:
            (n,) = struct.unpack(">I", body[pos:pos + 4])
            block += bytes(cramjam.snappy.decompress_raw(body[pos + 4:pos + 4 + n]))
            pos += 4 + n
        assert len(block) == want
        out += block
    return out


def unzip(body: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        (name,) = z.namelist()
        return z.read(name)


@pytest.mark.parametrize("fmt,ext,encoding,decode", [
    ("UNCOMPRESSED", "", None, lambda b: b),
    ("GZIP", ".gz", "gzip", gzip.decompress),
    ("ZIP", ".zip", "zip", unzip),
    ("Snappy", ".snappy", "snappy-java", xerial),
    ("HADOOP_SNAPPY", ".snappy", "hadoop-snappy", hadoop),
])
def test_each_compression_format_reads_back_to_the_records(aws, fmt, ext, encoding, decode):
    d = delivery({"CompressionFormat": fmt, "BufferingHints": {"IntervalInSeconds": 0}}, Clock())
    payloads = [json.dumps({"i": i, "pad": "x" * (i * 997 % 5000)}).encode() for i in range(300)]
    put(aws, *payloads)
    d.tick()
    (found,) = objects()
    assert found[0].endswith(ext) and (ext or not found[0].endswith((".gz", ".zip", ".snappy")))
    assert found[2].get("ContentEncoding") == encoding
    assert decode(found[1]) == b"".join(payloads)


@pytest.mark.parametrize("dest,named", [
    ({"DataFormatConversionConfiguration": {"Enabled": True}}, "DataFormatConversionConfiguration"),
    ({"ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda"}]}}, "'Lambda'"),
    ({"Prefix": "x/!{timestamp:QQQ}/"}, "'Q'"),
    ({"CompressionFormat": "BZIP2"}, "BZIP2"),
])
def test_settings_the_emulator_cannot_honour_are_refused_by_name(dest, named):
    with pytest.raises(ValueError) as err:
        firehose_config.parse({"KinesisStreamARN": "arn:aws:kinesis:r:a:stream/s"}, {"BucketARN": "arn:aws:s3:::b", **dest})
    assert named in str(err.value)
