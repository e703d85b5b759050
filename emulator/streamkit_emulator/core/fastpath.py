"""JSON-protocol requests served without Flask's per-request machinery.

Every request moto server answers goes through a Flask app per service:
a request context pushed and popped, the URL map bound and matched, the
`before_request` hook (gzip bodies), the view wrapper
(`convert_to_flask_response`), Flask's response object, the
`after_request` hooks (flask-cors) and the session machinery. For the
join pipeline's hottest requests, DynamoDB's and Kinesis's JSON calls
(`POST /` with `X-Amz-Target`), that was about a third of the emulator's
CPU per conditional PutItem (`bench/joins_scale.py`, BENCHMARKS.md).

Here such a request goes straight to the same view callback the app's URL
map names for `POST /` (moto's `DynamoHandler.dispatch`,
`KinesisResponse.dispatch`), with a werkzeug request over the same WSGI
environment, the same arguments `convert_to_flask_response` passes, and an
answer built as that wrapper and flask-cors build it (the same status,
headers and body: `emulator/tests/test_fastpath.py` compares both paths
request by request on two live emulators).

A request the fast path does not reproduce exactly goes through Flask as
before: any other service, method, path or query string, a compressed body
(the app's `before_request` decompresses it), a CORS request (`Origin`),
a chunked body, or moto's request recorder switched on.
`STREAMKIT_EMULATOR_FAST_PATH=0` turns it off (the comparison test's
reference emulator)."""
from __future__ import annotations

import os
import re
import threading
from typing import Any, Callable

from moto.moto_server import werkzeug_app

from streamkit_emulator.core import leansetup

SERVICES = {"dynamodb": "DynamoDB_20120810.", "kinesis": "Kinesis_20131202."}
_TARGETS = tuple(SERVICES.values())
_JSON = "application/x-amz-json-1."
_CORS_ORIGIN = "Access-Control-Allow-Origin"

_views: dict[int, Callable[..., Any] | None] = {}
_views_lock = threading.Lock()


def enabled() -> bool:
    """Read once, when installed: the variable is set when the emulator starts."""
    return os.environ.get("STREAMKIT_EMULATOR_FAST_PATH", "1") != "0"


def eligible(environ: dict[str, Any]) -> bool:
    """The request is one the fast path answers as Flask would (see above)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if not target or environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
        return False
    if environ.get("QUERY_STRING") or "HTTP_ORIGIN" in environ or "HTTP_CONTENT_ENCODING" in environ:
        return False
    if environ.get("wsgi.input_terminated") or "HTTP_HOST" not in environ:
        return False
    if not environ.get("CONTENT_TYPE", "").startswith(_JSON):
        return False
    return target.startswith(_TARGETS)


def _view(app: Any) -> Callable[..., Any] | None:
    """The callback the app's URL map runs for `POST /` (moto's
    `ResponseClass.dispatch`), found once per app; None if it is not moto's
    usual view wrapper or the app has hooks the fast path does not copy."""
    key = id(app)
    if key in _views:
        return _views[key]
    with _views_lock:
        if key not in _views:
            from moto.core.utils import convert_to_flask_response

            view = None
            try:
                endpoint, args = app.url_map.bind("localhost").match("/", "POST")
                wrapper = app.view_functions.get(endpoint)
                hooks = {k: [f.__name__ for f in v] for k, v in app.before_request_funcs.items()}
                after = {k: [f.__name__ for f in v] for k, v in app.after_request_funcs.items()}
                if (not args and isinstance(wrapper, convert_to_flask_response)
                        and hooks == {None: ["decompress_request_body"]}
                        and after == {None: ["cors_after_request"]}
                        and not app.teardown_request_funcs.get(None)):
                    view = wrapper.callback
            except Exception:  # no rule for POST /: Flask answers it
                view = None
            _views[key] = view
    return _views[key]


def serve(app: Any, environ: dict[str, Any], start_response: Callable) -> Any:
    """The answer Flask would give, or None when the app is not one of the
    fast path's (the caller lets Flask serve it)."""
    if getattr(app, "service", None) not in SERVICES:
        return None
    from moto.moto_api import recorder

    if getattr(recorder, "_enabled", False):
        return None
    view = _view(app)
    if view is None:
        return None
    from botocore.exceptions import ClientError
    from flask.wrappers import Request, Response

    request = Request(environ)
    # What werkzeug's `_load_form_data` sets for a body that is not a form
    # (every JSON-protocol body): empty `form` and `files`.
    request.__dict__["form"] = request.parameter_storage_class()
    request.__dict__["files"] = request.parameter_storage_class()
    body = _body(environ)
    if body is not None:  # what `request.data` reads and keeps, read here without the stream wrappers
        request.__dict__["data"] = body
        request._cached_data = body
    try:
        result = leansetup.dispatch(view, request, url(environ) or request.url)
    except ClientError as exc:  # as convert_to_flask_response answers it
        result = 400, {}, exc.response["Error"]["Message"]
    if len(result) == 3:
        status, headers, content = result
    else:
        status, headers, content = 200, {}, result
    answer = _direct(status, headers, content)
    if answer is not None:
        start_response(answer[0], answer[1])
        return [answer[2]]
    response = Response(response=content, status=status, headers=headers)
    # flask-cors (moto's CORS(app), always_send, origins "*"): a request without
    # an Origin header gets the wildcard unless the answer names an origin.
    if not response.headers.get(_CORS_ORIGIN):
        response.headers.add(_CORS_ORIGIN, "*")
    return response(environ, start_response)


