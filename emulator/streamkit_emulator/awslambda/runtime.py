"""Lambda functions run natively: `invoke` is the one way anything in the
emulator (the Invoke API, event source mappings, schedules, API Gateway's
Lambda proxy integration) runs a function.

A `provided.al2023` function whose architecture is the host's runs its
`bootstrap` in a warm execution environment (`lambda_pool`, `lambda_env`,
`runtime_api`), one invocation at a time each; the timeout is enforced by
killing the environment. Results are reported as Lambda reports them:

* success: 200 and the runtime's response;
* an error the runtime posted: 200, `function_error="Unhandled"`, its body;
* a crash: `Runtime.ExitError` (`RequestId: ... Error: Runtime exited with
  error: exit status N`), a failed init: the posted init error or
  `Runtime.ExitError`, a timeout: `Sandbox.Timedout` (`... Task timed out after
  N.NN seconds`);
* a function that cannot run here (other runtime or architecture, no
  bootstrap): `Runtime.InvalidRuntime` / `Runtime.InvalidEntrypoint` with a
  one-line reason naming `streamkit build-dist --arch`;
* over the concurrency limit: 429 (a throttle); unknown function: 404.

Each invocation publishes AWS/Lambda Invocations, Errors, Throttles, Duration
and ConcurrentExecutions for its function; Errors and Throttles are 0 when
nothing failed or was throttled, so each minute with invocations has them, as
"Types of metrics for Lambda functions" (Lambda Developer Guide) shows them
(success rate = 100 - 100 * Errors / Invocations needs both). A throttled
invocation publishes Throttles 1 and no Invocations.
"""
from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from moto.awslambda.models import lambda_backends

from streamkit_emulator.awslambda import package as lambda_package
from streamkit_emulator.cloudwatch import metrics
from streamkit_emulator.awslambda.env import Environment, FunctionSpec, exit_reason, new_request
from streamkit_emulator.awslambda.logs import FunctionLog
from streamkit_emulator.awslambda.pool import limit_of, pool

log = logging.getLogger("streamkit.emulator")
_async = ThreadPoolExecutor(max_workers=16, thread_name_prefix="lambda-event")


@dataclass
class Invocation:
    """What Invoke answers: HTTP status, payload, `X-Amz-Function-Error`
    (None on success) and the invocation's log output (last 4 KB, plain text)."""

    status_code: int
    payload: bytes
    function_error: str | None
    log_tail: str
    executed_version: str = "$LATEST"


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def invoke(
    account_id: str,
    region: str,
    function: str,
    payload: bytes,
    invocation_type: str = "RequestResponse",
    client_context: str | None = None,
) -> Invocation:
    """Invokes `function` (name or ARN). `RequestResponse` waits for the result;
    `Event` answers 202 and runs in the background; `DryRun` answers 204."""
    try:
        fn = lambda_backends[account_id][region].get_function(function)
    except Exception:  # noqa: BLE001 - moto raises its own not-found types
        fn = None
    if fn is None:
        message = f"Function not found: {function}"
        return Invocation(404, _error("ResourceNotFoundException", message), None, "")
    if invocation_type == "DryRun":
        return Invocation(204, b"", None, "")
    if invocation_type == "Event":
        _async.submit(_run_logged, account_id, region, fn, payload, client_context)
        return Invocation(202, b"", None, "")
    return _run(account_id, region, fn, payload, client_context, wait=False)


def _run_logged(account: str, region: str, fn: Any, payload: bytes, client_context: str | None) -> None:
    try:
        _run(account, region, fn, payload, client_context, wait=True)
    except Exception:  # noqa: BLE001 - a background invocation has no caller
        log.exception("asynchronous invocation of %s failed", fn.function_name)


