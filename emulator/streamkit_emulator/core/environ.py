"""The WSGI environment of a request, made as werkzeug's development server
makes it, with the parts that do not change computed once.

werkzeug's `WSGIRequestHandler.make_environ` splits, unquotes and
re-encodes the request path four times, asks the socket for the peer and
server addresses, and looks for a TLS peer certificate by catching the
AttributeError a plain socket raises, on every request (about 5% of the
emulator's CPU per DynamoDB PutItem, py-spy). Here the path's entries
(`PATH_INFO`, `QUERY_STRING`, `REQUEST_URI`, `RAW_URI`, an absolute URL's
host) are kept per path (bounded), the connection's (`REMOTE_ADDR`,
`REMOTE_PORT`, `SERVER_NAME`, `SERVER_PORT`, the URL scheme) per handler
(one connection, kept alive for many requests), and the header loop, the
chunked-body check and the TLS certificate are werkzeug's own code. For a
TLS connection, or a server whose handler answers `address_string`
differently, werkzeug's function is used unchanged.
`emulator/tests/test_environ.py` compares both environments over a corpus
of request lines and header blocks."""
from __future__ import annotations

import sys
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

_MAX_PATHS = 1024
_paths: dict[str, tuple[tuple[tuple[str, str], ...], str | None]] = {}
_lock = threading.Lock()
_original: Any = None


def _path_entries(path: str) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The path's environment entries and an absolute URL's host, as werkzeug computes them."""
    from werkzeug.serving import _wsgi_encoding_dance

    found = _paths.get(path)
    if found is None:
        url = urlsplit(path)
        path_info = f"/{url.netloc}{url.path}" if not url.scheme and url.netloc else url.path
        entries = (("PATH_INFO", _wsgi_encoding_dance(unquote(path_info))),
                   ("QUERY_STRING", _wsgi_encoding_dance(url.query)),
                   ("REQUEST_URI", _wsgi_encoding_dance(path)),
                   ("RAW_URI", _wsgi_encoding_dance(path)))
        found = (entries, url.netloc if url.scheme and url.netloc else None)
        with _lock:
            if len(_paths) >= _MAX_PATHS:
                _paths.clear()
            _paths[path] = found
    return found


def make_environ(self: Any) -> dict[str, Any]:
    """`WSGIRequestHandler.make_environ` (see above)."""
    from werkzeug.http import parse_set_header
    from werkzeug.serving import DechunkedInput

    connection = getattr(self, "streamkit_connection", None)
    if connection is None:
        if self.server.ssl_context is not None or hasattr(self.connection, "getpeercert") or \
                type(self).address_string is not _werkzeug_address_string():
            return _original(self)
        if not self.client_address:
            self.client_address = ("<local>", 0)
        elif isinstance(self.client_address, str):
            self.client_address = (self.client_address, 0)
        connection = self.streamkit_connection = (
            ("REMOTE_ADDR", self.address_string()), ("REMOTE_PORT", self.port_integer()),
            ("SERVER_NAME", self.server.server_address[0]), ("SERVER_PORT", str(self.server.server_address[1])))
    entries, absolute_host = _path_entries(self.path)
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
    }
    environ.update(entries)
    environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = connection[0][1], connection[1][1]
    environ["SERVER_NAME"], environ["SERVER_PORT"] = connection[2][1], connection[3][1]
    environ["SERVER_PROTOCOL"] = self.request_version
    for key, value in self.headers.items():  # werkzeug's loop
        if "_" in key:
            continue
        key = key.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    if "HTTP_TRANSFER_ENCODING" in environ and "chunked" in parse_set_header(environ["HTTP_TRANSFER_ENCODING"]):
        environ["wsgi.input_terminated"] = True
        environ["wsgi.input"] = DechunkedInput(environ["wsgi.input"])
    if absolute_host is not None:
        environ["HTTP_HOST"] = absolute_host
    return environ


def _werkzeug_address_string() -> Any:
    from werkzeug.serving import WSGIRequestHandler

    return WSGIRequestHandler.__dict__["address_string"]


def install() -> None:
    """Before `core/keepalive.py`, which wraps the handler's `make_environ`."""
    global _original
    from werkzeug import serving

    if serving.WSGIRequestHandler.make_environ is make_environ:
        return
    _original = serving.WSGIRequestHandler.make_environ
    serving.WSGIRequestHandler.make_environ = make_environ  # type: ignore[method-assign]
