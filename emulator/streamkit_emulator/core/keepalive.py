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
request. The status line and headers are sent with the first part of the
body, in one write (http.server wrote them in a write of their own: two
system calls and two TCP segments per answer); a `100 Continue` still goes
out at once, before the body is read.
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


def can_keep(handler: Any, environ: dict[str, Any], body: _CountingInput | None, connection: str | None,
             transfer_encoding: str | None) -> bool:
    """Whether the connection stays open after this answer (see the module):
    `connection` and `transfer_encoding` are the request's first such headers."""
    length = _length(environ)
    return (body is not None and length is not None and body.count == length
            and handler.request_version == "HTTP/1.1" and not handler.close_connection
            and "close" not in (connection or "").lower() and not transfer_encoding)


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


class _Writer:
    """The connection's writer: the header block held until the first body
    write (or a flush), then sent with it in one `sendall`."""

    def __init__(self, sock: Any):
        self._sock = sock
        self.pending = b""

    def write(self, data: Any) -> int:
        if self.pending:
            data, self.pending = self.pending + bytes(data), b""
        self._sock.sendall(data)
        return len(data)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        if self.pending:
            data, self.pending = self.pending, b""
            self._sock.sendall(data)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self.flush()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0


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
        return can_keep(self, getattr(self, "environ", None) or {}, getattr(self, "streamkit_body", None),
                        self.headers.get("Connection"), self.headers.get("Transfer-Encoding"))

    def maybe_send_header(self: Any, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and keep_alive(self):
            _local.keep = True
            return  # the connection stays open for the client's next request
        send_header(self, keyword, value)

    setup = serving.WSGIRequestHandler.setup
    handle_expect_100 = serving.WSGIRequestHandler.handle_expect_100

    def coalescing_setup(self: Any) -> None:
        setup(self)
        if self.wbufsize == 0:
            self.wfile = _Writer(self.connection)

    def flush_headers(self: Any) -> None:
        if hasattr(self, "_headers_buffer"):
            block = b"".join(self._headers_buffer)
            self._headers_buffer = []
            if isinstance(self.wfile, _Writer):
                self.wfile.pending += block
            else:
                self.wfile.write(block)

    def expect_100(self: Any) -> bool:
        answer = handle_expect_100(self)
        self.wfile.flush()  # the client waits for it before sending the body
        return answer

    serving.WSGIRequestHandler.setup = coalescing_setup  # type: ignore[method-assign]
    serving.WSGIRequestHandler.flush_headers = flush_headers  # type: ignore[method-assign]
    serving.WSGIRequestHandler.handle_expect_100 = expect_100  # type: ignore[method-assign]
    serving.WSGIRequestHandler.disable_nagle_algorithm = True
    serving.WSGIRequestHandler.make_environ = counting_make_environ  # type: ignore[method-assign]
    serving.WSGIRequestHandler.send_header = maybe_send_header  # type: ignore[method-assign]
    serving.selectors = types.SimpleNamespace(DefaultSelector=_Selector, EVENT_READ=selectors.EVENT_READ)
