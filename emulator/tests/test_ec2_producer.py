"""The producer instance runs: an instance created from a launch template whose
user data (the shape of templates/producer/instance.yaml) installs a systemd
unit from a zip in S3 and starts it gets that unit's command line run by the
emulator, with the user data's own arguments and the emulator as its
endpoint; it stops with the stack, and dies with the emulator on SIGKILL."""
from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile

import boto3
import pytest

from conftest import ROOT

REGION = "us-east-1"
USER_DATA = """#!/bin/bash
# Installs streamkit-producer and its systemd unit; starts it when ProducerAutoStart is true.
set -euo pipefail
install -d -m 0755 /opt/streamkit
aws s3 cp --region ${AWS::Region} "s3://assets-${AWS::Region}/streamkit/test/producer-1.zip" /opt/streamkit/producer.zip
python3 -m zipfile -e /opt/streamkit/producer.zip /opt/streamkit/
chmod 0755 /opt/streamkit/streamkit-producer
rm -f /opt/streamkit/producer.zip
cat > /etc/systemd/system/streamkit-producer.service <<'UNIT'
[Unit]
Description=streamkit producer (ticks) writing to ${Stream}

[Service]
Type=exec
ExecStart=/opt/streamkit/streamkit-producer --stream ${Stream} --region ${AWS::Region} --kind ticks --rate ${ProducerRate} --duration ${ProducerDuration}
Restart=no
UNIT
systemctl daemon-reload
if [ "${ProducerAutoStart}" = "true" ]; then
  systemctl enable --now streamkit-producer.service
fi
"""


