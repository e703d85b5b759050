"""Comparisons on the local emulator for bench/run: each is streamkit (A)
against a reference tool (B), run interleaved A,B,A,B... in the same run,
reported as medians with min and max, and as the per-pair ratio B/A."""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUCKET_BASE = "streamkit-bench"
VERSION = "bench"


class Missing(Exception):
    """A compared tool is not installed: bench/run stops and names it."""


def venv_python():
    py = os.environ.get("STREAMKIT_PYTHON") or os.path.expanduser("~/.cache/streamkit-venv/bin/python")
    if not os.path.exists(py):
        raise Missing(f"the venv's Python ({py}): run `source scripts/env.sh` first (it installs moto, boto3 and cfn-lint)")
    for module, what in (("boto3", "boto3"), ("moto", "the emulator (moto)")):
        if subprocess.run([py, "-c", f"import {module}"], capture_output=True).returncode != 0:
            raise Missing(f"{what}: `import {module}` fails in {py}; run `source scripts/env.sh`")
    return py


def aws_cli():
    exe = shutil.which("aws")
    if not exe or subprocess.run([exe, "--version"], capture_output=True).returncode != 0:
        raise Missing("the aws CLI (`aws`): install it (pip install awscli, or AWS CLI v2) to run the comparisons")
    return exe


