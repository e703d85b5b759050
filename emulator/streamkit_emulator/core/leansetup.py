"""moto's per-request handler setup (`BaseResponse.setup_class`) for the fast
path's requests, without the work whose result such a request never uses.

For a JSON-protocol `POST /` (DynamoDB, Kinesis: `core/fastpath.py`) moto's
setup parses the URL, tries the JSON body as a form-encoded query string,
decodes the resulting dict, and parses the body against the operation's
model through a normalized request, a protocol lookup and a new parser:
about 45% of the cost of moto's dispatch of a conditional PutItem as the
join function sends them (`bench/joins_scale.py`), and a third of it went to
steps whose outcome is fixed for these requests. Here the handler gets the
same attributes, computed the same way where they depend on the request
(region, access key, account, the body's parameters through the same
compiled parser, the query-string reading of the body where the body has
`&`, `=`, `+` or `%`), and reused where they do not (the URL's parse, the
operation's parser). `emulator/tests/test_leansetup.py` compares every
attribute with moto's own setup for a corpus of requests; anything outside
the fast path's shape (a compressed body, a body that is not UTF-8, a
request without a Host) takes moto's own setup.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any, Callable
from urllib.parse import parse_qsl, urlparse

from moto.core import responses
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol

_parsed_url = functools.lru_cache(maxsize=256)(urlparse)
_parsers: dict[tuple, Any] = {}
_lock = threading.Lock()
# (service, operation) -> a function answering a set-up handler's request
# directly, or None to let `call_action` answer it (e.g. dynamodb/direct.py).
direct: dict[tuple[str, str], Callable[[Any], Any]] = {}
_QUERY_CHARACTERS = ("&", "=", "+", "%")


def _querystring(text: str, headers: Callable[[], dict[str, Any]]) -> Any:
    """What `setup_class` makes of a request without form or query string:
    the body read as `application/x-www-form-urlencoded`, else the headers."""
    querystring: Any = OrderedDict()
    if text and not any(c in text for c in _QUERY_CHARACTERS):
        querystring[text] = [""]  # parse_qsl's one blank-valued pair
        return querystring
    if text:
        try:
            querystring.update(OrderedDict((key, [value]) for key, value in parse_qsl(text, keep_blank_values=True)))
        except (UnicodeEncodeError, UnicodeDecodeError, AttributeError):
            pass
    if not querystring:
        querystring.update(headers())
    try:
        querystring = responses._decode_dict(querystring)
    except UnicodeDecodeError:
        pass
    return querystring


def _parser(handler: Any, action: str, content_type: str) -> Any:
    """The operation's request parser, made once per service, operation,
    content type and map type (moto made a new one per request)."""
    key = (handler.boto3_service_name, action, content_type, handler.PROTOCOL_PARSER_MAP_TYPE)
    found = _parsers.get(key)
    if found is None:
        with _lock:
            found = _parsers.get(key)
            if found is None:
                model = responses.get_service_model(handler.boto3_service_name)
                operation = model.operation_model(action)
                protocol = determine_request_protocol(model, content_type)
                found = _parsers[key] = PROTOCOL_PARSERS[protocol](operation, map_type=handler.PROTOCOL_PARSER_MAP_TYPE)
    return found


def setup(handler: Any, request: Any, full_url: str, headers: dict[str, Any] | None = None) -> bool:
    """Sets up `handler` as `setup_class(request, full_url, headers)` would
    (`headers`: `dict(request.headers)`, made here only if needed);
    False (nothing set) for a request it leaves to moto's own setup."""
    if request.headers.get("Content-Encoding", "") == "gzip" or "host" not in request.headers:
        return False
    body = request.data
    if type(body) is not bytes:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    parsed_url = _parsed_url(full_url)
    if parsed_url.query or request.form or request.files:
        return False
    from moto.iam.models import mark_account_as_visited
    from moto.utilities.utils import get_partition

    werkzeug = _is_werkzeug(type(request))
    handler.is_werkzeug_request = werkzeug
    handler.parsed_url = parsed_url
    handler.form_data = request.form
    handler.raw_body = body
    handler.body = text
    querystring = _querystring(text, lambda: _headers(request, headers))
    handler.uri = full_url
    handler.path = parsed_url.path
    if werkzeug and "RAW_URI" in request.environ:
        raw_path = urlparse(request.environ.get("RAW_URI")).path
        handler.raw_path = raw_path if not raw_path or raw_path.startswith("/") else f"/{raw_path}"
    else:
        handler.raw_path = handler.path
    handler.querystring = querystring
    handler.data = querystring
    handler.method = request.method
    handler.region = handler.get_region_from_url(request, full_url)
    handler.partition = get_partition(handler.region)
    handler.uri_match = None
    handler.headers = request.headers
    handler.response_headers = {"server": "amazon.com"}
    if not werkzeug:
        handler.response_headers["date"] = responses.http_date(responses.utcnow())
    if handler.automated_parameter_parsing:
        action = handler._get_action()
        if action:
            _parse(handler, request, action)
    handler.access_key = handler.get_access_key()
    handler.current_account = handler.get_current_account()
    mark_account_as_visited(account_id=handler.current_account, access_key=handler.access_key,
                            service=handler.service_name, region=handler.region)
    return True


def _parse(handler: Any, request: Any, action: str) -> None:
    """`parse_parameters` as the emulator has it (moto's, wrapped by
    `core/operations.py` so that an unknown operation parses to nothing),
    with the operation's parser reused: a JSON parser reads only the body."""
    from streamkit_emulator.core import operations

    method = type(handler).parse_parameters
    if method is not responses.BaseResponse.parse_parameters or not getattr(method, "streamkit_operations", False):
        handler.parse_parameters(request)  # some other parsing: its own
        return
    if operations.unknown_operation(handler) is not None:
        handler.params = {}
        return
    parser = _parser(handler, action, request.content_type)
    if type(parser).__name__ != "JSONParser":
        handler.parse_parameters(request)
        return
    handler.params = parser.parse({"body": request.data})


def _headers(request: Any, headers: dict[str, Any] | None) -> dict[str, Any]:
    """The headers dict moto's set-up takes: the caller's, or made from the request."""
    return dict(request.headers) if headers is None else headers


@functools.lru_cache(maxsize=None)
def _is_werkzeug(cls: type) -> bool:
    return "werkzeug" in str(cls)


def dispatch(view: Any, request: Any, full_url: str, headers: dict[str, Any] | None = None) -> Any:
    """`view(request, full_url, headers)` for moto's `BaseResponse.dispatch`
    (`headers`: `dict(request.headers)`, made here only if needed),
    with the lean setup when it applies."""
    cls = getattr(view, "__self__", None)
    if (cls is None or getattr(view, "__func__", None) is not responses.BaseResponse.dispatch.__func__
            or cls.setup_class is not responses.BaseResponse.setup_class
            or cls._dispatch is not responses.BaseResponse._dispatch):
        return view(request, full_url, _headers(request, headers))
    handler = cls()
    if not setup(handler, request, full_url, headers):
        handler.setup_class(request, full_url, _headers(request, headers))
    elif direct:
        answer_directly = direct.get((handler.service_name, handler._get_action()))
        if answer_directly is not None:
            answer = answer_directly(handler)
            if answer is not None:
                return answer
    return handler.call_action()