def _run(account: str, region: str, fn: Any, payload: bytes, client_context: str | None, wait: bool) -> Invocation:
    name = fn.function_name
    dims = {"FunctionName": name}
    try:
        lambda_package.check_config(fn)
        root = lambda_package.task_root(fn)
    except lambda_package.PackageError as error:
        _package_error_log(account, region, fn, error)
        metrics.put(account, region, "AWS/Lambda", "Invocations", dims, 1)
        metrics.put(account, region, "AWS/Lambda", "Errors", dims, 1)
        return Invocation(200, _error(error.error_type, error.message), "Unhandled", error.message)
    spec = FunctionSpec.of(fn, account, region, root)
    functions = pool(account, region, name)
    env = functions.acquire(spec, limit_of(fn, lambda_backends[account][region]), wait)
    if env is None:
        metrics.put(account, region, "AWS/Lambda", "Throttles", dims, 1)
        return Invocation(429, _error("TooManyRequestsException", "Rate Exceeded."), None, "")
    metrics.put(account, region, "AWS/Lambda", "ConcurrentExecutions", dims, functions.concurrent())
    metrics.put(account, region, "AWS/Lambda", "Throttles", dims, 0)
    begun = time.monotonic()
    try:
        result = _in_environment(env, spec, payload or b"{}", client_context)
    finally:
        functions.release(env)
    metrics.put(account, region, "AWS/Lambda", "Invocations", dims, 1)
    metrics.put(account, region, "AWS/Lambda", "Errors", dims, 1 if result.function_error else 0)
    duration = (time.monotonic() - begun) * 1000
    metrics.put(account, region, "AWS/Lambda", "Duration", dims, duration, unit="Milliseconds")
    return result


def _in_environment(env: Environment, spec: FunctionSpec, payload: bytes, client_context: str | None) -> Invocation:
    begun = time.monotonic()
    deadline = begun + spec.timeout
    req = new_request(spec, payload, int((time.time() + spec.timeout) * 1000), client_context)
    cold = not env.started
    if cold:
        failed = env.init(deadline)
        if failed is not None:
            return _init_failure(env, spec, req.request_id, failed, begun)
    env.log.start(req.request_id)
    outcome = env.run(req, deadline)
    duration = (time.monotonic() - begun) * 1000 - ((env.init_ms or 0) if cold else 0)
    init_ms = env.init_ms if cold else None
    if outcome == "done":
        status = "success" if req.outcome == "response" else "error"
        env.log.finish(req.request_id, duration, spec.memory, env.max_memory_mb(), init_ms, status,
                       req.error_type if status == "error" else None)
        error = "Unhandled" if req.outcome == "error" else None
        return Invocation(200, req.body, error, env.log.tail())
    if outcome == "timeout":
        env.log.timed_out(req.request_id, spec.timeout)
        env.kill()
        env.log.finish(req.request_id, spec.timeout * 1000.0, spec.memory, env.max_memory_mb(), init_ms,
                       "timeout", "Sandbox.Timedout")
        message = f"{_iso_now()} {req.request_id} Task timed out after {spec.timeout:.2f} seconds"
        return Invocation(200, _error("Sandbox.Timedout", message), "Unhandled", env.log.tail())
    message = f"RequestId: {req.request_id} Error: {exit_reason(env.exit_code or 0)}"
    env.log.line(message)
    env.kill()
    env.log.finish(req.request_id, duration, spec.memory, env.max_memory_mb(), init_ms, "error", "Runtime.ExitError")
    return Invocation(200, _error("Runtime.ExitError", message), "Unhandled", env.log.tail())


def _init_failure(env: Environment, spec: FunctionSpec, request_id: str, failed: tuple[str, str, bytes],
                  begun: float) -> Invocation:
    error_type, reason, body = failed
    init_ms = (time.monotonic() - begun) * 1000
    env.kill()
    if error_type == "Sandbox.Timedout":
        message = f"{_iso_now()} {request_id} Task timed out after {spec.timeout:.2f} seconds"
    elif reason:
        message = f"RequestId: {request_id} Error: {reason}"
    else:
        message = ""
    if message:
        env.log.line(message)
    env.log.init_report(init_ms, error_type)
    return Invocation(200, body or _error(error_type, message), "Unhandled", env.log.tail())


_error_logs: dict[tuple[str, str, str], FunctionLog] = {}


def _package_error_log(account: str, region: str, fn: Any, error: lambda_package.PackageError) -> None:
    """The reason a function cannot run, where its logs are read (one stream
    per function and log group, however often it is retried)."""
    spec_log = (getattr(fn, "streamkit_extra", {}) or {}).get("LoggingConfig") or {}
    group = spec_log.get("LogGroup") or f"/aws/lambda/{fn.function_name}"
    writer = _error_logs.setdefault((account, region, group), FunctionLog(account, region, group, False))
    writer.line(error.message)
    writer.init_report(0.0, error.error_type)


def _iso_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
