#!/usr/bin/env python3
"""Times `streamkit dashboard --render` for the largest dashboard (pattern 4)
over 3 hours of 1-minute data against the emulator.

Usage: bench/dashboard_render.py [--runs N] [--exe PATH]

Starts the emulator on a free port (stopped by PID at the end), deploys
pattern 4 with placeholder code (empty zips, as the tests do), puts one
datapoint per minute for the last 3 hours on every metric the dashboard and
the stack's alarms read (about 50 metrics, 180 minutes each, a few samples per
minute), then runs `dashboard --render --since 3h` N times and prints the
median, min and max wall-clock time of the whole process. Run from the
repository root with the pinned venv (`source scripts/env.sh`); the default
binary is the release build in $CARGO_TARGET_DIR.
"""
import argparse
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/streamkit-target"))
EMPTY_ZIP = bytes([0x50, 0x4B, 0x05, 0x06] + [0] * 18)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_dist(work: str) -> None:
    regional = os.path.join(work, "deployment", "regional-s3-assets")
    os.makedirs(regional)
    os.makedirs(os.path.join(work, "deployment", "global-s3-assets"))
    assets = []
    for name in ("consumer", "enrichment", "fare-api", "processor", "producer", "replicator"):
        file = f"{name}-0123456789abcdef.zip"
        with open(os.path.join(regional, file), "wb") as f:
            f.write(EMPTY_ZIP)
        assets.append({"name": name, "file": file, "sha256": hashlib.sha256(EMPTY_ZIP).hexdigest(),
                       "size": len(EMPTY_ZIP),
                       "architecture": "arm64", "stacks": []})
    manifest = {"solution": "streamkit", "version": "bench", "bucket_base": "sk-bench-render",
                "key_prefix": "streamkit/bench/", "architecture": "arm64", "assets": assets, "templates": []}
    with open(os.path.join(work, "deployment", "manifest.json"), "w") as f:
        json.dump(manifest, f)


def metrics_of(cw, dashboard: str, alarms: list[str]) -> set:
    """(namespace, name, ((dim, value), ...)) of every metric the dashboard and alarms read."""
    found = set()
    body = json.loads(cw.get_dashboard(DashboardName=dashboard)["DashboardBody"])
    for w in body["widgets"]:
        previous: list = []
        for row in w.get("properties", {}).get("metrics", []):
            values = [v for v in row if isinstance(v, str)]
            if not values:
                continue
            values = [previous[i] if v == "." else v for i, v in enumerate(values)]
            previous = values
            found.add((values[0], values[1], tuple(zip(values[2::2], values[3::2]))))
    for a in cw.describe_alarms(AlarmNames=alarms)["MetricAlarms"]:
        if a.get("MetricName"):
            found.add((a["Namespace"], a["MetricName"], tuple((d["Name"], d["Value"]) for d in a["Dimensions"])))
    return found


def fill(cw, metrics: set, hours: int = 3) -> int:
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    data: dict[str, list] = {}
    for ns, name, dims in sorted(metrics):
        for minute in range(hours * 60):
            data.setdefault(ns, []).append({
                "MetricName": name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dims],
                "Values": [random.uniform(1, 100) for _ in range(3)],
                "Timestamp": now - timedelta(minutes=minute),
            })
    count = 0
    for ns, items in data.items():
        for i in range(0, len(items), 150):
            cw.put_metric_data(Namespace=ns, MetricData=items[i:i + 150])
            count += len(items[i:i + 150])
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--exe", default=os.path.join(TARGET, "release", "streamkit"))
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen([sys.executable, os.path.join(ROOT, "emulator", "server.py"), "--port", str(port),
                                 "--strict"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the emulator did not start")
                time.sleep(0.1)
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
        os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                 "AWS_DEFAULT_REGION")})
        work = tempfile.mkdtemp(prefix="sk-bench-render-")
        fake_dist(work)
        ec2 = boto3.client("ec2")
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        subprocess.run([args.exe, "deploy", "--pattern", "4", "--parameter", f"ProducerVpcId={vpc}",
                        "--parameter", f"ProducerSubnetId={subnet}", "--yes"], cwd=work, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cfn, cw = boto3.client("cloudformation"), boto3.client("cloudwatch")
        resources = cfn.describe_stack_resources(StackName="streamkit-pattern-4")["StackResources"]
        alarms = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::CloudWatch::Alarm"]
        metrics = metrics_of(cw, "streamkit-pattern-4-us-east-1", alarms)
        datums = fill(cw, metrics)
        cmd = [args.exe, "dashboard", "--pattern", "4", "--render", "--since", "3h", "--out",
               os.path.join(work, "pattern-4.html"), "--output", "json"]
        times, summary = [], {}
        for _ in range(args.runs):
            start = time.perf_counter()
            out = subprocess.run(cmd, cwd=work, env=env, check=True, capture_output=True, text=True).stdout
            times.append(time.perf_counter() - start)
            summary = json.loads(out)
        print(f"dashboard --render, pattern 4, 3 h of 1-minute data ({len(metrics)} metrics, {datums} datapoints put; "
              f"{summary['widgets']} widgets, {summary['series']} series, {summary['datapoints']} datapoints drawn): "
              f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, "
              f"n={len(times)})")
    finally:
        emulator.kill()
        emulator.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
