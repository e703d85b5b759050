"""Runs the emulator in-process per test session (moto server on a free port)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import json
import platform

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


HOST_ARCH = "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"
OTHER_ARCH = "x86_64" if HOST_ARCH == "arm64" else "arm64"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*extra: str) -> tuple["subprocess.Popen[bytes]", str]:
    """A strict emulator server on a free port (with `extra` arguments); (process, endpoint URL)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "server.py"), "--port", str(port), "--strict", *extra],
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("STREAMKIT_EMULATOR_LOG") else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the emulator did not start")
            time.sleep(0.1)


def server_pair(variable: str, seed: int):
    """Two strict emulators seeded alike (`/moto-api/seed`), the first with
    `variable`=1 and the second with `variable`=0 (a switch of the code under
    comparison); yields their URLs and kills both by PID at the end."""
    started = []
    try:
        for value in ("1", "0"):
            previous = os.environ.get(variable)
            os.environ[variable] = value
            try:
                started.append(start_server())
            finally:
                if previous is None:
                    os.environ.pop(variable)
                else:
                    os.environ[variable] = previous
        for _, url in started:
            urllib.request.urlopen(urllib.request.Request(url + f"/moto-api/seed?a={seed}", method="POST"))
        yield [url for _, url in started]
    finally:
        for proc, _ in started:
            proc.kill()
            proc.wait()


def assumed_role_session(url: str, role: str, actions: list[str]):
    """Credentials of a session of a new role allowed only `actions` (boto3's Credentials)."""
    import boto3
    from botocore.credentials import Credentials

    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    iam = boto3.client("iam", **kw)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=role, PolicyName="only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    c = boto3.client("sts", **kw).assume_role(RoleArn=f"arn:aws:iam::123456789012:role/{role}",
                                              RoleSessionName=role)["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


@pytest.fixture(scope="session")
def endpoint() -> str:
    """A strict emulator server started for the session, killed by PID at the end."""
    proc, url = start_server()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    yield url
    proc.kill()
    proc.wait()


# ------------------------------------------------------------------ live-emulator helpers

FUNCTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "functions")


def package(name: str) -> bytes:
    """The zip of fixture function `functions/<name>/` plus the shared
    `lambda_client.py`, every entry mode 0755 as `streamkit build-dist` writes them."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        files = [(os.path.join(FUNCTIONS, name, f), f) for f in sorted(os.listdir(os.path.join(FUNCTIONS, name)))]
        files.append((os.path.join(FUNCTIONS, "lambda_client.py"), "lambda_client.py"))
        for path, arcname in files:
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
    return buf.getvalue()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    """Polls `condition()` until it returns something truthy (returned), or fails
    after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def string_key_table(dynamodb, prefix: str) -> str:
    """A new on-demand table keyed by the string `pk`; its name."""
    import uuid

    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return name


def log_messages(logs, group: str) -> list[str]:
    """Every message in a log group, oldest first (empty if it does not exist yet)."""
    try:
        events = logs.filter_log_events(logGroupName=group)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in sorted(events, key=lambda e: (e["timestamp"], int(e["eventId"])))]


@pytest.fixture(scope="session")
def aws(endpoint: str):
    """boto3 clients for us-east-1 of the session's emulator: `aws("lambda")`."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1}, read_timeout=120)

    def client(service: str, region: str = "us-east-1"):
        return boto3.client(service, endpoint_url=endpoint, region_name=region, config=config)

    return client


@pytest.fixture(scope="session")
def role(aws) -> str:
    """An execution role Lambda can assume, with what the emulator enforces for
    the fixture functions (they call no AWS API): the mappings' reads
    (AWSLambdaKinesisExecutionRole) and the on-failure destinations' sends."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}
    iam = aws("iam")
    arn = iam.create_role(RoleName="streamkit-test", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="streamkit-test",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
    destinations = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                    "Action": ["sqs:SendMessage", "sns:Publish", "s3:PutObject"]}]}
    iam.put_role_policy(RoleName="streamkit-test", PolicyName="on-failure", PolicyDocument=json.dumps(destinations))
    return arn


@pytest.fixture(scope="session")
def make_function(aws, role):
    """`make_function("echo", Timeout=5, ...)`: creates a provided.al2023
    function for the host architecture (`arch=` to change) from a fixture;
    returns its name."""
    import uuid

    def make(fixture: str, **extra) -> str:
        name = f"{fixture.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        aws("lambda").create_function(
            FunctionName=name, Runtime=extra.pop("runtime", "provided.al2023"), Handler="bootstrap", Role=role,
            Code={"ZipFile": package(fixture)}, Architectures=[extra.pop("arch", HOST_ARCH)], **extra,
        )
        return name

    return make
