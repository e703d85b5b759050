"""The one substitution for EC2: the emulator cannot boot an instance, so when
one is created (from a launch template or not) whose user data installs a
systemd service from a package in S3 and starts it (templates/producer/
instance.yaml with ProducerAutoStart=true), the emulator does what the script
would: it fetches the zip from its own S3, unpacks it into a private
directory, and runs the unit's ExecStart command line, exactly as the user
data writes it (the install directory mapped to the unpacked one), with
`AWS_ENDPOINT_URL` = the emulator, its region, and the static test
credentials. It is stopped (SIGTERM, then SIGKILL) when the instance is
stopped or terminated (so when its stack is deleted), started again with the
instance when the unit is enabled, and killed with the emulator even on
SIGKILL (PR_SET_PDEATHSIG). Its output (stdout and stderr, a line per event)
goes to the log group `/streamkit/emulator/instances`, log stream
`{instance_id}/{unit}`.
"""
from __future__ import annotations

import ctypes
import io
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from concurrent.futures import Future
from typing import Any

from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from streamkit_emulator.logs import cwlogs
from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.core import endpoints
from streamkit_emulator.ec2 import userdata

LOG_GROUP = "/streamkit/emulator/instances"
PR_SET_PDEATHSIG = 1
_running: dict[str, list["Running"]] = {}
_lock = threading.Lock()


class Running:
    def __init__(self, instance_id: str, unit: str, process: subprocess.Popen, workdir: str):
        self.instance_id, self.unit, self.process, self.workdir = instance_id, unit, process, workdir


def launch(account_id: str, region: str, instance_id: str, user_data: Any) -> list[Running]:
    """Starts what the user data would start on `instance_id` (nothing when it starts nothing)."""
    started = []
    for service in userdata.services(userdata.decode(user_data)):
        if not service.starts:
            continue
        try:
            started.append(_start(account_id, region, instance_id, service))
        except Exception as e:  # noqa: BLE001 - the instance runs; its service failed, say why
            cwlogs.write(account_id, region, LOG_GROUP, f"{instance_id}/{service.unit}",
                         [f"streamkit emulator: {service.unit} did not start: {type(e).__name__}: {e}"],
                         create_group=True)
    with _lock:
        _running.setdefault(instance_id, []).extend(started)
    return started


def stop(instance_id: str, grace: float = 5.0) -> None:
    """Stops what runs for `instance_id` (SIGTERM, then SIGKILL after `grace` s)."""
    with _lock:
        running = _running.pop(instance_id, [])
    for r in running:
        if r.process.poll() is None:
            r.process.terminate()
    for r in running:
        try:
            r.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            r.process.kill()
            r.process.wait()
        shutil.rmtree(r.workdir, ignore_errors=True)


def running(instance_id: str) -> list[Running]:
    with _lock:
        return [r for r in _running.get(instance_id, []) if r.process.poll() is None]


def _start(account_id: str, region: str, instance_id: str, service: userdata.Service) -> Running:
    if not (service.bucket and service.key and service.install_dir):
        raise ValueError("the user data does not fetch and unpack a package (aws s3 cp + unzip)")
    denied = iam_hooks.instance_fetch_denied(account_id, region, instance_id, service.bucket, service.key)
    if denied:
        raise PermissionError(f"aws s3 cp s3://{service.bucket}/{service.key}: AccessDenied: {denied}")
    obj = s3_backends[account_id][get_partition(region)].get_object(service.bucket, service.key)
    if obj is None:
        raise ValueError(f"s3://{service.bucket}/{service.key} does not exist")
    workdir = tempfile.mkdtemp(prefix=f"streamkit-{instance_id}-")
    with zipfile.ZipFile(io.BytesIO(obj.value)) as archive:
        archive.extractall(workdir)
        for info in archive.infolist():
            os.chmod(os.path.join(workdir, info.filename), 0o755)
    argv = [workdir + a[len(service.install_dir):] if a.startswith(service.install_dir + "/") else a
            for a in service.argv]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": workdir,
        "AWS_ENDPOINT_URL": endpoints.base(),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        **iam_hooks.instance_credentials(account_id, region, instance_id),
    }
    process = _supervisor().spawn(argv, env, workdir)
    stream = f"{instance_id}/{service.unit}"
    cwlogs.write(account_id, region, LOG_GROUP, stream,
                 [f"streamkit emulator: started {service.unit} (pid {process.pid}): {' '.join(service.argv)}"],
                 create_group=True)
    threading.Thread(target=_pump, args=(account_id, region, stream, process), daemon=True,
                     name=f"log-{stream}").start()
    return Running(instance_id, service.unit, process, workdir)


def _pump(account_id: str, region: str, stream: str, process: subprocess.Popen) -> None:
    """Copies the process's output lines to CloudWatch Logs, at most a batch a second."""
    lines: list[str] = []
    last = time.monotonic()
    assert process.stdout is not None
    for raw in process.stdout:
        lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        if time.monotonic() - last >= 1.0:
            cwlogs.write(account_id, region, LOG_GROUP, stream, lines, create_group=True)
            lines, last = [], time.monotonic()
    process.wait()
    lines.append(f"streamkit emulator: exited with status {process.returncode}")
    cwlogs.write(account_id, region, LOG_GROUP, stream, lines, create_group=True)


class _Supervisor(threading.Thread):
    """Spawns every child from one long-lived thread: PR_SET_PDEATHSIG fires
    when the thread that forked the child ends, and request threads end."""

    def __init__(self) -> None:
        super().__init__(name="streamkit-supervisor", daemon=True)
        self.jobs: "queue.Queue[tuple[list[str], dict[str, str], str, Future]]" = queue.Queue()

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> subprocess.Popen:
        done: Future = Future()
        self.jobs.put((argv, env, cwd, done))
        return done.result(timeout=30)

    def run(self) -> None:
        parent = os.getpid()
        while True:
            argv, env, cwd, done = self.jobs.get()
            try:
                done.set_result(subprocess.Popen(
                    argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, preexec_fn=lambda: _die_with(parent)))
            except Exception as e:  # noqa: BLE001 - handed to the caller
                done.set_exception(e)


def _die_with(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the emulator died before prctl took effect
        os._exit(1)


_the_supervisor: _Supervisor | None = None


def _supervisor() -> _Supervisor:
    global _the_supervisor
    with _lock:
        if _the_supervisor is None:
            _the_supervisor = _Supervisor()
            _the_supervisor.start()
        return _the_supervisor