def _body(environ: dict[str, Any]) -> bytes | None:
    """The request body werkzeug's `request.data` reads (a body of
    Content-Length bytes, not chunked: `eligible`); None when the length is
    not a plain number (werkzeug reads it then). A body cut short raises
    werkzeug's `ClientDisconnected`, as its limited stream does."""
    text = environ.get("CONTENT_LENGTH")
    if not text or not text.isdigit():
        return None
    length = int(text)
    body = environ["wsgi.input"].read(length) if length else b""
    if len(body) != length:
        from werkzeug.exceptions import ClientDisconnected

        raise ClientDisconnected()
    return body


_status_lines: dict[int, str] = {}
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]+)?\Z")


def url(environ: dict[str, Any]) -> str | None:
    """`request.url` of a `POST /` without a query string, as werkzeug makes it
    (`get_current_url`: scheme, host in lower case without the scheme's default
    port, `/`),
    for a plain ASCII host; None otherwise (werkzeug's own answer is used)."""
    host = environ["HTTP_HOST"].lower()
    if environ.get("wsgi.url_scheme") != "http" or environ.get("SCRIPT_NAME") or not _PLAIN_HOST.match(host):
        return None
    if "xn--" in host:  # an IDNA host: werkzeug writes it in Unicode
        return None
    return f"http://{host[:-3] if host.endswith(':80') else host}/"


def _direct(status: Any, headers: Any, content: Any) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The status line, header list and body Flask's `Response` and flask-cors
    make of moto's (status, headers, body), built without them for the usual
    case: an int status with a body (not 1xx, 204 or 304), a dict of
    single-valued headers without newlines or case-duplicates, a str or bytes
    body. Werkzeug's order: the given headers, then a default Content-Type,
    then Content-Length (replaced in place if given), then the CORS header.
    None for anything else (the caller builds the `Response`)."""
    if type(status) is not int or status < 200 or status in (204, 304) or type(headers) is not dict:
        return None
    if type(content) is str:
        body = content.encode("utf-8")
    elif type(content) is bytes:
        body = content
    else:
        return None
    items: list[tuple[str, str]] = []
    names = set()
    length = str(len(body))
    for name, value in headers.items():
        if type(name) is not str or isinstance(value, (list, tuple, set)):
            return None
        value = value if type(value) is str else str(value)
        if "\n" in value or "\r" in value:
            return None
        lower = name.lower()
        if lower in names:
            return None
        names.add(lower)
        items.append((name, length if lower == "content-length" else value))
    if "content-type" not in names:
        items.append(("Content-Type", "text/html; charset=utf-8"))
    if "content-length" not in names:
        items.append(("Content-Length", length))
    if "access-control-allow-origin" in names:
        return None
    items.append((_CORS_ORIGIN, "*"))
    line = _status_lines.get(status)
    if line is None:
        from werkzeug.wrappers import Response as Plain

        line = _status_lines[status] = Plain(status=status).status
    return line, items, body


def install() -> None:
    following: Callable[..., Any] = werkzeug_app.DomainDispatcherApplication.__call__
    if not enabled():
        return

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable) -> Any:
        if eligible(environ):
            answer = serve(self.get_application(environ), environ, start_response)
            if answer is not None:
                return answer
        return following(self, environ, start_response)

    werkzeug_app.DomainDispatcherApplication.__call__ = __call__
