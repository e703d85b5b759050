"""Request dispatch without a directory listing per request: moto server's
`DomainDispatcherApplication.get_backend_for_host` asks
`moto.backends.list_of_moto_modules()` on every request, which lists moto's
package directory and stats each entry (about 150 `isdir` calls), under the
dispatcher's one lock, so every request of every service waits on it (7% of
the emulator's CPU under the joins pipeline, py-spy). The package does not
change while the server runs: the list is read once.

Likewise `BaseResponse.call_action` lists the response class's methods with
`inspect.getmembers` on every request (3% of the CPU of a conditional PutItem
as the join function sends them, py-spy): a class's methods do not change once the
patches are installed, so the list is made once per class.

werkzeug formats each request's access-log line (path decoding, escaping)
before its logger drops it; without `--log-requests` the logger is at
WARNING, so the line is not made at all (2-3% of a request's CPU).

moto's Flask apps run with `debug = True`, so Flask's `Request._load_form_data`
calls `debughelpers.attach_enctype_error_multidict` on every request that reads
its body without files: it defines a new subclass of the (empty) `files`
multidict, only to reword the KeyError of a missing file key in HTML-form
debugging (13 us a request, timeit; py-spy's `--gil` samples put it at 5% of a
PutItem, an overstatement seen for several small costs on the loaded machine).
moto reads `request.files[...]` only when `files` is not empty, when the
helper is not applied anyway, so it never changes an answer: it is skipped.

Every answer carries a request id, 52 random letters and digits; moto drew
them one `random.choice` at a time (21 us, timeit; now 0.4 us): they are made
of 52 bytes drawn at once from moto's same random source (still seeded by
`/moto-api/seed`). An answer with no members in a JSON protocol (PutItem,
DeleteItem, UpdateItem without return values) is `{}`: moto's serializer
walked the operation's output shape to find nothing (7% of a PutItem's CPU);
it is written directly, with the same status and Content-Type.

moto builds a new botocore `ServiceModel` from the service's model file on
every request, twice (to parse the request and to serialize its answer:
26 us each, and the operation's shapes are resolved again each time): the
models are static data, so one `ServiceModel` per service is kept (botocore
caches its operations and shapes on it).

Every `backends[account_id]` (`BackendDict.__getitem__`, a DynamoDB request
makes several) took moto's one global `backend_lock` to check whether the
account's backends exist; with the pipelines' 30-odd request threads a thread
preempted inside it made the others block on it and hand the GIL around: the
DynamoDB PutItem's SuccessfulRequestLatency (wall time inside the handler)
went from 0.3 to 2.3 ms when one more such lookup was added per request,
`bench/joins_scale.py`. The lookup of an existing account is now a plain
dict read; a missing one is created under the lock as before (double-checked,
so it is created once).

moto finds a request's access key (twice per request: for the key and for
its account) with a regular expression that backtracks over the whole
`Authorization` header (`AWS.*` then a 20-character key before `:` or `/`;
3% of a PutItem's CPU, py-spy). The answer depends only on the header
before its signature when the signature is lowercase hex, as SigV4's is:
no match can end inside it (a match ends at a `:` or `/`). It is kept per
header-without-signature (bounded); any other header is searched as before.
The HTTP `Date` of moto's answers and of the server's status line is
formatted once per second (it has a resolution of one second)."""
from __future__ import annotations

import functools
import logging
import re
import string
import time
from typing import Any

from moto import backends
from moto.core import responses, utils

_original = backends.list_of_moto_modules


def _backend_getitem(self: Any, account_id: str) -> Any:
    found = dict.get(self, account_id)
    if found is not None:
        return found
    return _moto_backend_getitem(self, account_id)


_moto_backend_getitem: Any = None


_HEX = re.compile(r"[0-9a-f]*")
_MAX_KEYS = 4096
_keys: dict[str, str | None] = {}


def _access_key_in(authorization: str, regex: Any) -> str | None:
    head, sep, tail = authorization.rpartition("Signature=")
    if not sep or not _HEX.fullmatch(tail):
        match = regex.search(authorization)
        return match.group(1) if match else None
    try:
        return _keys[head]
    except KeyError:
        match = regex.search(authorization)
        found = match.group(1) if match else None
        if len(_keys) >= _MAX_KEYS:
            _keys.clear()
        _keys[head] = found
        return found


def get_access_key(self: Any) -> str:
    """`BaseResponse.get_access_key`, the header's key found once (see above)."""
    if "Authorization" in self.headers:
        found = _access_key_in(self.headers["Authorization"], self.access_key_regex)
        if found:
            return found
    if self.querystring.get("AWSAccessKeyId"):
        return self.querystring["AWSAccessKeyId"][0]
    return "AKIAEXAMPLE"


_date: tuple[Any, str] = (None, "")


def http_date(now: Any) -> str:
    """moto's `http_date(now)`, formatted once per second of `now`."""
    global _date
    second = now.replace(microsecond=0)
    cached = _date
    if cached[0] == second:
        return cached[1]
    text = _moto_http_date(now)
    _date = (second, text)
    return text


_server_date: tuple[int, str] = (-1, "")


