#!/usr/bin/env python3
"""The joins stack's scale experiment (issue 16, Performance) on the emulator,
through the deployed stack: the seed's experiment (orders and two items per
order, 1,000 products, 2 shards; all items enriched and stored; at most 1.3 s
from ingestion to DynamoDB) scaled to this machine.

Usage (the venv's Python: boto3): bench/joins_scale.py [--orders N] [--rate R]
    [--exe streamkit] [--producer streamkit-producer] [--dist-dir DIR] [--out FILE]
    [--baseline REF] [--profile FILE]

With --baseline REF (a git commit or branch) the same experiment runs twice,
back to back in the same conditions: first on the emulator as it was at REF
(`git archive REF emulator`), then on this checkout's; the first run's
figures are kept under "baseline" (with the REF and its commit).

It starts a strict emulator on a free port (stopped by PID at the end),
`streamkit deploy --pattern joins` (ShardCount 2, the template's defaults:
W = 60 s, batch 500) with a release dist, runs the real producer (`--kind
orders --count N --rate R`, its default disorder: 10% of orders' items first)
against the deployed stream and lets the deployed join Lambda (event source
mapping) write the output table, polling DescribeTable until every item is
there (or the pipeline stops making progress). Without --exe/--producer/
--dist-dir it builds them (release) first.

Measured:
* items/s end to end: items / (last `writtenAt` - first `event_ts`);
* latency per item = `writtenAt` (the processor's time when it wrote the
  row, just before its PutItem) - `event_ts` (the Kinesis approximate arrival
  time of the later of the item and its order, the original's ROWTIME): p50,
  p99, max, beside the seed's 1.3 s maximum;
* where the time goes: the emulator's AWS/Lambda Duration and IteratorAge,
  AWS/DynamoDB SuccessfulRequestLatency per table and operation (the time
  the emulator spent serving them) and Consumed*CapacityUnits (per record:
  the cost model's units), and the CPU seconds of the emulator and of the
  function processes it runs.
Writes the figures as JSON to --out (default bench/results/joins-scale.json),
which bench/report.py renders into BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/streamkit-target"))
SEED_MAX_LATENCY_S = 1.3
STALL_S = 90


def build(work: str) -> tuple[str, str, str]:
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "streamkit", "-p", "streamkit-producer"],
                   cwd=ROOT, check=True, env=env)
    exe = os.path.join(TARGET, "release", "streamkit")
    arch = "x86_64" if platform.machine() in ("x86_64", "AMD64") else "arm64"
    dist = os.path.join(work, "deployment")
    compare.check([exe, "build-dist", "--bucket", compare.BUCKET_BASE, "--solution", "streamkit",
                   "--version", compare.VERSION, "--arch", arch, "--pattern", "joins", "--out", dist], env)
    return exe, os.path.join(TARGET, "release", "streamkit-producer"), dist


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and its descendants (live ones, plus
    what ended children left in the parents' cutime/cstime)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(name)] = fields
        children.setdefault(int(fields[1]), []).append(int(name))
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        f = stats.get(pid)
        if f:
            total += sum(int(x) for x in f[11:15]) / tick  # utime stime cutime cstime
        todo.extend(children.get(pid, []))
    return total


def own_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def metric(cw, namespace: str, name: str, dims: dict[str, str], stat: str, start, end) -> float:
    points = cw.get_metric_statistics(
        Namespace=namespace, MetricName=name, StartTime=start, EndTime=end, Period=60,
        Statistics=[stat], Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()])["Datapoints"]
    values = [p[stat] for p in points]
    if not values:
        return 0.0
    return max(values) if stat == "Maximum" else sum(values)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def iso_ms(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def scan_rows(ddb, table: str) -> list[tuple[float, float]]:
    rows = []
    for page in ddb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression="event_ts, writtenAt"):
        rows += [(iso_ms(i["event_ts"]["S"]), iso_ms(i["writtenAt"]["S"])) for i in page["Items"]]
    return rows


def missing_items(session, endpoint: str, o: dict, orders_expected: int, limit: int = 5) -> list[dict]:
    """Each order the output table holds fewer than two rows of (at most
    `limit`), with what the stack knows about it: the stored item ids, its
    records on the stream (shard, sequence, arrival), the state store's
    waiting and held lists naming it, the S3 objects under the unmatched,
    late and rejected prefixes that mention it, and the function's log
    lines that do. Kept in the results so that a lost item can be traced
    after the emulator has stopped."""
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    stored: dict[int, list[int]] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=o["OutputTableName"],
                                                   ProjectionExpression="orderId, itemId"):
        for i in page["Items"]:
            stored.setdefault(int(i["orderId"]["N"]), []).append(int(i["itemId"]["N"]))
    short = sorted(k for k, v in stored.items() if len(v) < 2)
    if len(stored) < orders_expected:
        ids = sorted(stored)
        short += [n for n in range(ids[0], ids[-1] + 1) if n not in stored][: limit]
    out = []
    if not short:
        return out
    wanted = short[:limit]
    needles = {n: f'"orderId":{n},' for n in wanted}
    kinesis = session.client("kinesis", endpoint_url=endpoint)
    records: dict[int, list[dict]] = {n: [] for n in wanted}
    for shard in kinesis.list_shards(StreamName=o["StreamName"])["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=o["StreamName"], ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            got = kinesis.get_records(ShardIterator=it, Limit=10_000)
            for r in got["Records"]:
                text = r["Data"].decode("utf-8", "replace")
                for n, needle in needles.items():
                    if needle in text:
                        records[n].append({"shard": shard["ShardId"], "sequence": r["SequenceNumber"],
                                           "arrival": r["ApproximateArrivalTimestamp"].isoformat(),
                                           "data": text})
            it = got.get("NextShardIterator") if got["Records"] or got.get("MillisBehindLatest") else None
    state: dict[int, list[dict]] = {n: [] for n in wanted}
    for page in ddb.get_paginator("scan").paginate(TableName=o["StateTableName"]):
        for i in page["Items"]:
            body = i.get("body", {}).get("S", "")
            for n in wanted:
                if f"[{n}," in body and not i["pk"]["S"].startswith("p#"):
                    state[n].append({"pk": i["pk"]["S"], "sk": i["sk"]["S"], "body": body[:2000]})
            if i["pk"]["S"] in ("shard", "emit"):
                for n in wanted:
                    state[n].append({k: v for k, v in i.items() if k in ("pk", "sk", "seq", "wm", "ct", "ready",
                                                                          "closing", "open")})
    s3 = session.client("s3", endpoint_url=endpoint)
    objects: dict[int, list[dict]] = {n: [] for n in wanted}
    for prefix in ("unmatched/", "late/", "rejected/"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=o["OutputBucketName"], Prefix=prefix):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=o["OutputBucketName"], Key=obj["Key"])["Body"].read().decode()
                for n, needle in needles.items():
                    lines = [line for line in body.splitlines() if needle in line or f'"orderId":{n}}}' in line]
                    if lines:
                        objects[n].append({"key": obj["Key"], "lines": lines[:10]})
    logs_client = session.client("logs", endpoint_url=endpoint)
    lam = session.client("lambda", endpoint_url=endpoint)
    group = (lam.get_function_configuration(FunctionName=o["ProcessorName"]).get("LoggingConfig") or {}).get(
        "LogGroup") or f"/aws/lambda/{o['ProcessorName']}"
    log_lines: dict[int, list[str]] = {n: [] for n in wanted}
    errors: list[str] = []
    try:
        for stream in logs_client.describe_log_streams(logGroupName=group)["logStreams"]:
            token = None
            while True:
                kw = {"logGroupName": group, "logStreamName": stream["logStreamName"], "startFromHead": True}
                if token:
                    kw["nextToken"] = token
                page = logs_client.get_log_events(**kw)
                for e in page["events"]:
                    msg = e["message"]
                    if any(w in msg for w in ("ERROR", "error", "retry", "failed")) and len(errors) < 50:
                        errors.append(msg[:500])
                    for n in wanted:
                        if any(f"{k}{n}" in msg and not msg[msg.index(f"{k}{n}") + len(f"{k}{n}"):][:1].isdigit()
                               for k in ('"orderId":', 'orderId=', '\\"orderId\\":')):
                            log_lines[n].append(msg[:500])
                if not page["events"] or page.get("nextForwardToken") == token:
                    break
                token = page.get("nextForwardToken")
    except ClientError as e:
        errors.append(f"logs: {e}")
    for n in wanted:
        out.append({"orderId": n, "stored_items": sorted(stored.get(n, [])), "records": records[n],
                    "state": state[n][:20], "s3": objects[n], "log_lines": log_lines[n][:20],
                    "function_errors": errors[:20]})
    return out


def failure_queue(session, endpoint: str, function: str, read: bool) -> dict:
    """The event source mapping's on-failure destination (an SQS queue): how
    many batches it holds (records the mapping gave up on after its retries,
    as Lambda sends them there: "Retaining records of asynchronous
    invocations"/"Kinesis on-failure destinations"), and, with `read`, up to
    ten of their messages (shard, sequence range, the reason)."""
    lam = session.client("lambda", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    out: dict = {"messages": 0, "read": []}
    for m in lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
        arn = ((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or ""
        if ":sqs:" not in arn:
            continue
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        out["messages"] += int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        if read and out["messages"]:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
            out["read"] += [msg["Body"][:3000] for msg in got.get("Messages", [])]
    return out


def load_average() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def baseline_emulator(ref: str, work: str) -> tuple[str, str]:
    """The emulator/ folder of commit `ref`, extracted under `work`; (its path, the commit)."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "emulator"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", work], input=archive, check=True)
    return os.path.join(work, "emulator"), commit


