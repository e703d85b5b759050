"""The WSGI router in front of moto that sends
`/_aws/execute-api/{api_id}/{stage}/{path}` to the API Gateway runtime
(`apigw_runtime.handle`); every other request goes on to moto (and its other
wrappers, e.g. `cbor.py`) unchanged. Installed last, so it wraps them."""
from __future__ import annotations

import sys
import traceback
from http import HTTPStatus
from typing import Any, Callable
from urllib.parse import parse_qs

from moto.moto_server import werkzeug_app

from streamkit_emulator.apigateway import runtime as apigw_runtime

PREFIX = "/_aws/execute-api/"
_next: Callable[..., Any] | None = None


def __call__(self: Any, environ: dict[str, Any], start_response: Callable) -> Any:
    path = environ.get("PATH_INFO", "")
    if not path.startswith(PREFIX):
        return _next(self, environ, start_response)  # type: ignore[misc]
    parts = path[len(PREFIX):].split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return _send(start_response, apigw_runtime.error_response(403, "Forbidden", "ForbiddenException", "-"))

    def app(env: dict[str, Any], respond: Callable) -> Any:  # moto and its wrappers, for integrations
        return __call__(self, env, respond)

    try:
        req = request(environ, "/" + (parts[2] if len(parts) > 2 else ""))
        resp = apigw_runtime.handle(app, parts[0], parts[1], req)
    except Exception:  # noqa: BLE001 - answer like API Gateway, and say why on stderr
        traceback.print_exc(file=sys.stderr)
        resp = apigw_runtime.error_response(500, "Internal server error", "InternalServerErrorException", "-")
    return _send(start_response, resp)


def request(environ: dict[str, Any], path: str) -> apigw_runtime.Request:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
    raw_path, _, raw_query = raw.partition("?")
    raw_query = raw_query or environ.get("QUERY_STRING", "")
    header_lists: dict[str, list[str]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-").title()
        else:
            continue
        header_lists.setdefault(name, []).append(value)
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    body = stream.read(int(length)) if length else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    return apigw_runtime.Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=path,
        raw_path=raw_path,
        raw_query=raw_query,
        query=parse_qs(raw_query, keep_blank_values=True),
        headers={k.lower(): v[-1] for k, v in header_lists.items()},
        header_lists=header_lists,
        body=body,
        source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
        protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
    )


def _send(start_response: Callable, resp: apigw_runtime.Response) -> list[bytes]:
    try:
        phrase = HTTPStatus(resp.status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [(k, v) for k, v in resp.headers.items() if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(resp.body))))
    start_response(f"{resp.status} {phrase}", headers)
    return [resp.body]


def install() -> None:
    """Puts the router in front of whatever handles requests now."""
    global _next
    _next = werkzeug_app.DomainDispatcherApplication.__call__
    werkzeug_app.DomainDispatcherApplication.__call__ = __call__