def check(cmd, env, cwd=ROOT, accept=None):
    """Runs cmd; on failure raises with its output (never a silent blank),
    unless its stderr contains `accept`."""
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0 and not (accept and accept in r.stderr):
        raise RuntimeError(f"`{' '.join(cmd)}` exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def timed(cmd, env, cwd=ROOT, accept=None):
    start = time.perf_counter()
    out = check(cmd, env, cwd, accept)
    return time.perf_counter() - start, out


class Emulator:
    def __init__(self, python, emulator_dir=None, extra=()):
        """`emulator_dir`: the emulator/ folder to run (default this checkout's;
        bench/joins_scale.py --baseline runs an earlier commit's beside it);
        `extra`: more emulator arguments (`--profile FILE`)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="streamkit-bench-emulator-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [python, os.path.join(emulator_dir or os.path.join(ROOT, "emulator"), "server.py"), "--host", "127.0.0.1",
             "--port", str(self.port), "--strict", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise Missing(f"the emulator (emulator/server.py) exited at start; see {self.log.name}")
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise Missing(f"the emulator (emulator/server.py) did not answer on {self.endpoint}; see {self.log.name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # by PID: only the process this harness started
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def env(self):
        return dict(os.environ, AWS_ENDPOINT_URL=self.endpoint, AWS_REGION="us-east-1",
                    AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
                    AWS_PAGER="")


def summary(times):
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times)}


def pair(a, b):
    ratios = [tb / ta for ta, tb in zip(a, b)]
    return {"a": summary(a), "b": summary(b), "ratio": summary(ratios)}


def interleave(runs, a, b):
    """a(i) and b(i) return elapsed seconds; called A,B,A,B..."""
    ta, tb = [], []
    for i in range(runs):
        ta.append(a(i))
        tb.append(b(i))
    return pair(ta, tb)


def run_all(exe, producer, dist_dir, runs, records):
    py = venv_python()
    aws = aws_cli()
    emu = Emulator(py)
    try:
        return _run_all(exe, producer, dist_dir, runs, records, py, aws, emu.env())
    finally:
        emu.stop()


def _run_all(exe, producer, dist_dir, runs, records, py, aws, env):
    results = {}
    work = tempfile.mkdtemp(prefix="streamkit-bench-cmp-")
    try:
        check([exe, "bootstrap", "--bucket-base", BUCKET_BASE, "--regions", "us-east-1,us-west-2"], env)
        template = os.path.join(work, "pattern-3.template.json")
        with open(template, "w") as f:
            f.write(check([exe, "synth", "--pattern", "3"], env))
        cfn = [aws, "cloudformation"]
        caps = ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]

        def delete(stack):
            check(cfn + ["delete-stack", "--stack-name", stack], env)
            check(cfn + ["wait", "stack-delete-complete", "--stack-name", stack], env)

        # (a) fresh stack
        def fresh_a(i):
            t, _ = timed([exe, "deploy", "--pattern", "3", "--stack-name", f"sk-fresh-{i}", "--yes"], env)
            delete(f"sk-fresh-{i}")
            return t

        def fresh_b(i):
            t, _ = timed(cfn + ["deploy", "--template-file", template, "--stack-name", f"cli-fresh-{i}"] + caps, env)
            delete(f"cli-fresh-{i}")
            return t

        results["fresh"] = interleave(runs, fresh_a, fresh_b)

        # (b) no-op deploy of the same stack
        check([exe, "deploy", "--pattern", "3", "--stack-name", "sk-noop", "--yes"], env)
        check(cfn + ["deploy", "--template-file", template, "--stack-name", "cli-noop"] + caps, env)
        results["noop"] = interleave(
            runs,
            lambda i: timed([exe, "deploy", "--pattern", "3", "--stack-name", "sk-noop", "--yes"], env)[0],
            # The emulator answers an empty change set with "No updates are to be
            # performed." at CreateChangeSet (AWS makes a FAILED change set the CLI
            # waits for): the CLI exits 255 there; that is its no-op answer.
            lambda i: timed(cfn + ["deploy", "--template-file", template, "--stack-name", "cli-noop",
                                   "--no-fail-on-empty-changeset"] + caps, env,
                            accept="No updates are to be performed")[0])

        # (c) no-op publish vs aws s3 sync of the same folder to the same bucket/prefix
        publish = [exe, "publish", "--dist-dir", dist_dir, "--regions", "us-east-1"]
        regional = f"s3://{BUCKET_BASE}-us-east-1/streamkit/{VERSION}/"
        glob = f"s3://{BUCKET_BASE}/streamkit/{VERSION}/"

        def sync():
            t1, _ = timed([aws, "s3", "sync", os.path.join(dist_dir, "regional-s3-assets"), regional], env)
            t2, _ = timed([aws, "s3", "sync", os.path.join(dist_dir, "global-s3-assets"), glob], env)
            return t1 + t2

        check(publish, env)
        sync()
        results["publish"] = interleave(runs, lambda i: timed(publish, env)[0], lambda i: sync())
        uploads = check([aws, "s3", "sync", "--dryrun", os.path.join(dist_dir, "regional-s3-assets"), regional], env)
        if uploads.strip():
            raise RuntimeError(f"aws s3 sync was not a no-op:\n{uploads}")

        # (d) producer vs boto3 PutRecord loop, same number of records
        outputs = json.loads(check([exe, "outputs", "--pattern", "3", "--stack-name", "sk-noop", "--output", "json"], env))
        stream = outputs["outputs"]["StreamName"]
        ref = os.path.join(HERE, "reference.py")

        def produce_a(i):
            t, out = timed([producer, "--stream", stream, "--region", "us-east-1", "--count", str(records),
                            "--rate", "1000000", "--seed", str(i)], env)
            if f"delivered={records} " not in out:
                raise RuntimeError(f"streamkit-producer did not deliver {records} records: {out}")
            return t

        results["produce"] = interleave(
            runs, produce_a,
            lambda i: timed([py, ref, "produce", "--stream", stream, "--count", str(records)], env)[0])

        # (e) replicator: streamkit local replicate vs per-record PutRecord + PutItem
        results["replicate"] = replicate(exe, producer, dist_dir, runs, records, py, aws, env, ref)
    finally:
        shutil.rmtree(work)
    results["records"] = records
    return results


def replicate(exe, producer, dist_dir, runs, records, py, aws, env, ref):
    stack = "sk-xr"
    check([exe, "deploy", "--pattern", "cross-region", "--stack-name", stack, "--regions",
           "us-east-1,us-west-2", "--dist-dir", dist_dir, "--parameter", "StreamName=bench-xr",
           "--yes"], env)
    # deploy seeded the active-region config item: us-east-1 (the first region) is active.
    # The emulator also runs the deployed replicator Lambdas (their event source
    # mappings): paused, so `local replicate` alone moves the records it is timed on.
    for region in ("us-east-1", "us-west-2"):
        listed = json.loads(check([aws, "lambda", "list-event-source-mappings", "--region", region,
                                   "--output", "json"], env))
        for m in listed.get("EventSourceMappings", []):
            check([aws, "lambda", "update-event-source-mapping", "--uuid", m["UUID"], "--no-enabled",
                   "--region", region], env)
    dest = "bench-xr-reference-dest"
    check([aws, "kinesis", "create-stream", "--stream-name", dest, "--shard-count", "2",
           "--region", "us-west-2"], env)
    check([aws, "kinesis", "wait", "stream-exists", "--stream-name", dest, "--region", "us-west-2"], env)
    table = "bench-xr-reference-checkpoints"
    check([py, ref, "table", "--name", table, "--region", "us-east-1"], env)

    def fill(i):
        out = check([producer, "--stream", "bench-xr", "--region", "us-east-1", "--count", str(records),
                     "--rate", "1000000", "--kind", "cdc", "--seed", str(100 + i)], env)
        if f"delivered={records} " not in out:
            raise RuntimeError(f"streamkit-producer did not deliver {records} records: {out}")

    def a(i):
        fill(i)  # new records, untimed; both sides replicate exactly these
        t, out = timed([exe, "local", "replicate", "--stack-name", stack, "--regions", "us-east-1,us-west-2",
                        "--until-idle", "--idle-seconds", "0", "--output", "json"], env)
        done = sum(r.get("records_replicated", 0) for r in _json_objects(out))
        if done != records:
            raise RuntimeError(f"streamkit local replicate replicated {done} records, expected {records}:\n{out}")
        return t

    def b(i):
        t, out = timed([py, ref, "replicate", "--stream", "bench-xr", "--source-region", "us-east-1",
                        "--dest-stream", dest, "--dest-region", "us-west-2", "--table", table], env)
        if int(out.strip() or 0) != records:
            raise RuntimeError(f"the boto3 replicator replicated {out.strip()} records, expected {records}")
        return t

    # Both start level: the reference skips what was in the stream before.
    check([py, ref, "replicate", "--stream", "bench-xr", "--source-region", "us-east-1",
           "--dest-stream", dest, "--dest-region", "us-west-2", "--table", table], env)
    return interleave(runs, a, b)


def _json_objects(text):
    """Every JSON object in `text` (one per line, or one pretty-printed)."""
    try:
        v = json.loads(text)
        return _flatten(v)
    except ValueError:
        out = []
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out += _flatten(json.loads(line))
        return out


def _flatten(v):
    if isinstance(v, list):
        return [x for item in v for x in _flatten(item)]
    if isinstance(v, dict):
        inner = [x for val in v.values() if isinstance(val, (list, dict)) for x in _flatten(val)]
        return [v] + inner
    return []


def cost_estimates(exe, dist_dir):
    """`streamkit estimate --output json` per pattern: the estimate deploy
    prints, computed without any AWS call (`dist_dir` is not needed: kept for
    the caller's signature)."""
    env = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_REGION="us-east-1")
    out = {}
    for pattern in ["1", "2", "3", "4", "cross-region", "joins"]:
        cmd = [exe, "estimate", "--pattern", pattern, "--output", "json"]
        if pattern in ("2", "4"):
            cmd += ["--parameter", "ProducerVpcId=vpc-12345678", "--parameter", "ProducerSubnetId=subnet-12345678"]
        r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{r.stdout}\n{r.stderr}")
        out[pattern] = json.loads(r.stdout)["estimate"]
    return out


def ci(runs_dir_env):
    """`.ci/run` cold (empty CARGO_TARGET_DIR) then warm (same dir again)."""
    target = tempfile.mkdtemp(prefix="streamkit-bench-ci-target-")
    env = dict(runs_dir_env, CARGO_TARGET_DIR=target)
    try:
        cold, _ = timed([os.path.join(ROOT, ".ci/run")], env)
        warm, _ = timed([os.path.join(ROOT, ".ci/run")], env)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return cold, warm


if __name__ == "__main__":
    sys.exit("bench/compare.py is a module of bench/run")