def date_time_string(self: Any, timestamp: float | None = None) -> str:
    """http.server's `Date` header, formatted once per second."""
    global _server_date
    if timestamp is not None:
        return _moto_date_time_string(self, timestamp)
    now = time.time()
    cached = _server_date
    if cached[0] == int(now):
        return cached[1]
    text = _moto_date_time_string(self, now)
    _server_date = (int(now), text)
    return text


_moto_http_date = responses.http_date
_moto_date_time_string: Any = None


def install() -> None:
    global _moto_backend_getitem, _moto_date_time_string
    from moto.core.base_backend import BackendDict

    if BackendDict.__getitem__ is not _backend_getitem:
        _moto_backend_getitem = BackendDict.__getitem__
        BackendDict.__getitem__ = _backend_getitem  # type: ignore[method-assign]
    modules = tuple(_original())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = _method_names  # type: ignore[assignment]
    from werkzeug.serving import WSGIRequestHandler

    log_request = WSGIRequestHandler.log_request
    werkzeug_log = logging.getLogger("werkzeug")

    def quiet_log_request(self: WSGIRequestHandler, code: int | str = "-", size: int | str = "-") -> None:
        # NOTSET: werkzeug sets INFO itself on its first line (--log-requests).
        if werkzeug_log.level == logging.NOTSET or werkzeug_log.isEnabledFor(logging.INFO):
            log_request(self, code, size)

    WSGIRequestHandler.log_request = quiet_log_request  # type: ignore[method-assign]
    if WSGIRequestHandler.date_time_string is not date_time_string:
        _moto_date_time_string = WSGIRequestHandler.date_time_string
        WSGIRequestHandler.date_time_string = date_time_string  # type: ignore[method-assign]
    responses.BaseResponse.get_access_key = get_access_key  # type: ignore[method-assign]
    responses.http_date = http_date  # type: ignore[assignment]
    from flask import debughelpers

    debughelpers.attach_enctype_error_multidict = _no_files_helper  # type: ignore[assignment]
    responses.gen_amzn_requestid_long = request_id  # type: ignore[assignment]
    responses.get_service_model = service_model  # type: ignore[assignment]
    utils.get_service_model = service_model  # type: ignore[assignment]
    if responses.ActionResult.execute_result is not _execute_result:
        global _moto_execute_result
        _moto_execute_result = responses.ActionResult.execute_result
        responses.ActionResult.execute_result = _execute_result  # type: ignore[method-assign]


_ID_CHARACTERS = string.ascii_letters + string.digits
_ID_TABLE = bytes(ord(_ID_CHARACTERS[b % len(_ID_CHARACTERS)]) for b in range(256))
_moto_service_model = utils.get_service_model
_moto_execute_result: Any = None


@functools.lru_cache(maxsize=None)
def service_model(service_name: str) -> Any:
    """`moto.core.utils.get_service_model`, made once per service (see above)."""
    return _moto_service_model(service_name)


def request_id(headerdict: dict[str, Any] | None = None) -> str:
    """`moto.utilities.aws_headers.gen_amzn_requestid_long`: 52 characters
    from the same pool (letters and digits) and the same random source: 52
    random bytes, each mapped to a character by its value modulo 62 (0.4 us;
    `choices` took 5 us). The first 8 characters of the pool come up 5 times
    in 256 instead of 4: a request id is an opaque token to its reader."""
    from moto.moto_api._internal import mock_random

    req_id = mock_random.randbytes(52).translate(_ID_TABLE).decode("ascii")
    if headerdict is not None and isinstance(headerdict, dict):
        headerdict.update({"x-amzn-requestid": req_id})
    return req_id


def _execute_result(self: Any, context: Any) -> Any:
    """moto's `ActionResult.execute_result`, with an empty result in plain
    JSON written directly (see above), for every result class that does not
    write its answer itself (DynamoDB's `DynamoResult` only converts values)."""
    if type(self).execute_result is _execute_result and type(self.result) is dict and not self.result:
        answer = json_answer(context, {})
        if answer is not None:
            return answer
    return _moto_execute_result(self, context)


def json_answer(context: Any, body: dict[str, Any]) -> tuple[int, dict[str, str], str] | None:
    """An answer whose members are already in the output shape's order and
    form, written as moto's `JSONSerializer` writes it (status, Content-Type,
    body), without walking the shape; None for a protocol other than plain
    JSON (the caller lets moto's serializer write it)."""
    from moto import settings
    from moto.core.serialize import JSONSerializer

    if context.serializer_class is not JSONSerializer:
        return None
    serializer = JSONSerializer(operation_model=context.operation_model, pretty_print=settings.PRETTIFY_RESPONSES)
    status = context.operation_model.http.get("responseCode", serializer.DEFAULT_RESPONSE_CODE)
    return status, {"Content-Type": serializer._get_protocol_specific_content_type()}, serializer._serialize_body(body)


def _no_files_helper(request: object) -> None:
    """In place of Flask's debug-mode `attach_enctype_error_multidict` (see above)."""


@functools.lru_cache(maxsize=None)
def _method_names(cls: type) -> frozenset[str]:
    return frozenset(utils.method_names_from_class(cls))
