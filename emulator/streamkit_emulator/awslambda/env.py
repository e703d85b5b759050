"""One Lambda execution environment: a `bootstrap` child process, its Runtime
API server and its log stream.

`FunctionSpec` is the snapshot of a function's configuration an environment
was started with; environments whose spec no longer matches the function
(new code, new environment variables, ...) are retired. The child gets the
environment Lambda documents for custom runtimes (see `child_environment`),
runs in the unpacked package directory and dies with the emulator
(`spawner`). Its stdout and stderr lines go to the environment's log stream.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from streamkit_emulator.core import endpoints
from streamkit_emulator.core import spawner
from streamkit_emulator.awslambda.logs import FunctionLog
from streamkit_emulator.awslambda.runtime_api import Channel, Request, RuntimeApiServer

VERSION = "$LATEST"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "streamkit-emulator-session",
}


@dataclass(frozen=True)
class FunctionSpec:
    account: str
    region: str
    name: str
    arn: str
    role: str
    handler: str
    memory: int
    timeout: int
    variables: tuple[tuple[str, str], ...]
    log_group: str
    json_logs: bool
    log_level: str | None
    code_sha: str
    task_root: str

    @staticmethod
    def of(fn: Any, account: str, region: str, task_root: str) -> "FunctionSpec":
        logging = (getattr(fn, "streamkit_extra", {}) or {}).get("LoggingConfig") or {}
        variables = {k: endpoints.rewrite_execute_api_urls(str(v)) for k, v in (fn.environment_vars or {}).items()}
        return FunctionSpec(
            account=account,
            region=region,
            name=fn.function_name,
            arn=fn.function_arn,
            role=fn.role,
            handler=fn.handler or "bootstrap",
            memory=int(fn.memory_size or 128),
            timeout=int(fn.timeout or 3),
            variables=tuple(sorted(variables.items())),
            log_group=logging.get("LogGroup") or f"/aws/lambda/{fn.function_name}",
            json_logs=str(logging.get("LogFormat", "Text")).upper() == "JSON",
            log_level=logging.get("ApplicationLogLevel"),
            code_sha=getattr(fn, "code_sha_256", "") or "",
            task_root=task_root,
        )


def credentials(spec: FunctionSpec) -> dict[str, str]:
    """The execution role's session keys ("Lambda execution role": Lambda
    assumes the role, trusted by `lambda.amazonaws.com`, session name = the
    function's name), or the static test keys with IAM off. Raises
    `sessions.CannotAssume`."""
    from streamkit_emulator.iam import enforce, sessions

    if not enforce.enabled():
        return CREDENTIALS
    return sessions.assume(spec.account, spec.region, spec.role, "lambda.amazonaws.com", spec.name).environment()


def child_environment(spec: FunctionSpec, runtime_api: str, log_stream: str) -> dict[str, str]:
    """The function's own variables, then Lambda's defaults for the
    unreserved ones (TZ, LANG, PATH, LD_LIBRARY_PATH) where it did not set
    them, then the reserved ones, which it cannot override, and the
    emulator's endpoint as AWS_ENDPOINT_URL."""
    env = {
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": f"{spec.task_root}:{spec.task_root}/lib:/opt/lib",
    }
    env.update(dict(spec.variables))
    env.update(credentials(spec))
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": VERSION,
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "_HANDLER": spec.handler,
        "LAMBDA_TASK_ROOT": spec.task_root,
        "LAMBDA_RUNTIME_DIR": spec.task_root,
        "AWS_ENDPOINT_URL": endpoints.base(),
    })
    env["AWS_LAMBDA_LOG_FORMAT"] = "JSON" if spec.json_logs else "Text"
    if spec.json_logs and spec.log_level:
        env["AWS_LAMBDA_LOG_LEVEL"] = spec.log_level
    return env


class Environment:
    """Started lazily by the first invocation it is given (`init`)."""

    def __init__(self, spec: FunctionSpec):
        self.spec = spec
        self.channel = Channel()
        self.log = FunctionLog(spec.account, spec.region, spec.log_group, spec.json_logs, VERSION)
        self.server: RuntimeApiServer | None = None
        self.proc: Any = None
        self.exit_code: int | None = None
        self.init_ms: float | None = None
        self.started = False
        self.dead = False
        self.retired = False

    def init(self, deadline: float) -> tuple[str, str, bytes] | None:
        """Starts the child and waits for its first `next`; None when ready,
        else (error type, reason, body) of the failed init: the body the
        runtime posted to `init/error`, or the reason Lambda words after
        `RequestId: ... Error: ` (empty for a timeout)."""
        self.started = True
        begun = time.monotonic()
        from streamkit_emulator.iam.sessions import CannotAssume

        self.server = RuntimeApiServer(self.channel)
        try:
            env = child_environment(self.spec, self.server.address, self.log.stream)
        except CannotAssume as error:
            return "Runtime.InvalidRole", f"The role defined for the function cannot be assumed by Lambda. ({error})", b""
        try:
            self.proc = spawner.spawn([f"{self.spec.task_root}/bootstrap"], env, self.spec.task_root)
        except OSError as error:
            return "Runtime.InvalidEntrypoint", f"fork/exec bootstrap: {error.strerror}", b""
        threading.Thread(target=self._pump, name=f"lambda-out-{self.spec.name}", daemon=True).start()
        with self.channel.cond:
            while True:
                if self.channel.phase == "idle":
                    self.init_ms = (time.monotonic() - begun) * 1000
                    return None
                if self.channel.init_error is not None:
                    kind, body = self.channel.init_error
                    return kind, "", body
                if self.exit_code is not None:
                    return "Runtime.ExitError", exit_reason(self.exit_code), b""
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "Sandbox.Timedout", "", b""
                self.channel.cond.wait(remaining)

    def run(self, req: Request, deadline: float) -> str:
        """Hands `req` to the runtime; `done`, `exit` or `timeout`."""
        with self.channel.cond:
            self.channel.pending = req
            self.channel.cond.notify_all()
            while not req.done.is_set():
                if self.exit_code is not None:
                    return "exit"
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout"
                self.channel.cond.wait(remaining)
        return "done"

    def max_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, AttributeError, ValueError):
            pass
        return 0

    def kill(self) -> None:
        self.dead = True
        if self.proc is not None:
            spawner.kill(self.proc)
        if self.server is not None:
            self.server.stop()
        else:
            self.channel.close()

    def _pump(self) -> None:
        for raw in iter(self.proc.stdout.readline, b""):
            self.log.line(raw.decode("utf-8", "replace").rstrip("\r\n"))
        code = self.proc.wait()
        with self.channel.cond:
            self.exit_code = code
            self.dead = True
            self.channel.cond.notify_all()


def exit_reason(code: int) -> str:
    """As Lambda words it: `Runtime exited with error: exit status 1` / `signal: killed`."""
    if code < 0:
        import signal

        name = signal.Signals(-code).name.removeprefix("SIG").lower()
        return f"Runtime exited with error: signal: {'killed' if name == 'kill' else name}"
    if code == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: exit status {code}"


def new_request(spec: FunctionSpec, payload: bytes, deadline_epoch_ms: int, client_context: str | None) -> Request:
    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
    return Request(
        request_id=str(uuid.uuid4()),
        payload=payload,
        deadline_ms=deadline_epoch_ms,
        function_arn=spec.arn,
        trace_id=trace,
        client_context=client_context,
    )
