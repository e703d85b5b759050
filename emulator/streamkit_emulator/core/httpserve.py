"""A plain request read and answered without the generality the standard
library's `http.server` and werkzeug's development server pay for on every
request (py-spy under the joins pipeline: reading the request line and
headers, building the WSGI environment and writing the answer were about a
fifth of the emulator's CPU while the services' work was the rest).

A request is plain when its request line is `METHOD /path HTTP/1.1`
(an upper-case method, a path of visible ASCII starting with one `/`), its
header lines are all of the usual `Name: value` form, it has no `Expect` and
no `Transfer-Encoding` header, and the server is not TLS. For such a request
this module does what the two servers do, step by step, in one pass:

* the headers are read with the same limits (`http.client`: 65,536 bytes a
  line, 100 lines; over either, the same 431 answer) and kept on the handler
  as the `http.server` handler keeps them;
* `Connection: close` / `keep-alive` are honoured as `parse_request` does;
* the WSGI environment is werkzeug's `make_environ`'s, key for key (the
  request headers as `HTTP_*` keys, names with `_` skipped, repeated headers
  joined with `,`), with the body counted as `core/keepalive.py` counts it;
* the answer is werkzeug's `run_wsgi`'s: status line, `Server`, `Date`, the
  application's headers, `Transfer-Encoding: chunked` when it gives no
  length, `Connection: close` unless the connection is kept
  (`core/keepalive.py`), sent with the body in one write; the access log
  line as before; an application error answered with werkzeug's 500 page
  and logged with its traceback; a dropped connection ignored.

Anything else (another HTTP version, an `Expect: 100-continue`, a chunked
body, a folded header line, a request line of another form) is served by
`http.server` and werkzeug as before. `emulator/tests/test_httpserve.py`
compares both servers' answers byte for byte, request by request, and both
environments key by key. `STREAMKIT_EMULATOR_LEAN_HTTP=0` turns it off
(HTTP/1.1 message syntax: RFC 9112; WSGI: PEP 3333).
"""
from __future__ import annotations

import http.client
import os
import re
import selectors
import sys
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug import serving
from werkzeug._internal import _wsgi_encoding_dance
from werkzeug.debug.tbtools import DebugTraceback
from werkzeug.exceptions import InternalServerError

from streamkit_emulator.core import headers as _headers
from streamkit_emulator.core import keepalive

# `http.server.BaseHTTPRequestHandler.parse_request`'s reading of such a line:
# three words, the version HTTP/1.1, a path that is not `//...` (which it rewrites).
_LINE = re.compile(rb"([A-Z]+) (/(?!/)[!-~]*) HTTP/1\.1\r?\n\Z")


def enabled() -> bool:
    return os.environ.get("STREAMKIT_EMULATOR_LEAN_HTTP", "1") != "0"


def _stock(self: Any, raw: bytes) -> None:
    """`BaseHTTPRequestHandler.handle_one_request` after its first read."""
    self.raw_requestline = raw
    if len(raw) > 65536:
        self.requestline = ""
        self.request_version = ""
        self.command = ""
        self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
        return
    if not raw:
        self.close_connection = True
        return
    if not self.parse_request():
        return
    mname = "do_" + self.command
    if not hasattr(self, mname):
        self.send_error(HTTPStatus.NOT_IMPLEMENTED, "Unsupported method (%r)" % self.command)
        return
    getattr(self, mname)()
    self.wfile.flush()


