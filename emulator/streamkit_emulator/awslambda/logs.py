"""A function environment's log stream in CloudWatch Logs, as Lambda writes it.

Each execution environment writes to its own stream
`YYYY/MM/DD/[$LATEST]<32 hex>` of the function's log group (`/aws/lambda/<name>`,
or `LoggingConfig.LogGroup`), created if missing. Lines the `bootstrap` prints
(stdout and stderr) go there as they come, between the platform lines Lambda
adds: with `LogFormat: Text` (default) `START RequestId: ...`, `END RequestId:
...` and `REPORT RequestId: ... Duration ... Billed Duration ... Memory Size ...
Max Memory Used ... [Init Duration ...]`; with `LogFormat: JSON` the
`platform.start`, `platform.runtimeDone` and `platform.report` records. A
timeout adds `<time> <request id> Task timed out after N.NN seconds`; a failed
init adds `INIT_REPORT` (`platform.initReport`).
"""
from __future__ import annotations

import json
import math
import threading
import uuid
from datetime import datetime, timezone

from moto.core.utils import unix_time_millis
from moto.logs.models import logs_backends

_lock = threading.Lock()
TAIL_BYTES = 4096


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_stream_name(version: str = "$LATEST") -> str:
    today = datetime.now(timezone.utc)
    return f"{today:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


class FunctionLog:
    """Writer for one environment's stream; `tail()` is the current
    invocation's output (the last 4 KB, for `LogType: Tail`)."""

    def __init__(self, account: str, region: str, group: str, json_format: bool, version: str = "$LATEST"):
        self.account, self.region, self.group = account, region, group
        self.json_format = json_format
        self.version = version
        self.stream = new_stream_name(version)
        self._tail: list[str] = []

    def line(self, text: str) -> None:
        """One line of the function's own output."""
        self._tail.append(text)
        self._put(text)

    def start(self, request_id: str) -> None:
        self._tail = []
        if self.json_format:
            self._platform("platform.start", {"requestId": request_id, "version": self.version})
        else:
            self._put(f"START RequestId: {request_id} Version: {self.version}")

    def timed_out(self, request_id: str, seconds: float) -> None:
        self.line(f"{_now_iso()} {request_id} Task timed out after {seconds:.2f} seconds")

    def finish(
        self,
        request_id: str,
        duration_ms: float,
        memory_mb: int,
        max_used_mb: int,
        init_ms: float | None,
        status: str = "success",
        error_type: str | None = None,
    ) -> None:
        """END and REPORT (`status`: success, error, timeout)."""
        billed = max(1, math.ceil(duration_ms))
        if self.json_format:
            self._platform("platform.runtimeDone", {
                "requestId": request_id, "status": status, "metrics": {"durationMs": round(duration_ms, 3)},
            })
            metrics = {
                "durationMs": round(duration_ms, 3), "billedDurationMs": billed,
                "memorySizeMB": memory_mb, "maxMemoryUsedMB": max_used_mb,
            }
            if init_ms is not None:
                metrics["initDurationMs"] = round(init_ms, 3)
            record = {"requestId": request_id, "metrics": metrics, "status": status}
            if error_type:
                record["errorType"] = error_type
            self._platform("platform.report", record)
            return
        self._put(f"END RequestId: {request_id}")
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {memory_mb} MB\tMax Memory Used: {max_used_mb} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        if status != "success":
            report += f"\tStatus: {status}"
            if error_type:
                report += f"\tError Type: {error_type}"
        self._put(report)

    def init_report(self, init_ms: float, error_type: str) -> None:
        """A failed init phase."""
        if self.json_format:
            self._platform("platform.initReport", {
                "initializationType": "on-demand", "phase": "init", "status": "error",
                "errorType": error_type, "metrics": {"durationMs": round(init_ms, 3)},
            })
        else:
            self._put(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\tError Type: {error_type}")

    def tail(self) -> str:
        text = "\n".join(self._tail)
        return text[-TAIL_BYTES:]

    def _platform(self, kind: str, record: dict[str, object]) -> None:
        self._put(json.dumps({"time": _now_iso(), "type": kind, "record": record}))

    def _put(self, message: str) -> None:
        backend = logs_backends[self.account][self.region]
        with _lock:
            backend.ensure_log_group(self.group)
            backend.ensure_log_stream(self.group, self.stream)
            backend.put_log_events(
                self.group, self.stream, [{"timestamp": int(unix_time_millis()), "message": message}]
            )