def run(exe: str, producer: str, dist: str, orders: int, rate: int, emulator_dir: str | None = None,
        profile: str | None = None) -> dict:
    python = compare.venv_python()
    load0 = load_average()
    emu = compare.Emulator(python, emulator_dir, ["--profile", profile] if profile else [])
    env = emu.env()
    work = tempfile.mkdtemp(prefix="streamkit-bench-joins-")
    try:
        compare.check([exe, "bootstrap", "--bucket-base", compare.BUCKET_BASE, "--regions", "us-east-1"], env)
        compare.check([exe, "deploy", "--pattern", "joins", "--yes", "--dist-dir", dist,
                       "--bucket-base", compare.BUCKET_BASE, "--solution", "streamkit",
                       "--solution-version", compare.VERSION, "--parameter", "ShardCount=2",
                       "--parameter", "ProcessorStartingPosition=TRIM_HORIZON"], env, cwd=work)
        out = json.loads(compare.check([exe, "outputs", "--pattern", "joins", "--output", "json"], env))
        o = out["outputs"]
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing",
                                aws_secret_access_key="testing")
        ddb = session.client("dynamodb", endpoint_url=emu.endpoint)
        cw = session.client("cloudwatch", endpoint_url=emu.endpoint)
        cpu0, emu_cpu0 = cpu_seconds(emu.proc.pid), own_cpu(emu.proc.pid)
        began = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.time()
        produced = compare.check(
            [producer, "--stream", o["StreamName"], "--kind", "orders", "--count", str(orders),
             "--rate", str(rate), "--seed", "1", "--products-out", "s3://" + o["OutputBucketName"]
             + "/reference/products.json"], env)
        produce_s = time.time() - t0
        if f"failed=0 " not in produced:
            raise RuntimeError(f"the producer did not deliver every record: {produced}")
        want = 2 * orders
        seen, last_change, count, failed_polls = -1, time.time(), 0, 0
        while True:
            try:
                count = ddb.describe_table(TableName=o["OutputTableName"])["Table"]["ItemCount"]
            except ClientError:  # the baseline emulator's DescribeTable could fail under PutItems (a 500)
                failed_polls += 1
                time.sleep(1.0)
                continue
            if count != seen:
                seen, last_change = count, time.time()
            if count >= want or time.time() - last_change > STALL_S:
                break
            time.sleep(1.0)
        done_s = time.time() - t0
        cpu, emu_cpu = cpu_seconds(emu.proc.pid) - cpu0, own_cpu(emu.proc.pid) - emu_cpu0
        rows = scan_rows(ddb, o["OutputTableName"])
        end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60)
        start = began - datetime.timedelta(seconds=60)
        lat = sorted(w - e for e, w in rows)
        first_put, last_write = min(e for e, _ in rows), max(w for _, w in rows)
        fn = {"FunctionName": o["ProcessorName"]}
        ddb_ops = {}
        for table, label in ((o["StateTableName"], "state"), (o["OutputTableName"], "output")):
            for op in ("Query", "GetItem", "TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"):
                dims = {"TableName": table, "Operation": op}
                n = metric(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", dims, "SampleCount", start, end)
                if n:
                    ms = metric(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", dims, "Sum", start, end)
                    ddb_ops[f"{label} {op}"] = {"calls": int(n), "seconds": round(ms / 1000, 1)}
        units = {
            label: {
                "write_units": metric(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits",
                                      {"TableName": table}, "Sum", start, end),
                "read_units": metric(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits",
                                     {"TableName": table}, "Sum", start, end),
            }
            for table, label in ((o["StateTableName"], "state"), (o["OutputTableName"], "output"))
        }
        records = 3 * orders
        lost = missing_items(session, emu.endpoint, o, orders) if len(rows) < want else []
        gave_up = failure_queue(session, emu.endpoint, o["ProcessorName"], read=len(rows) < want)
        return {
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "orders": orders, "items_expected": want, "items_stored": len(rows), "records": records,
            "shards": 2, "send_rate": rate, "produce_s": round(produce_s, 1),
            "put_rate": round(records / produce_s), "done_s": round(done_s, 1),
            "items_per_s": round(len(rows) / max(last_write - first_put, 1e-9)),
            "latency_s": {"p50": round(percentile(lat, 0.5), 3), "p99": round(percentile(lat, 0.99), 3),
                          "max": round(lat[-1], 3)},
            "seed_max_latency_s": SEED_MAX_LATENCY_S,
            "lambda": {
                "invocations": int(metric(cw, "AWS/Lambda", "Invocations", fn, "Sum", start, end)),
                "duration_s": round(metric(cw, "AWS/Lambda", "Duration", fn, "Sum", start, end) / 1000, 1),
                "max_duration_s": round(metric(cw, "AWS/Lambda", "Duration", fn, "Maximum", start, end) / 1000, 2),
                "max_iterator_age_s": round(metric(cw, "AWS/Lambda", "IteratorAge", fn, "Maximum", start, end)
                                            / 1000, 1),
            },
            "dynamodb": ddb_ops,
            "units_per_record": {
                "state_write": round(units["state"]["write_units"] / records, 2),
                "state_read": round(units["state"]["read_units"] / records, 2),
                "output_write_per_item": round(units["output"]["write_units"] / max(len(rows), 1), 2),
            },
            "cpu_s": {"emulator": round(emu_cpu, 1), "functions_and_rest": round(cpu - emu_cpu, 1),
                      "wall": round(done_s, 1)},
            # The machine's 1-minute load average at the start and the end: other
            # work on the machine takes CPU from the emulator and the function.
            "load_average": {"start": load0[0], "end": load_average()[0]},
            "failed_polls": failed_polls,
            # Orders with a row missing, and what the stack knows of them (see missing_items).
            "missing": lost,
            # Batches the mapping gave up on (its on-failure destination), read when rows are missing.
            "on_failure": gave_up,
        }
    finally:
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=50_000, help="orders (each with two items)")
    ap.add_argument("--rate", type=int, default=1_000, help="records/s the producer sends (2 shards take 2,000)")
    ap.add_argument("--exe")
    ap.add_argument("--producer")
    ap.add_argument("--dist-dir")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "joins-scale.json"))
    ap.add_argument("--profile", metavar="FILE",
                    help="profile this checkout's emulator (per-thread CPU, cProfile) into FILE: python -m pstats FILE")
    ap.add_argument("--baseline", metavar="REF",
                    help="first run the same experiment on the emulator of this git commit or branch")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="streamkit-bench-joins-dist-")
    try:
        if args.exe and args.producer and args.dist_dir:
            exe, producer, dist = args.exe, args.producer, args.dist_dir
        else:
            exe, producer, dist = build(work)
        baseline = None
        if args.baseline:
            emulator_dir, commit = baseline_emulator(args.baseline, work)
            baseline = run(exe, producer, dist, args.orders, args.rate, emulator_dir)
            baseline["ref"], baseline["commit"] = args.baseline, commit
        result = run(exe, producer, dist, args.orders, args.rate, profile=args.profile)
        if baseline:
            result["baseline"] = baseline
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
