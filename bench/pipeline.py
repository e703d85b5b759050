#!/usr/bin/env python3
"""Live pipelines on the emulator (issue 12, Performance): what a user of
`streamkit local up` gets, measured through deployed stacks and the real
binaries, for bench/run.

* pattern 1: records/s through the deployed consumer Lambda (its event source
  mapping on a 1-shard stream, a burst of N records from the real producer)
  and put -> processed latency (p50/p99/max) at a steady 200 records/s: per
  Kinesis record, the CloudWatch Logs timestamp of the consumer's "batch
  processed" line that covers it minus the record's ApproximateArrivalTimestamp
  (one shard: the stream's order is the processing order, so the running sum of
  the lines' `records` field says which line covers which record);
* pattern 2: time from the producer's first record to every record counted in
  Parquet (the window, lateness and the every-minute emitter included), and its
  records/s;
* idle CPU of the emulator and every function process it runs (the process
  tree's utime+stime from /proc over 60 s, no traffic) with patterns 1-4 and
  joins live, and that tree's resident memory (goal <= 2% of one core);
* with `local up` in the binary: wall time of
  `streamkit local up --pattern 2 --until-output` (warm build) to its first
  Parquet object.

Usage (the venv's Python): bench/pipeline.py --exe STREAMKIT --producer PRODUCER
    --dist-dir DIR [--records N] [--out FILE]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def until(what, deadline_s, probe, every=0.5):
    """Polls probe() until it returns a true value; raises after the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        v = probe()
        if v:
            return v
        if time.monotonic() > end:
            raise RuntimeError(f"bench/pipeline: timed out waiting for {what}")
        time.sleep(every)


def tree(pid):
    """pid and every descendant (from /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_s(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / TICKS


def rss_mib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Stack:
    def __init__(self, env, exe, dist_dir, pattern, name, params=()):
        args = [exe, "deploy", "--pattern", pattern, "--stack-name", name, "--dist-dir", dist_dir, "--yes"]
        for p in params:
            args += ["--parameter", p]
        compare.check(args, env)
        cfn = boto3.client("cloudformation")
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        res = cfn.describe_stack_resources(StackName=name)["StackResources"]
        self.resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in res}


def produce(env, producer, stream, count, rate, seed):
    out = compare.check([producer, "--stream", stream, "--count", str(count), "--rate", str(rate),
                         "--seed", str(seed)], env)
    if f"delivered={count} " not in out + " ":
        raise RuntimeError(f"streamkit-producer did not deliver {count} records: {out}")


def arrivals(stream):
    """ApproximateArrivalTimestamp (s) of every record of a 1-shard stream, in order."""
    k = boto3.client("kinesis")
    shard = k.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    while it:
        r = k.get_records(ShardIterator=it, Limit=10000)
        out += [rec["ApproximateArrivalTimestamp"].timestamp() for rec in r["Records"]]
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            break
        it = r.get("NextShardIterator")
    return out


def processed_lines(group):
    """(timestamp s, records) of each "batch processed" line in a function's log group."""
    logs = boto3.client("logs")
    out, kw = [], {}
    while True:
        r = logs.filter_log_events(logGroupName=group, **kw)
        for e in r["events"]:
            try:
                line = json.loads(e["message"])
            except ValueError:
                continue
            fields = line.get("fields", line)
            if fields.get("message") == "batch processed":
                out.append((e["timestamp"] / 1000, int(fields["records"])))
        if not r.get("nextToken"):
            return sorted(out)
        kw["nextToken"] = r["nextToken"]


def processed(group):
    """Kinesis records the consumer's log says it processed."""
    return sum(r for _, r in processed_lines(group))


