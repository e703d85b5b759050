#!/usr/bin/env python3
"""Emulator throughput with IAM enforced vs not (issue 23: goal <= 10% cost).

Usage: bench/iam_overhead.py [--runs N] [--calls N]

Starts two emulators on free ports (`--iam on`, `--iam off`), stopped by PID at
the end. On each, as an assumed-role session whose role has a policy of the
stacks' shape (statements with resources and a condition): N PutRecord calls,
N S3 PutObject calls and N DynamoDB PutItem calls, one client, serially.
Runs alternate on/off; each figure is calls per second, median with min and
max over the runs, and the cost is 1 - on/off of the medians. Beside it the
emulator's own CPU time per call (user + system of its process over the run,
/proc): on a machine shared with other work the wall-clock rate varies with
the load, the CPU per call much less; its cost is on/off - 1 of the medians. Decisions are
cached per (principal, action, resources, context) for up to a second
(emulator/streamkit_emulator/iam/enforce.py), so this measures the steady
state a pipeline sees."""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# The role's policy, of the stacks' shape (bench/iam_instructions.py uses it too).
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
     "Resource": "arn:aws:kinesis:us-east-1:123456789012:stream/bench"},
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bench-out/data/*"},
    {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/bench"},
    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
     "Condition": {"StringEquals": {"cloudwatch:namespace": "Bench"}}},
]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(iam: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "emulator", "server.py"), "--port", str(port),
                             "--strict", "--iam", iam], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"the emulator (--iam {iam}) did not start")
            time.sleep(0.1)


def setup(url: str):
    admin = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    cfg = Config(retries={"max_attempts": 1})
    c = lambda s: admin.client(s, endpoint_url=url, config=cfg)  # noqa: E731
    c("kinesis").create_stream(StreamName="bench", ShardCount=4)
    c("s3").create_bucket(Bucket="bench-out")
    c("dynamodb").create_table(TableName="bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    c("iam").create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))
    c("iam").put_role_policy(RoleName="bench", PolicyName="p", PolicyDocument=json.dumps(POLICY))
    creds = c("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/bench", RoleSessionName="bench")["Credentials"]
    s = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"], region_name="us-east-1")
    return lambda svc: s.client(svc, endpoint_url=url, config=cfg)  # noqa: E731


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def once(client, calls: int, pid: int) -> dict[str, tuple[float, float]]:
    """Per call kind: (calls/s, emulator CPU ms per call)."""
    kinesis, s3, ddb = client("kinesis"), client("s3"), client("dynamodb")
    out = {}
    for name, call in (
        ("kinesis PutRecord", lambda i: kinesis.put_record(StreamName="bench", Data=b"x" * 100, PartitionKey=str(i))),
        ("s3 PutObject", lambda i: s3.put_object(Bucket="bench-out", Key=f"data/{i}", Body=b"x" * 100)),
        ("dynamodb PutItem", lambda i: ddb.put_item(TableName="bench", Item={"pk": {"S": str(i)}})),
    ):
        call(-1)  # warm the connection
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        for i in range(calls):
            call(i)
        out[name] = (calls / (time.perf_counter() - t0), (cpu_seconds(pid) - c0) * 1000 / calls)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    procs = {}
    try:
        clients = {}
        for mode in ("on", "off"):
            procs[mode], url = start(mode)
            clients[mode] = setup(url)
        results: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}
        cpu: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}
        for _ in range(args.runs):
            for mode in ("on", "off"):
                for name, (rate, ms) in once(clients[mode], args.calls, procs[mode].pid).items():
                    results[mode].setdefault(name, []).append(rate)
                    cpu[mode].setdefault(name, []).append(ms)
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
    print(f"| call ({args.calls} per run, {args.runs} runs, alternating) | IAM off calls/s | IAM on calls/s | cost "
          "| IAM off emulator CPU ms/call | IAM on emulator CPU ms/call | CPU cost |")
    print("|---|---|---|---|---|---|---|")
    med = statistics.median
    for name in results["on"]:
        on, off = results["on"][name], results["off"][name]
        cost = 1 - med(on) / med(off)
        cpu_cost = med(cpu["on"][name]) / med(cpu["off"][name]) - 1
        fmt = lambda v: f"{med(v):.0f} ({min(v):.0f}-{max(v):.0f})"  # noqa: E731
        fms = lambda v: f"{med(v):.2f} ({min(v):.2f}-{max(v):.2f})"  # noqa: E731
        print(f"| {name} | {fmt(off)} | {fmt(on)} | {cost * 100:+.1f}% | {fms(cpu['off'][name])} "
              f"| {fms(cpu['on'][name])} | {cpu_cost * 100:+.1f}% |")
    with open("/proc/loadavg") as f:
        print(f"\nMachine load (1-minute load average) at the end: {f.read().split()[0]} on {os.cpu_count()} cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
