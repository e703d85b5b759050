"""SigV4 verification of AWS_IAM methods against requests signed by botocore
(an independent implementation): the credentials the emulator knows (static
test keys, IAM users' access keys, STS sessions with their token), and the
refusals (wrong secret, wrong region or service, stale date, tampered body)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

from streamkit_emulator.apigateway.sigv4 import AuthError, verify

URL = "http://127.0.0.1:4566/_aws/execute-api/abc123/prod/predictFare?ride_request_id=7&b=x%20y"


def sign(creds: Credentials, body: bytes = b"{}", region: str = "us-east-1", service: str = "execute-api"):
    req = AWSRequest(method="POST", url=URL, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(creds, service, region).add_auth(req)
    headers = {k.lower(): v for k, v in req.headers.items()}
    headers["host"] = "127.0.0.1:4566"
    return headers


def check(headers: dict, body: bytes = b"{}", now: datetime | None = None):
    path, _, query = URL.split("://", 1)[1].partition("/")[2].partition("?")
    return verify("POST", "/" + path, query, headers, body, "us-east-1", now=now)


def test_the_static_test_credentials_act_as_the_account_root():
    caller = check(sign(Credentials("testing", "testing")))
    assert caller.user_arn == "arn:aws:iam::123456789012:root" and caller.access_key == "testing"


@mock_aws
def test_iam_user_keys_and_sts_sessions_are_known(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    caller = check(sign(Credentials(key["AccessKeyId"], key["SecretAccessKey"])))
    assert caller.user_arn.endswith(":user/alice")
    role = iam.create_role(RoleName="caller", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session = boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]
    creds = Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    caller = check(sign(creds))
    assert "assumed-role/caller/s1" in caller.user_arn and caller.caller.endswith(":s1")
    headers = sign(creds)
    headers["x-amz-security-token"] = "not-the-token"
    with pytest.raises(AuthError) as err:
        check(headers)
    assert err.value.error_type == "UnrecognizedClientException"


@pytest.mark.parametrize("headers,body,error_type", [
    (lambda: sign(Credentials("testing", "wrong")), b"{}", "InvalidSignatureException"),
    (lambda: sign(Credentials("testing", "testing"), region="eu-west-1"), b"{}", "InvalidSignatureException"),
    (lambda: sign(Credentials("testing", "testing"), service="s3"), b"{}", "InvalidSignatureException"),
    (lambda: sign(Credentials("testing", "testing")), b'{"tampered": 1}', "InvalidSignatureException"),
    (lambda: sign(Credentials("nobody", "x")), b"{}", "UnrecognizedClientException"),
    (lambda: {"host": "127.0.0.1:4566"}, b"{}", "MissingAuthenticationTokenException"),
])
def test_refusals_name_the_cause_as_aws_does(headers, body, error_type):
    with pytest.raises(AuthError) as err:
        check(headers(), body)
    assert err.value.error_type == error_type, err.value.message


def test_a_signature_older_than_five_minutes_has_expired():
    headers = sign(Credentials("testing", "testing"))
    with pytest.raises(AuthError) as err:
        check(headers, now=datetime.now(timezone.utc) + timedelta(minutes=6))
    assert err.value.message.startswith("Signature expired")
