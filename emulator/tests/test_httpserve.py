"""core/httpserve.py: a plain request is read and answered exactly as the
standard library's `http.server` and werkzeug's development server answer it
(RFC 9112 message syntax; PEP 3333 environment), byte for byte.

Two werkzeug servers run in this process with the emulator's patches
installed: one with the lean handler (`WSGIRequestHandler` as installed) and
one whose handler is the standard library's `handle_one_request` (werkzeug's
`run_wsgi` behind it). The same raw requests go to both over one connection
each; every byte of every answer (the `Date` value aside) and every WSGI
environment the application saw must be the same, as must whether the
connection was closed."""
from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from streamkit_emulator import install
from streamkit_emulator.core import httpserve

install(strict=True)


class _Stock(WSGIRequestHandler):
    handle_one_request = http.server.BaseHTTPRequestHandler.handle_one_request


def _app(environ, start_response):
    """Echoes what it was given; the path picks an answer shape."""
    path = environ["PATH_INFO"]
    body = b""
    if environ.get("CONTENT_LENGTH", "").isdigit() and not path.startswith("/unread"):
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    if environ.get("wsgi.input_terminated"):
        body = environ["wsgi.input"].read()
    seen = {k: v for k, v in environ.items() if isinstance(v, (str, int, bool, tuple)) and k not in ("REMOTE_PORT", "SERVER_PORT")}
    seen["body"] = body.decode("latin-1")
    answer = json.dumps(seen, sort_keys=True).encode()
    if path == "/raise":
        raise RuntimeError("the application failed")
    if path == "/raise-late":
        def late():
            yield b"partial"
            raise RuntimeError("failed after the first part")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return late()
    if path == "/chunked":  # no length: the server chunks it
        start_response("200 OK", [("Content-Type", "application/json")])
        return [answer[:10], answer[10:]]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/close":
        start_response("200 OK", [("Content-Length", str(len(answer))), ("Connection", "close")])
        return [answer]
    if path == "/write":
        write = start_response("201 Created", [("Content-Length", str(len(answer))), ("X-Many", "1")])
        write(answer[:5])
        return [answer[5:]]
    if path == "/odd-status":
        start_response("299", [("Content-Length", "0")])
        return []
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]


