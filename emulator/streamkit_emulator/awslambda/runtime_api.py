"""The Lambda Runtime API one execution environment's `bootstrap` talks to.

Each environment gets its own loopback HTTP/1.1 server (its `host:port` is the
child's `AWS_LAMBDA_RUNTIME_API`) serving the documented routes:

* `GET  /2018-06-01/runtime/invocation/next`: blocks until the environment is
  handed an event; answers with the payload and the headers
  `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn`,
  `-Trace-Id` (and `-Client-Context` / `-Cognito-Identity` when set);
* `POST .../invocation/{id}/response` (202; 413 past 6 MB) and
  `POST .../invocation/{id}/error` (202; `Lambda-Runtime-Function-Error-Type`);
  an id other than the current invocation's gets 400 `InvalidRequestID`;
* `POST /2018-06-01/runtime/init/error` before the first `next` (202; later:
  403 `InvalidStateTransition`).

`Channel` is the hand-off between this server and the environment.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_RESPONSE = 6 * 1024 * 1024
_PREFIX = "/2018-06-01/runtime"
_RESULT = re.compile(rf"^{_PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")


@dataclass
class Request:
    """One invocation as the runtime sees it, and what it answered."""

    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str
    client_context: str | None = None
    outcome: str | None = None  # "response" | "error"
    body: bytes = b""
    error_type: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Channel:
    """Shared state of one environment: `init` until the first `next`, then
    `idle` (the runtime waits in `next`) or `busy`; `closed` when torn down."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.phase = "init"
        self.pending: Request | None = None
        self.current: Request | None = None
        self.init_error: tuple[str, bytes] | None = None

    def close(self) -> None:
        with self.cond:
            self.phase = "closed"
            self.cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "RuntimeApiServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def do_GET(self) -> None:  # noqa: N802
        if self.path != f"{_PREFIX}/invocation/next":
            return self._reply(404, {"errorMessage": "unknown route", "errorType": "NotFound"})
        channel = self.server.channel
        with channel.cond:
            if channel.phase in ("init", "busy"):
                channel.phase = "idle"
                channel.current = None
                channel.cond.notify_all()
            while channel.pending is None and channel.phase != "closed":
                channel.cond.wait()
            if channel.phase == "closed":
                return self._reply(500, {"errorMessage": "environment shut down", "errorType": "Closed"})
            req, channel.pending = channel.pending, None
            channel.current, channel.phase = req, "busy"
        headers = {
            "Lambda-Runtime-Aws-Request-Id": req.request_id,
            "Lambda-Runtime-Deadline-Ms": str(req.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": req.function_arn,
            "Lambda-Runtime-Trace-Id": req.trace_id,
        }
        if req.client_context:
            headers["Lambda-Runtime-Client-Context"] = req.client_context
        self._send(200, req.payload, headers)

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        channel = self.server.channel
        if self.path == f"{_PREFIX}/init/error":
            with channel.cond:
                if channel.phase != "init":
                    return self._reply(403, {"errorMessage": "init/error after init", "errorType": "InvalidStateTransition"})
                kind = self.headers.get("Lambda-Runtime-Function-Error-Type") or "Runtime.Unknown"
                channel.init_error = (kind, body)
                channel.cond.notify_all()
            return self._reply(202, {"status": "OK"})
        match = _RESULT.match(self.path)
        if not match:
            return self._reply(404, {"errorMessage": "unknown route", "errorType": "NotFound"})
        with channel.cond:
            req = channel.current
            if req is None or req.request_id != match["id"] or req.outcome is not None:
                return self._reply(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
            if match["kind"] == "response" and len(body) > MAX_RESPONSE:
                req.outcome, req.error_type = "error", "Function.ResponseSizeTooLarge"
                req.body = json.dumps({
                    "errorMessage": f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }).encode()
                req.done.set()
                channel.cond.notify_all()
                return self._reply(413, {"errorMessage": "payload too large", "errorType": "RequestEntityTooLarge"})
            req.outcome, req.body = match["kind"], body
            if req.outcome == "error":
                req.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type") or _error_type(body)
            req.done.set()
            channel.cond.notify_all()
        self._reply(202, {"status": "OK"})

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, status: int, doc: dict[str, Any]) -> None:
        self._send(status, json.dumps(doc).encode(), {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def _error_type(body: bytes) -> str:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return "Unhandled"
    return str(doc.get("errorType") or "Unhandled") if isinstance(doc, dict) else "Unhandled"


class RuntimeApiServer(ThreadingHTTPServer):
    """One environment's Runtime API on `127.0.0.1:<free port>`."""

    daemon_threads = True

    def __init__(self, channel: Channel):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.channel = channel
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 2.0}, name="lambda-runtime-api", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def stop(self) -> None:
        """Releases a runtime blocked in `next` and stops serving (in the
        background: `shutdown` waits for the serve loop's next poll)."""
        self.channel.close()

        def close() -> None:
            self.shutdown()
            self.server_close()

        threading.Thread(target=close, name="lambda-runtime-api-stop", daemon=True).start()
