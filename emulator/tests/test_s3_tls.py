"""TLS-only bucket policies: the local endpoint counts as secure for loopback
requests; the policy's other statements are still enforced."""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError


def tls_only(bucket: str, *extra: dict) -> str:
    """The stacks' bucket policy (templates/storage/output-bucket.yaml), plus `extra` statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        *extra,
    ]})


def new_bucket(aws, policy) -> str:
    name = f"tls-{uuid.uuid4().hex[:10]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=policy(name))
    return name


def test_a_loopback_write_into_a_tls_only_bucket_succeeds(aws):
    bucket = new_bucket(aws, tls_only)
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="data/a.parquet", Body=b"rows")
    assert s3.get_object(Bucket=bucket, Key="data/a.parquet")["Body"].read() == b"rows"
    s3.delete_object(Bucket=bucket, Key="data/a.parquet")


def test_the_other_statements_of_the_policy_are_still_enforced(aws):
    def policy(name: str) -> str:
        return tls_only(name, {"Sid": "NoLocked", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                               "Resource": f"arn:aws:s3:::{name}/locked/*"})

    bucket = new_bucket(aws, policy)
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="open/x", Body=b"1")
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key="locked/x", Body=b"1")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_conditions_are_evaluated_against_the_request(aws):
    def policy(name: str) -> str:
        return tls_only(name, {"Sid": "OnlyFromTenNet", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"arn:aws:s3:::{name}/*",
                               "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})

    bucket = new_bucket(aws, policy)
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=bucket, Key="k")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_request_from_another_host_is_not_secure_transport():
    from streamkit_emulator.s3 import policy as s3_policy
    from streamkit_emulator.s3.models import request_context

    remote = request_context(SimpleNamespace(remote_addr="192.0.2.10", scheme="http"))
    local = request_context(SimpleNamespace(remote_addr="127.0.0.1", scheme="http"))
    assert remote["aws:securetransport"] == "false" and local["aws:securetransport"] == "true"
    policy = tls_only("b")
    assert s3_policy.evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", remote) == "DENIED"
    assert s3_policy.evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", local) == "NEUTRAL"