@pytest.fixture(scope="module")
def servers():
    started = []
    for handler in (WSGIRequestHandler, _Stock):
        server = make_server("127.0.0.1", 0, _app, threaded=True, request_handler=handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    yield [s.server_port for s in started]
    for s in started:
        s.shutdown()


def _read_answer(f):
    """One answer's bytes (None at the end of the connection)."""
    status = f.readline()
    if not status:
        return None
    out, length, chunked = [status], None, False
    while True:
        line = f.readline()
        out.append(line)
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        if name.lower() == "transfer-encoding" and "chunked" in value:
            chunked = True
        if name.lower() == "date":
            out[-1] = b"Date: <date>\r\n"
    code = int(status.split()[1])
    if code == 100:
        return b"".join(out) + (_read_answer(f) or b"")
    if chunked:
        while True:
            size = f.readline()
            out.append(size)
            if not size.strip():  # the connection closed inside the answer
                break
            n = int(size, 16)
            out.append(f.read(n + 2))
            if n == 0:
                break
    elif length is not None:
        out.append(f.read(length))
    elif code not in (204, 304) and code >= 200:
        out.append(f.read())
    return b"".join(out)


def _exchange(port, raw: bytes, answers: int):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(raw)
    f = sock.makefile("rb")
    got = [_read_answer(f) for _ in range(answers)]
    sock.settimeout(0.3)
    try:
        closed = f.read(1) == b""
    except (socket.timeout, TimeoutError):
        closed = False
    sock.close()
    return got, closed


def _post(path=b"/", body=b'{"a": 1}', extra=b"", version=b"HTTP/1.1", method=b"POST"):
    return (method + b" " + path + b" " + version + b"\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


CASES = {
    "plain": [_post(), _post(body=b"{}")],
    "sdk-like": [_post(extra=b"X-Amz-Target: DynamoDB_20120810.PutItem\r\nX-Amz-Date: 20261207T000000Z\r\n"
                              b"Authorization: AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/dynamodb/"
                              b"aws4_request, SignedHeaders=host;x-amz-date, Signature=abc\r\n"
                              b"amz-sdk-invocation-id: 1\r\namz-sdk-request: attempt=1; max=3\r\n"
                              b"user-agent: aws-sdk-rust/1.3\r\nx-amz-user-agent: aws-sdk-rust/1.3\r\n")] * 3,
    "repeated-and-underscore-headers": [_post(extra=b"X-Many: 1\r\nx-many: 2\r\nX_Skip: yes\r\nEmpty:\r\n"
                                                b"Spaced:   \t  v  \r\n")],
    "query-and-escapes": [_post(path=b"/a%20b/c?x=1&y=%2F"), _post(path=b"/%E2%82%AC?q")],
    "get-without-body": [b"GET /echo HTTP/1.1\r\nHost: h\r\n\r\n", b"HEAD /echo HTTP/1.1\r\nHost: h\r\n\r\n"],
    "connection-close": [_post(extra=b"Connection: close\r\n")],
    "connection-keep-alive": [_post(extra=b"Connection: Keep-Alive\r\n"), _post()],
    "http-1.0": [_post(version=b"HTTP/1.0")],
    "http-1.0-keep-alive": [_post(version=b"HTTP/1.0", extra=b"Connection: keep-alive\r\n")],
    "expect-100": [_post(extra=b"Expect: 100-continue\r\n")],
    "chunked-body": [b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"],
    "folded-header": [_post(extra=b"X-Folded: one\r\n two\r\n")],
    "double-slash": [_post(path=b"//twice/x")],
    "absolute-form": [_post(path=b"http://example.test/x")],
    "lower-case-method": [b"get /echo HTTP/1.1\r\nHost: h\r\n\r\n"],
    "unread-body": [_post(path=b"/unread", body=b"x" * 5000)],
    "short-body": [_post(body=b"abc", extra=b"")[:-1]],
    "long-header-line": [_post(extra=b"X-Long: " + b"a" * 70000 + b"\r\n")],
    "too-many-headers": [_post(extra=b"".join(b"X-H%d: v\r\n" % i for i in range(101)))],
    "long-request-line": [b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: h\r\n\r\n"],
    "bad-version": [b"GET / HTTP/1.x\r\nHost: h\r\n\r\n"],
    "app-raises": [_post(path=b"/raise")],
    "app-raises-after-a-part": [_post(path=b"/raise-late")],
    "chunked-answer": [_post(path=b"/chunked"), _post()],
    "no-content": [_post(path=b"/empty"), _post()],
    "app-says-close": [_post(path=b"/close"), _post()],
    "write-callable": [_post(path=b"/write"), _post()],
    "status-without-reason": [_post(path=b"/odd-status")],
    "latin-1-header-value": [_post(extra="X-Name: caf\u00e9\r\n".encode("latin-1"))],
}
# Answers expected per case (a closed connection answers no more).
ANSWERS = {"connection-close": 1, "http-1.0": 1, "http-1.0-keep-alive": 1, "unread-body": 1, "short-body": 0,
           "long-header-line": 1, "too-many-headers": 1, "long-request-line": 1, "bad-version": 1,
           "app-raises-after-a-part": 1, "lower-case-method": 1}


@pytest.mark.parametrize("case", sorted(CASES))
def test_answers_are_the_standard_servers(servers, case):
    raw = b"".join(CASES[case])
    n = ANSWERS.get(case, len(CASES[case]))
    lean, stock = (_exchange(port, raw, n) for port in servers)
    assert lean == stock
    if case in ("plain", "sdk-like", "connection-keep-alive", "chunked-answer"):
        assert not lean[1], "a plain HTTP/1.1 request keeps its connection"
        assert all(b"Connection: close" not in a for a in lean[0])


def test_the_lean_handler_is_installed_and_serves_plain_requests(servers, monkeypatch):
    assert WSGIRequestHandler.handle_one_request is httpserve.handle_one_request
    calls = []
    real = httpserve._run
    monkeypatch.setattr(httpserve, "_run", lambda *a: calls.append(1) or real(*a))
    _exchange(servers[0], _post() + _post(extra=b"Expect: 100-continue\r\n") + _post(version=b"HTTP/1.0"), 3)
    assert calls == [1]  # the plain request only; the others went to the standard servers' code


def test_environments_are_werkzeugs_key_for_key(servers):
    extra = b"X-Many: 1\r\nX-Many: 2\r\nX_Skip: 1\r\nCookie: a=b\r\nContent-Type: text/plain\r\n"
    for path in (b"/", b"/p%41th/x?y=%20z&k", b"/caf%C3%A9"):
        (lean,), _ = _exchange(servers[0], _post(path=path, extra=extra), 1)
        (stock,), _ = _exchange(servers[1], _post(path=path, extra=extra), 1)
        seen = json.loads(lean.split(b"\r\n\r\n", 1)[1])
        assert seen == json.loads(stock.split(b"\r\n\r\n", 1)[1])
        assert seen["HTTP_X_MANY"] == "1,2" and "HTTP_X_SKIP" not in seen