def handle_one_request(self: Any) -> None:
    """`handle_one_request` with the plain request's path (see the module)."""
    try:
        raw = self.rfile.readline(65537)
        found = _LINE.match(raw) if len(raw) <= 65536 else None
        if found is None or self.server.ssl_context is not None or self.protocol_version != "HTTP/1.1":
            _stock(self, raw)
            return
        # What parse_request sets for a three-word HTTP/1.1 line.
        self.raw_requestline = raw
        self.requestline = raw.decode("iso-8859-1").rstrip("\r\n")
        self.command = found.group(1).decode("ascii")
        self.path = found.group(2).decode("ascii")
        self.request_version = "HTTP/1.1"
        self.close_connection = False
        try:
            lines = http.client._read_headers(self.rfile)  # type: ignore[attr-defined]
        except http.client.LineTooLong as err:
            self.send_error(431, "Line too long", str(err))
            return
        except http.client.HTTPException as err:
            self.send_error(431, "Too many headers", str(err))
            return
        pairs = _headers.pairs(lines)
        if pairs is None:
            self.headers = _headers._email_parse(lines, self.MessageClass)
            _connection(self, self.headers.get("Connection", ""))
            _rest_of_stock(self)
            return
        self.headers = _headers.message_of(pairs, self.MessageClass)
        first: dict[str, str] = {}
        for name, value in pairs:
            first.setdefault(name.lower(), value)
        connection = first.get("connection", "")
        _connection(self, connection)
        if "expect" in first or "transfer-encoding" in first:
            _rest_of_stock(self)
            return
        _run(self, pairs, connection)
        self.wfile.flush()
    except TimeoutError as e:
        self.log_error("Request timed out: %r", e)
        self.close_connection = True


def _connection(self: Any, conntype: str) -> None:
    """`parse_request`'s reading of the request's first Connection header."""
    if conntype.lower() == "close":
        self.close_connection = True
    elif conntype.lower() == "keep-alive":
        self.close_connection = False


def _rest_of_stock(self: Any) -> None:
    """The rest of `parse_request` (Expect) and of `handle_one_request`
    (werkzeug's `run_wsgi`), for headers already read."""
    expect = self.headers.get("Expect", "")
    if expect.lower() == "100-continue":
        if not self.handle_expect_100():
            return
    getattr(self, "do_" + self.command)()
    self.wfile.flush()


def _environ(self: Any, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """werkzeug's `make_environ` for a plain request (no TLS, an origin-form path)."""
    request_url = urlsplit(self.path)
    if not self.client_address:
        self.client_address = ("<local>", 0)
    elif isinstance(self.client_address, str):
        self.client_address = (self.client_address, 0)
    path_info = unquote(request_url.path)
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": self.rfile,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": self.server.multithread,
        "wsgi.multiprocess": self.server.multiprocess,
        "wsgi.run_once": False,
        "werkzeug.socket": self.connection,
        "SERVER_SOFTWARE": self.server_version,
        "REQUEST_METHOD": self.command,
        "SCRIPT_NAME": "",
        "PATH_INFO": _wsgi_encoding_dance(path_info),
        "QUERY_STRING": _wsgi_encoding_dance(request_url.query),
        "REQUEST_URI": _wsgi_encoding_dance(self.path),
        "RAW_URI": _wsgi_encoding_dance(self.path),
        "REMOTE_ADDR": self.address_string(),
        "REMOTE_PORT": self.port_integer(),
        "SERVER_NAME": self.server.server_address[0],
        "SERVER_PORT": str(self.server.server_address[1]),
        "SERVER_PROTOCOL": self.request_version,
    }
    for key, value in pairs:
        if "_" in key:
            continue
        key = key.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    return environ