def pattern1(env, exe, producer, dist_dir, records):
    s = Stack(env, exe, dist_dir, "1", "bench-p1", ["ShardCount=1"])
    stream, fn = s.outputs["StreamName"], s.resources["ConsumerLogGroup"]
    produce(env, producer, stream, records, 1_000_000, 1)

    def burst_done():
        on_stream = len(arrivals(stream))
        return on_stream if on_stream and processed(fn) >= on_stream else 0

    n = until("the burst's records processed", 600, burst_done, every=1.0)
    arr, lines = arrivals(stream), processed_lines(fn)
    burst = {"records": n, "seconds": lines[-1][0] - arr[0]}
    steady_n = 2000
    produce(env, producer, stream, steady_n, 200, 2)
    until("the steady records processed", 600,
          lambda: processed(fn) >= len(arrivals(stream)), every=1.0)
    arr, lines = arrivals(stream), processed_lines(fn)
    covered, lat = 0, []
    for ts, count in lines:
        for i in range(covered, covered + count):
            if i >= n:  # the steady phase's records only
                lat.append(ts - arr[i])
        covered += count
    lat.sort()
    return {
        "burst_records": burst["records"], "burst_seconds": burst["seconds"],
        "records_per_s": burst["records"] / burst["seconds"],
        "steady_rate": 200, "steady_records": len(lat),
        "latency_p50_ms": 1000 * statistics.median(lat),
        "latency_p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
        "latency_max_ms": 1000 * lat[-1],
    }


def parquet_rows(bucket):
    import duckdb
    s3 = boto3.client("s3")
    with tempfile.TemporaryDirectory() as d:
        n = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="data/"):
            for o in page.get("Contents", []):
                if o["Key"].endswith(".parquet"):
                    n += 1
                    s3.download_file(bucket, o["Key"], os.path.join(d, f"{n}.parquet"))
        if not n:
            return 0
        return duckdb.sql(f"""select sum("count") from read_parquet('{d}/*.parquet')""").fetchall()[0][0] or 0


def pattern2(env, exe, producer, dist_dir, records, vpc, subnet):
    s = Stack(env, exe, dist_dir, "2", "bench-p2",
              [f"ProducerVpcId={vpc}", f"ProducerSubnetId={subnet}", "ProducerAutoStart=false", "WindowSeconds=10",
               "AllowedLatenessSeconds=2", "IdleShardTimeoutSeconds=5"])
    stream, bucket = s.outputs["StreamName"], s.outputs["OutputBucketName"]
    boto3.client("s3").delete_bucket_policy(Bucket=bucket)  # TLS-only policy: the emulator is plain HTTP
    start = time.time()
    produce(env, producer, stream, records, 1000, 3)
    produced = time.time()
    def all_counted():
        n = parquet_rows(bucket)
        return n if n >= records else 0

    total = until("every record counted in Parquet", 600, all_counted, every=2.0)
    done = time.time()
    return {"records": records, "rows_counted": int(total), "produce_seconds": produced - start,
            "to_parquet_seconds": done - start, "records_per_s": records / (done - start)}


def idle(env, exe, dist_dir, pid, vpc, subnet):
    for pattern, params in (("3", []), ("4", [f"ProducerVpcId={vpc}", f"ProducerSubnetId={subnet}", "ProducerAutoStart=false"]),
                            ("joins", [])):
        Stack(env, exe, dist_dir, pattern, f"bench-{pattern}", params)
    time.sleep(5)  # let the deploys' own work settle before the idle window
    pids = tree(pid)
    c0, t0 = cpu_s(pids), time.monotonic()
    time.sleep(60)  # the measurement window itself (not a wait for data)
    pids = tree(pid)
    return {"idle_cpu_pct": 100 * (cpu_s(pids) - c0) / (time.monotonic() - t0),
            "processes": len(pids), "rss_mib": rss_mib(pids), "stacks": 5}


def local_up(exe, py):
    help_text = subprocess.run([exe, "local", "--help"], capture_output=True, text=True).stdout
    if " up " not in help_text and "\n  up" not in help_text:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, STREAMKIT_PYTHON=py)
    t, _ = compare.timed([exe, "local", "up", "--pattern", "2", "--until-output", "--port", str(port)], env)
    return {"seconds": t}


def run(exe, producer, dist_dir, records):
    py = compare.venv_python()
    emu = compare.Emulator(py)
    env = emu.env()
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        compare.check([exe, "bootstrap", "--bucket-base", compare.BUCKET_BASE], env)
        ec2 = boto3.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
        out = {"pattern1": pattern1(env, exe, producer, dist_dir, records),
               "pattern2": pattern2(env, exe, producer, dist_dir, records, vpc, subnet)}
        out["idle"] = idle(env, exe, dist_dir, emu.proc.pid, vpc, subnet)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        emu.stop()
    out["local_up"] = local_up(exe, py)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--producer", required=True)
    ap.add_argument("--dist-dir", required=True)
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--out")
    a = ap.parse_args()
    r = run(a.exe, a.producer, a.dist_dir, a.records)
    text = json.dumps(r, indent=2)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
