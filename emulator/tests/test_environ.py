"""core/environ.py: the WSGI environment of a request is the one werkzeug's
development server makes (PEP 3333 "environ Variables"; werkzeug's
`make_environ`), for a corpus of request lines and header blocks, also
when one handler (one kept-alive connection) serves several requests."""
from __future__ import annotations

import io
import random
import socket
import types

from werkzeug import serving

from streamkit_emulator.core import environ, headers


def _handler(path: str, header_lines: list[str], client=("127.0.0.1", 51234), version="HTTP/1.1"):
    h = object.__new__(serving.WSGIRequestHandler)
    h.server = types.SimpleNamespace(ssl_context=None, multithread=True, multiprocess=False,
                                     server_address=("127.0.0.1", 4566))
    h.connection = _SOCKET
    h.client_address = client
    return _request(h, path, header_lines, version)


def _request(h, path, header_lines, version="HTTP/1.1", command="POST"):
    h.path, h.command, h.request_version = path, command, version
    h.rfile = io.BytesIO(b"body")
    h.headers = headers.parse_lines([line.encode("iso-8859-1") + b"\r\n" for line in header_lines] + [b"\r\n"])
    return h


_SOCKET = socket.socket()


def _comparable(env: dict) -> dict:
    out = dict(env)
    out["wsgi.input"] = type(out["wsgi.input"]).__name__  # each handler reads its own file
    return out


PATHS = ["/", "/?a=1&b=%20x", "/moto-api/", "//double/slash", "http://example.com:80/p?q", "/%E2%82%AC/x y",
         "/restapis/abc/stages/p/_user_request_/items?x=1", "*", "/a%2Fb", "/é"]
HEADERS = [
    ["Host: 127.0.0.1:4566", "Content-Type: application/x-amz-json-1.0", "Content-Length: 4",
     "X-Amz-Target: DynamoDB_20120810.PutItem", "Authorization: AWS4-HMAC-SHA256 Credential=a/b"],
    ["Host: h", "Transfer-Encoding: chunked", "X-Dup: 1", "X-Dup: 2", "Under_Score: no"],
    ["Host: h", "Transfer-Encoding: gzip, chunked", "Content-Length: 0"],
    ["host: lower", "expect: 100-continue", "X-Long: " + "v" * 300],
    [],
]


def test_environments_are_werkzeug_s():
    original = environ._original or serving.WSGIRequestHandler.make_environ
    rng = random.Random(4)
    lean_handler = None
    for _ in range(400):
        path, lines = rng.choice(PATHS), rng.choice(HEADERS)
        client = rng.choice([("127.0.0.1", 51234), ("::1", 9)])
        reference = original(_handler(path, lines, client))
        # A new connection, or the next request on the last one.
        if lean_handler is None or rng.random() < 0.3 or lean_handler.client_address != client:
            lean_handler = _handler(path, lines, client)
        else:
            _request(lean_handler, path, lines)
        made = environ.make_environ(lean_handler)
        lean_handler.environ = made  # as run_wsgi keeps it
        assert _comparable(made) == _comparable(reference), (path, lines)
        assert list(made) == list(reference)  # the same order too


def test_a_tls_connection_gets_werkzeug_s_own():
    class TLS:
        def getpeercert(self, binary_form=False):
            return None

    h = _handler("/", HEADERS[0])
    h.connection = TLS()
    environ._original = environ._original or serving.WSGIRequestHandler.make_environ
    made = environ.make_environ(h)
    assert made["werkzeug.socket"] is h.connection and not hasattr(h, "streamkit_connection")