def _run(self: Any, pairs: list[tuple[str, str]], connection: str) -> None:
    """werkzeug's `run_wsgi` (with `core/keepalive.py`'s counting and
    keep-alive) for a plain request: the header block built as one string."""
    keepalive._local.keep = False
    self.environ = environ = _environ(self, pairs)
    self.streamkit_body = body = environ["wsgi.input"] = keepalive._CountingInput(environ["wsgi.input"])
    status_set: str | None = None
    headers_set: list[tuple[str, str]] | None = None
    status_sent: str | None = None
    headers_sent: list[tuple[str, str]] | None = None
    chunk_response = False

    def write(data: bytes) -> None:
        nonlocal status_sent, headers_sent, chunk_response
        assert status_set is not None, "write() before start_response"
        assert headers_set is not None, "write() before start_response"
        if status_sent is None:
            status_sent = status_set
            headers_sent = headers_set
            try:
                code_str, msg = status_sent.split(None, 1)
            except ValueError:
                code_str, msg = status_sent, ""
            code = int(code_str)
            self.log_request(code)
            block = ["%s %d %s\r\n" % (self.protocol_version, code, msg),
                     "Server: %s\r\n" % self.version_string(), "Date: %s\r\n" % self.date_time_string()]
            header_keys = set()
            for key, value in headers_sent:
                _header(self, block, key, value, environ, body, connection)
                header_keys.add(key.lower())
            if not ("content-length" in header_keys or environ["REQUEST_METHOD"] == "HEAD"
                    or (100 <= code < 200) or code in {204, 304}):
                chunk_response = True
                _header(self, block, "Transfer-Encoding", "chunked", environ, body, connection)
            _header(self, block, "Connection", "close", environ, body, connection)
            block.append("\r\n")
            data_block = "".join(block).encode("latin-1", "strict")
            if isinstance(self.wfile, keepalive._Writer):
                self.wfile.pending += data_block  # sent with the first part of the body
            else:
                self.wfile.write(data_block)
        assert isinstance(data, bytes), "applications must write bytes"
        if data:
            if chunk_response:
                self.wfile.write(hex(len(data))[2:].encode())
                self.wfile.write(b"\r\n")
            self.wfile.write(data)
            if chunk_response:
                self.wfile.write(b"\r\n")
        self.wfile.flush()

    def start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
        nonlocal status_set, headers_set
        if exc_info:
            try:
                if headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif headers_set:
            raise AssertionError("Headers already set")
        status_set = status
        headers_set = headers
        return write

    def execute(app: Any) -> None:
        application_iter = app(environ, start_response)
        try:
            for data in application_iter:
                write(data)
            if not headers_sent:
                write(b"")
            if chunk_response:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            if not keepalive._local.keep:
                _drain(self)
            if hasattr(application_iter, "close"):
                application_iter.close()

    try:
        execute(self.server.app)
    except serving.connection_dropped_errors as e:
        self.connection_dropped(e, environ)
    except Exception as e:
        if self.server.passthrough_errors:
            raise
        if status_sent is not None and chunk_response:
            self.close_connection = True
        try:
            if status_sent is None:
                status_set = None
                headers_set = None
            execute(InternalServerError())
        except Exception:
            pass
        msg = DebugTraceback(e).render_traceback_text()
        self.server.log("error", f"Error on request:\n{msg}")


def _header(self: Any, block: list[str], keyword: str, value: Any, environ: dict[str, Any],
            body: Any, connection: str) -> None:
    """`send_header` as `core/keepalive.py` wraps it: the `Connection: close`
    of a connection that stays open is not sent."""
    lower = keyword.lower()
    if lower == "connection":
        if value.lower() == "close" and keepalive.can_keep(self, environ, body, connection, ""):
            keepalive._local.keep = True
            return
        if value.lower() == "close":
            self.close_connection = True
        elif value.lower() == "keep-alive":
            self.close_connection = False
    block.append("%s: %s\r\n" % (keyword, value))


def _drain(self: Any) -> None:
    """werkzeug's after-response read of what else the socket holds (a
    connection that is closed)."""
    selector = selectors.DefaultSelector()
    selector.register(self.connection, selectors.EVENT_READ)
    total_size = 0
    total_reads = 0
    while selector.select(timeout=0.01):
        data = self.rfile.read(10_000_000)
        total_size += len(data)
        total_reads += 1
        if not data or total_size >= 10_000_000_000 or total_reads > 1000:
            break
    selector.close()


def install() -> None:
    if not enabled():
        return
    serving.WSGIRequestHandler.handle_one_request = handle_one_request  # type: ignore[method-assign]
