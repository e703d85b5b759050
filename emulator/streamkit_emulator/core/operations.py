"""Operations the service does not have, and operations the emulator does not
implement, answered by name instead of an HTML "500 Internal Server Error";
the one place a request is checked before moto acts on it (a known
JSON-protocol operation's modeled constraints: `core/constraints.py`).

* A JSON-protocol request whose `X-Amz-Target` names no operation of the
  service (a typo, a wrong API version): AWS answers HTTP 400
  `{"__type":"com.amazon.coral.service#UnknownOperationException"}` (the
  Coral framework's answer, as AWS endpoints send it: aws/aws-sdk-go#3426,
  aws/aws-sdk-net#1536; every JSON API reference lists it among its "Common
  Errors" as the unknown-operation error). moto raised NotImplementedError: 500.
* An operation AWS has but the local cloud does not implement (or a
  parameter moto does not model, where moto raises NotImplementedError):
  HTTP 501 `NotImplemented` naming the service and operation, in the
  service's protocol (JSON `__type`/`message`, or the XML error document),
  and a line in the emulator log. The SDKs do not retry a 501, so the caller
  fails at once with the name of what is missing: the strict mode's "fails
  by name, never passes silently".
"""
from __future__ import annotations

import functools
import json
import logging
from typing import Any

from streamkit_emulator.core import constraints

log = logging.getLogger("streamkit_emulator")

UNKNOWN = json.dumps({"__type": "com.amazon.coral.service#UnknownOperationException"})


def _json_protocol(handler: Any) -> bool:
    content_type = handler.headers.get("Content-Type", "") if hasattr(handler, "headers") else ""
    return content_type.startswith("application/x-amz-json-1.")


def _model(handler: Any) -> Any:
    from moto.core.responses import get_service_model

    try:
        return get_service_model(handler.boto3_service_name)
    except Exception:  # a service without a botocore model: nothing to compare
        return None


@functools.lru_cache(maxsize=None)
def _operations(model: Any) -> frozenset[str]:
    return frozenset(model.operation_names)


def json_operation(handler: Any) -> tuple[Any, str] | None:
    """(service model, operation named by X-Amz-Target) of a JSON-protocol
    request; None for any other request."""
    if not _json_protocol(handler):
        return None
    target = handler.headers.get("X-Amz-Target")
    if not target or "." not in target:
        return None
    model = _model(handler)
    if model is None or model.protocol != "json":
        return None
    return model, target.rsplit(".", 1)[1]


def unknown_operation(handler: Any) -> str | None:
    """The requested operation when the service has no such operation (a
    JSON-protocol request); None otherwise."""
    found = json_operation(handler)
    if found is None or found[1] in _operations(found[0]):
        return None
    return found[1]


def _not_implemented(handler: Any, detail: str) -> Any:
    from moto.core.exceptions import JsonRESTError
    from moto.core.exceptions import _RESTError as RESTError  # the XML error document

    service = handler.service_name or "service"
    try:
        operation = handler._get_action()
    except Exception:
        operation = "?"
    text = (f"The local cloud does not implement {service} {operation}"
            f"{': ' + detail if detail else ''} (streamkit emulator, strict: it says so instead of "
            "answering as if it had acted)")
    log.error("not implemented: %s %s%s", service, operation, f": {detail}" if detail else "")
    if _json_protocol(handler) or handler.headers.get("Content-Type", "").startswith("application/json"):
        error: Any = JsonRESTError("NotImplemented", text)
    else:
        error = RESTError("NotImplemented", text)
    error.code = 501
    return error_answer(handler, error)


def error_answer(handler: Any, error: Any) -> Any:
    """What moto's `call_action` answers for an HTTP error its action raised
    (status, headers with the request id, body)."""
    headers = dict(error.get_headers() or [])
    headers["status"] = error.code
    status, out_headers, body = handler._transform_response(handler.response_headers, (error.description, headers))
    out_headers, body = handler._enrich_response(out_headers, body)
    return status, out_headers, body


def install() -> None:
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action
    if getattr(original, "streamkit_operations", False):
        return

    def call_action(self: Any) -> Any:
        found = json_operation(self)
        if found is not None and found[1] not in _operations(found[0]):
            log.warning("unknown operation: %s %s", self.service_name, found[1])
            content_type = self.headers.get("Content-Type")
            headers = dict(self.response_headers, status="400")
            headers["Content-Type"] = content_type
            headers["X-Amzn-ErrorType"] = "UnknownOperationException"
            headers, body = self._enrich_response(headers, UNKNOWN)
            return 400, headers, body
        if found is not None:
            broken = constraints.request_violations(self, *found)
            if broken:
                return error_answer(self, constraints.refusal(self, broken))
        try:
            return original(self)
        except NotImplementedError as exc:
            return _not_implemented(self, str(exc))

    call_action.streamkit_operations = True  # type: ignore[attr-defined]
    BaseResponse.call_action = call_action  # type: ignore[method-assign]
    parse_parameters = BaseResponse.parse_parameters

    def parse_unless_unknown(self: Any, request: Any) -> None:
        # moto parses a request against its operation's model before acting
        # (`setup_class`): an unknown operation has none, so nothing is parsed
        # and `call_action` answers UnknownOperationException.
        if unknown_operation(self) is not None:
            self.params = {}
            return
        parse_parameters(self, request)

    parse_unless_unknown.streamkit_operations = True  # type: ignore[attr-defined]
    BaseResponse.parse_parameters = parse_unless_unknown  # type: ignore[method-assign]
