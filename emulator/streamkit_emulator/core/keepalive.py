"""Persistent HTTP connections, as AWS endpoints keep them: werkzeug's
development server answers every request with `Connection: close`, so each
request of every SDK client opened a new TCP connection and the server
started a new thread for it (accept, thread start and werkzeug's
after-response drain were about a fifth of the emulator's CPU for serial
Kinesis PutRecord calls, py-spy). The AWS SDKs keep connections open and
reuse them ("Reuse connections with keep-alive", AWS SDK for JavaScript
Developer Guide; HTTP/1.1 persistent connections, RFC 9112 section 9.3).

A connection stays open only when that is safe for the next request on it:
an HTTP/1.1 request, not asking to close, whose body had a Content-Length
(no chunked body) and was read to its end by the service. Anything else is
answered as before, with `Connection: close`. werkzeug's after-response
drain (it reads whatever else the socket holds, to show a client a 413 rather
than a reset) is skipped on a kept connection: what follows there is the
client's next request. On a kept connection the response's header and body
writes go out at once (TCP_NODELAY, as the SDKs set on their side): with
Nagle's algorithm the body waited for the client's delayed ACK, 40 ms a
request.
"""
from __future__ import annotations

import selectors
import threading
import types
from typing import Any

_local = threading.local()


class _CountingInput:
    """The request body stream, counting what the service read of it."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n = self._stream.readinto(buffer) or 0
        self.count += n
        return n

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _length(environ: dict[str, Any]) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


class _Selector:
    """werkzeug's after-response drain selector: nothing to drain on a kept connection."""

    def __init__(self) -> None:
        self._inner = None if getattr(_local, "keep", False) else selectors.DefaultSelector()

    def register(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.register(*args, **kwargs) if self._inner else None

    def select(self, timeout: float | None = None) -> list[Any]:
        return self._inner.select(timeout) if self._inner else []

    def close(self) -> None:
        if self._inner:
            self._inner.close()


def install() -> None:
    from werkzeug import serving

    make_environ = serving.WSGIRequestHandler.make_environ
    send_header = serving.WSGIRequestHandler.send_header

    def counting_make_environ(self: Any) -> dict[str, Any]:
        _local.keep = False
        environ = make_environ(self)
        self.streamkit_body = None
        if not environ.get("wsgi.input_terminated"):  # not chunked
            self.streamkit_body = environ["wsgi.input"] = _CountingInput(environ["wsgi.input"])
        return environ

    def keep_alive(self: Any) -> bool:
        body = getattr(self, "streamkit_body", None)
        environ = getattr(self, "environ", None) or {}
        length = _length(environ)
        return (body is not None and length is not None and body.count == length
                and self.request_version == "HTTP/1.1" and not self.close_connection
                and "close" not in (self.headers.get("Connection") or "").lower()
                and not self.headers.get("Transfer-Encoding"))

    def maybe_send_header(self: Any, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and keep_alive(self):
            _local.keep = True
            return  # the connection stays open for the client's next request
        send_header(self, keyword, value)

    serving.WSGIRequestHandler.disable_nagle_algorithm = True
    serving.WSGIRequestHandler.make_environ = counting_make_environ  # type: ignore[method-assign]
    serving.WSGIRequestHandler.send_header = maybe_send_header  # type: ignore[method-assign]
    serving.selectors = types.SimpleNamespace(DefaultSelector=_Selector, EVENT_READ=selectors.EVENT_READ)