def fake_producer(report: str) -> bytes:
    """A zip holding `streamkit-producer`: reports how it was started, then runs until stopped."""
    script = f"""#!{sys.executable}
import json, os, sys, time
with open({report!r}, "w") as f:
    json.dump({{"argv": sys.argv[1:], "pid": os.getpid(), "env": dict(os.environ)}}, f)
while True:
    print("sent 10 records", flush=True)
    time.sleep(0.2)
"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("streamkit-producer", script)
    return buf.getvalue()


def template(grant: bool = True) -> dict:
    """The producer stack's shape: the instance's profile role may read the
    package object (`aws s3 cp` runs with it), unless `grant` is false."""
    params = {"ProducerAutoStart": {"Type": "String", "Default": "false"},
              "ProducerRate": {"Type": "Number", "Default": 100}, "ProducerDuration": {"Type": "String", "Default": "10m"}}
    action = "s3:GetObject" if grant else "s3:ListBucket"
    return {"Parameters": params, "Resources": {
        "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "package", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": action,
                "Resource": "arn:aws:s3:::assets-us-east-1/streamkit/test/producer-1.zip"}]}}]}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}},
        "LaunchTemplate": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "ImageId": "ami-12c6146b", "InstanceType": "t3.small",
            "IamInstanceProfile": {"Arn": {"Fn::GetAtt": ["Profile", "Arn"]}},
            "UserData": {"Fn::Base64": {"Fn::Sub": USER_DATA}}}}},
        "Instance": {"Type": "AWS::EC2::Instance", "Properties": {"LaunchTemplate": {
            "LaunchTemplateId": {"Ref": "LaunchTemplate"},
            "Version": {"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]}}}},
    }, "Outputs": {"InstanceId": {"Value": {"Ref": "Instance"}}, "StreamName": {"Value": {"Ref": "Stream"}}}}


def deploy(endpoint: str, name: str, autostart: str, tmp_path, grant: bool = True) -> tuple[dict, str]:
    report = str(tmp_path / f"{name}.json")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    if "assets-us-east-1" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="assets-us-east-1")
    s3.put_object(Bucket="assets-us-east-1", Key="streamkit/test/producer-1.zip", Body=fake_producer(report))
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template(grant)), Capabilities=["CAPABILITY_IAM"], Parameters=[
        {"ParameterKey": "ProducerAutoStart", "ParameterValue": autostart},
        {"ParameterKey": "ProducerRate", "ParameterValue": "37"}])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}, report


def wait_for(check, what: str, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while not (got := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return got


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is not running
        return f.read().split(") ", 1)[1][0] != "Z"


def read_report(report: str) -> dict | None:
    try:
        with open(report) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def test_the_producer_runs_with_the_user_data_arguments_and_stops_with_the_stack(endpoint, tmp_path):
    out, report = deploy(endpoint, "producer-on", "true", tmp_path)
    started = wait_for(lambda: read_report(report), "the producer to start")
    assert started["argv"] == ["--stream", out["StreamName"], "--region", REGION, "--kind", "ticks",
                               "--rate", "37", "--duration", "10m"]
    assert started["env"]["AWS_ENDPOINT_URL"] == endpoint and started["env"]["AWS_REGION"] == REGION
    logs = boto3.client("logs", endpoint_url=endpoint, region_name=REGION)
    stream = f"{out['InstanceId']}/streamkit-producer"
    events = lambda: logs.filter_log_events(logGroupName="/streamkit/emulator/instances",  # noqa: E731
                                            logStreamNames=[stream])["events"]
    assert "streamkit-producer --stream" in events()[0]["message"]
    wait_for(lambda: any("sent 10 records" in e["message"] for e in events()), "producer output in the log")
    assert alive(started["pid"])
    boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION).delete_stack(StackName="producer-on")
    wait_for(lambda: not alive(started["pid"]), "the producer to stop with the stack")


def test_the_package_is_fetched_with_the_instance_role_and_a_denied_fetch_starts_nothing(endpoint, tmp_path):
    """`aws s3 cp` in the user data runs with the instance profile's session
    ("IAM roles for Amazon EC2"): without s3:GetObject on the package it gets
    AccessDenied, the script stops (set -e) and no producer runs."""
    out, report = deploy(endpoint, "producer-denied", "true", tmp_path, grant=False)
    logs = boto3.client("logs", endpoint_url=endpoint, region_name=REGION)
    stream = f"{out['InstanceId']}/streamkit-producer"
    events = lambda: logs.filter_log_events(logGroupName="/streamkit/emulator/instances",  # noqa: E731
                                            logStreamNames=[stream])["events"]
    message = wait_for(lambda: events(), "the instance log")[0]["message"]
    assert "did not start" in message and "AccessDenied" in message and "s3:GetObject" in message, message
    assert read_report(report) is None
    boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION).delete_stack(StackName="producer-denied")


def test_the_producer_does_not_start_without_auto_start(endpoint, tmp_path):
    out, report = deploy(endpoint, "producer-off", "false", tmp_path)
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION)
    # Starting the instance again is what would run an enabled unit; this one is not enabled.
    ec2.stop_instances(InstanceIds=[out["InstanceId"]])
    ec2.start_instances(InstanceIds=[out["InstanceId"]])
    state = ec2.describe_instances(InstanceIds=[out["InstanceId"]])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "running" and read_report(report) is None


def test_stopping_and_starting_the_instance_stops_and_restarts_the_producer(endpoint, tmp_path):
    out, report = deploy(endpoint, "producer-cycle", "true", tmp_path)
    first = wait_for(lambda: read_report(report), "the producer to start")
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION)
    ec2.stop_instances(InstanceIds=[out["InstanceId"]])
    wait_for(lambda: not alive(first["pid"]), "the producer to stop with the instance")
    os.remove(report)
    ec2.start_instances(InstanceIds=[out["InstanceId"]])
    second = wait_for(lambda: read_report(report), "the producer to start again")
    assert second["pid"] != first["pid"] and second["argv"] == first["argv"]
    ec2.terminate_instances(InstanceIds=[out["InstanceId"]])
    wait_for(lambda: not alive(second["pid"]), "the producer to stop on terminate")


def test_the_producer_dies_with_the_emulator_even_on_sigkill(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "server.py"), "--port", str(port), "--strict"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(endpoint), "the second emulator to start", 60)
        _, report = deploy(endpoint, "producer-orphan", "true", tmp_path)
        started = wait_for(lambda: read_report(report), "the producer to start")
        server.send_signal(signal.SIGKILL)
        server.wait()
        wait_for(lambda: not alive(started["pid"]), "the producer to die with the emulator")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _answers(endpoint: str) -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=2)
        return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
