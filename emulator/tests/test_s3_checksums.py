"""S3 object checksums (`s3_checksums.py`): a given SHA-256/CRC32 value is
checked against the body (BadDigest, nothing stored) and returned by
HeadObject with ChecksumMode; expected values computed here with hashlib and
binascii, independently of the emulator."""
from __future__ import annotations

import base64
import binascii
import hashlib

import boto3
import pytest
from botocore.exceptions import ClientError


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture()
def s3(endpoint: str):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="sk-checksums")
    return client


def test_a_matching_sha256_is_stored_and_returned_with_checksum_mode(s3) -> None:
    body = b"the real zip"
    sha = _b64(hashlib.sha256(body).digest())
    put = s3.put_object(Bucket="sk-checksums", Key="good", Body=body, ChecksumSHA256=sha)
    assert put["ChecksumSHA256"] == sha
    head = s3.head_object(Bucket="sk-checksums", Key="good", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sha
    plain = s3.head_object(Bucket="sk-checksums", Key="good")
    assert "ChecksumSHA256" not in plain


def test_a_sha256_that_does_not_match_the_body_is_refused_and_nothing_stored(s3) -> None:
    claimed = _b64(hashlib.sha256(b"the real zip").digest())
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket="sk-checksums", Key="bad", Body=b"the real zi", ChecksumSHA256=claimed)
    assert err.value.response["Error"]["Code"] == "BadDigest"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    listed = s3.list_objects_v2(Bucket="sk-checksums", Prefix="bad")
    assert listed.get("KeyCount", 0) == 0


def test_crc32_is_checked_too(s3) -> None:
    body = b"records"
    crc = _b64(binascii.crc32(body).to_bytes(4, "big"))
    s3.put_object(Bucket="sk-checksums", Key="crc", Body=body, ChecksumCRC32=crc)
    head = s3.head_object(Bucket="sk-checksums", Key="crc", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket="sk-checksums", Key="crc2", Body=b"recordz", ChecksumCRC32=crc)
    assert err.value.response["Error"]["Code"] == "BadDigest"


def test_an_object_put_without_a_checksum_has_none_stored(s3) -> None:
    s3.put_object(Bucket="sk-checksums", Key="plain", Body=b"x")
    head = s3.head_object(Bucket="sk-checksums", Key="plain", ChecksumMode="ENABLED")
    assert "ChecksumSHA256" not in head
