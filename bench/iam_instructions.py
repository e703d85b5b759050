#!/usr/bin/env python3
"""IAM's cost per request in instructions (issue 23: goal <= 10%), a figure
that does not move with the machine's load as CPU time does.

Usage (the venv's Python): bench/iam_instructions.py [--calls N] [--json]

For each call (Kinesis PutRecord, S3 PutObject, DynamoDB PutItem) and each
setting (`--iam on`, `--iam off`) the emulator runs in-process under
valgrind's cachegrind: the whole emulator installed as `python -m
streamkit_emulator` installs it, its WSGI application (IAM, routing, the fast
path, moto) served the same signed requests an SDK sends, as an assumed-role
session whose role has a policy of the stacks' shape (the statements of
bench/iam_overhead.py). The instructions of one call are (instructions with
N+10 calls - with 10 calls) / N, less the same difference for a run that
only builds and signs the requests, so start-up and the harness's own work
cancel out. The cost is on/off - 1."""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("kinesis PutRecord", "s3 PutObject", "dynamodb PutItem")


def child(kind: str, iam: str, calls: int, serve: bool) -> None:
    """The in-process run valgrind measures."""
    import hashlib
    import urllib.parse
    import xml.etree.ElementTree as ET

    sys.path.insert(0, os.path.join(ROOT, "emulator"))
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import EnvironBuilder

    from streamkit_emulator import install

    install(strict=True, iam=iam == "on")
    app = DomainDispatcherApplication(create_backend_app)
    admin = Credentials("testing", "testing")

    def environ(service, data, headers, creds, method="POST", path="/"):
        r = AWSRequest(method, "http://127.0.0.1:4566" + path, data=data, headers=headers)
        if service == "s3":
            r.headers["X-Amz-Content-SHA256"] = hashlib.sha256(data).hexdigest()
            r.context["payload_signing_enabled"] = True
            S3SigV4Auth(creds, service, "us-east-1").add_auth(r)
        else:
            SigV4Auth(creds, service, "us-east-1").add_auth(r)
        e = EnvironBuilder(path=path, method=method, headers=dict(r.headers.items()), data=data,
                           base_url="http://127.0.0.1:4566").get_environ()
        e["RAW_URI"] = path
        return e

    def call(e):
        status = []
        body = b"".join(app(e, lambda s, h, x=None: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{kind}: {status[0]} {body[:300]!r}")
        return body

    def query(service, params):
        return call(environ(service, urllib.parse.urlencode(params).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, admin))

    def target(service, version, op, body, creds):
        prefix = {"dynamodb": "DynamoDB_20120810", "kinesis": "Kinesis_20131202"}[service]
        return environ(service, json.dumps(body).encode(),
                       {"Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": f"{prefix}.{op}"}, creds)

    call(target("dynamodb", "1.0", "CreateTable", {
        "TableName": "bench", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}, admin))
    call(target("kinesis", "1.1", "CreateStream", {"StreamName": "bench", "ShardCount": 4}, admin))
    call(environ("s3", b"", {}, admin, "PUT", "/bench-out"))
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import iam_overhead

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    query("iam", {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "bench",
                  "AssumeRolePolicyDocument": json.dumps(trust)})
    query("iam", {"Action": "PutRolePolicy", "Version": "2010-05-08", "RoleName": "bench", "PolicyName": "p",
                  "PolicyDocument": json.dumps(iam_overhead.POLICY)})
    answer = ET.fromstring(query("sts", {"Action": "AssumeRole", "Version": "2011-06-15", "RoleSessionName": "bench",
                                         "RoleArn": "arn:aws:iam::123456789012:role/bench"}))
    ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
    creds = Credentials(*(answer.find(f".//s:{t}", ns).text for t in ("AccessKeyId", "SecretAccessKey", "SessionToken")))
    if kind.startswith("kinesis"):
        requests = [target("kinesis", "1.1", "PutRecord", {"StreamName": "bench", "Data": "eHh4eHh4eHh4eA==",
                                                            "PartitionKey": str(i)}, creds) for i in range(calls)]
    elif kind.startswith("s3"):
        requests = [environ("s3", b"x" * 100, {"Content-Type": "binary/octet-stream"}, creds, "PUT",
                            f"/bench-out/data/{i}") for i in range(calls)]
    else:
        requests = [target("dynamodb", "1.0", "PutItem", {"TableName": "bench", "Item": {"pk": {"S": str(i)}}}, creds)
                    for i in range(calls)]
    if serve:
        for e in requests:
            call(e)


def instructions(kind: str, iam: str, calls: int, serve: bool, work: str) -> int:
    out = os.path.join(work, "cachegrind.out")
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
                          sys.executable, os.path.abspath(__file__), "--child", kind, iam, str(calls),
                          "serve" if serve else "build"], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"bench/iam_instructions.py: the {kind} run (IAM {iam}) failed:\n{run.stderr[-2000:]}")
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if not found:
        raise SystemExit(f"bench/iam_instructions.py: no instruction count from valgrind:\n{run.stderr[-1000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, iam, calls, mode = args.child
        child(kind, iam, int(calls), mode == "serve")
        return 0
    if shutil.which("valgrind") is None:
        print("bench/iam_instructions.py: needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    figures = {}
    with tempfile.TemporaryDirectory() as work:
        for kind in KINDS:
            per_call = {}
            for iam in ("on", "off"):
                counts = {(n, serve): instructions(kind, iam, n, serve, work)
                          for n in (10, 10 + args.calls) for serve in (True, False)}
                served = counts[(10 + args.calls, True)] - counts[(10, True)]
                built = counts[(10 + args.calls, False)] - counts[(10, False)]
                per_call[iam] = (served - built) / args.calls
            figures[kind] = per_call
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        for line in table(figures, args.calls):
            print(line)
    return 0


def table(figures: dict, calls: int) -> list[str]:
    lines = [f"| call ({calls} per run, in-process, cachegrind) | IAM off instructions/call | "
             "IAM on instructions/call | cost |", "|---|---|---|---|"]
    for kind, f in figures.items():
        lines.append(f"| {kind} | {f['off'] / 1e6:.3f} M | {f['on'] / 1e6:.3f} M | {f['on'] / f['off'] - 1:+.1%} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
