"""DynamoDB PutItem answered without moto's generic per-request machinery.

The join pipeline writes one conditional PutItem per joined row (100,000 in
`bench/joins_scale.py --orders 50000`), so this one call is most of the
emulator's work there. Through moto, a PutItem passes a dozen layers after
its parameters are parsed: the unknown-operation and constraint wrapper, the
CRC32 decorator, DynamoDB's and the base `call_action` (the method found by
name each time), the metrics, expression and consumed-capacity wrappers,
moto's handler (which builds the stored item's full JSON, then drops it when
`ReturnValues` is NONE, and parses the condition a second time), the result
wrapped, transformed and serialized through the generic serializer.

Here the same steps run in the same order, calling the same functions, with
the generic parts left out: the modeled constraints
(`core/constraints.py`), IAM (`iam/enforce.py`, through moto's hook),
the placeholder and key-type checks (`dynamodb/expressions.py`), moto's
PutItem checks, the write under the item's stripe (`dynamodb/atomic.py`),
the metrics (`dynamodb/metrics.py`: latency and write units), the answer
made by moto's own serializer, request-id and CRC32 code.

Only the common request takes this way: `Item`, an optional condition
expression with its names and values, and `ReturnValues`,
`ReturnConsumedCapacity`, `ReturnItemCollectionMetrics` and
`ReturnValuesOnConditionCheckFailure` absent or NONE. Anything else, and any
request that fails a check or its condition (nothing is written then, and
no metric or denial has been recorded yet), is answered by moto's full path
from the start, so every refusal keeps its one source.
`tests/test_dynamodb_direct.py` compares the two answers request by request
on two live emulators (`STREAMKIT_EMULATOR_DIRECT=0` turns this off).
"""
from __future__ import annotations

import os
import time
from typing import Any

from moto.core import responses as core_responses
from moto.core.responses import ActionResult
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import dynamodb_backends
from moto.utilities.aws_headers import amz_crc32
from werkzeug.exceptions import HTTPException

from streamkit_emulator.core import constraints, operations
from streamkit_emulator.dynamodb import expressions
from streamkit_emulator.dynamodb import metrics as dynamodb_metrics
from streamkit_emulator.dynamodb import speed

_ALLOWED = frozenset(("TableName", "Item", "ConditionExpression", "ExpressionAttributeNames",
                      "ExpressionAttributeValues", "ReturnValues", "ReturnConsumedCapacity",
                      "ReturnItemCollectionMetrics", "ReturnValuesOnConditionCheckFailure"))
_NONE_ONLY = ("ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics",
              "ReturnValuesOnConditionCheckFailure")


def enabled() -> bool:
    return os.environ.get("STREAMKIT_EMULATOR_DIRECT", "1") != "0"


def _common(params: Any) -> bool:
    if type(params) is not dict or not _ALLOWED.issuperset(params):
        return False
    if type(params.get("TableName")) is not str or type(params.get("Item")) is not dict:
        return False
    return all(params.get(name, "NONE") == "NONE" for name in _NONE_ONLY)


def _checks_pass(handler: Any, backend: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    """`dynamodb/expressions.py`'s and moto's PutItem checks, none of which
    records anything: the expression attribute values, or None when one
    refuses (the full path answers it)."""
    try:
        expressions.check_scope(params)
        expressions.check_item_keys(handler, params["TableName"], params["Item"])
        table = backend.get_table(params["TableName"])
        item = params["Item"]
        dynamodb_responses.validate_put_has_empty_keys(item, table)
        dynamodb_responses.validate_put_has_empty_attrs(item, table)
        dynamodb_responses.validate_put_has_gsi_keys_set_to_none(item, table)
        values = handler._get_expr_attr_values()
        parser = speed.CachedParser(params.get("ConditionExpression"), params.get("ExpressionAttributeNames", {}),
                                    values)
        parser.check()  # moto's handler parses the condition only for these checks
        dynamodb_responses.validate_attributes_used(params.get("ExpressionAttributeNames", {}),
                                                    parser.expr_attr_names_found)
    except Exception:  # noqa: BLE001 - any refusal: the full path answers it
        return None
    return values


@amz_crc32
def _answer(handler: Any, result: dict[str, Any]) -> Any:
    """What `BaseResponse.call_action` returns for an `ActionResult`."""
    status, headers, body = handler.serialized(ActionResult(result))
    headers, body = handler._enrich_response(headers, body)
    return status, headers, body


# PutItem's empty answer per (service, operation): status, Content-Type, body, CRC32.
_empty: dict[tuple[str, str], tuple[Any, str, str, str]] = {}


def _empty_answer(handler: Any) -> Any:
    """`_answer(handler, {})` with the parts that cannot change from one
    PutItem to the next (status, Content-Type, body "{}" and its CRC32) made
    once: the first answer goes through moto's serializer and is kept as the
    template; each later one takes the same steps on its headers in the same
    order (the Content-Type, the handler's response headers, the request id
    `_enrich_response` adds, the CRC32 header `amz_crc32` adds)."""
    key = (handler.boto3_service_name, handler._get_action())
    known = _empty.get(key)
    if known is None:
        status, headers, body = _answer(handler, {})
        if type(body) is str and list(headers)[:1] == ["Content-Type"] and "x-amz-crc32" in headers:
            _empty[key] = (status, headers["Content-Type"], body, headers["x-amz-crc32"])
        return status, headers, body
    status, content_type, body, crc = known
    headers = {"Content-Type": content_type}
    headers.update(handler.response_headers)
    if "status" in headers:
        headers["status"] = str(headers["status"])
    core_responses.gen_amzn_requestid_long(headers)
    headers["x-amz-crc32"] = crc  # amz_crc32's copy of the headers keeps their order
    return status, headers, body


@amz_crc32
def _denied(handler: Any, error: HTTPException) -> Any:
    """What `BaseResponse.call_action` returns when authorization fails."""
    status, headers, body = handler._transform_response(handler.response_headers,
                                                        (error.description, {"status": error.code}))
    headers, body = handler._enrich_response(headers, body)
    return status, headers, body


def put_item(handler: Any) -> Any:
    """PutItem's answer as moto's full path gives it, or None for a request
    the full path answers (see above). `handler` is set up (parameters parsed)."""
    params = getattr(handler, "params", None)
    if not _common(params):
        return None
    handler.body = params  # as DynamoDB's `call_action` sets it
    found = operations.json_operation(handler)
    if found is None or constraints.request_violations(handler, *found):
        return None
    try:
        handler._authenticate_and_authorize_normal_action("*")
    except HTTPException as error:
        return _denied(handler, error)
    backend = dynamodb_backends[handler.current_account][handler.region]
    started = time.perf_counter()
    values = _checks_pass(handler, backend, params)
    if values is None:
        return None
    try:
        backend.put_item(params["TableName"], params["Item"], None, params.get("ConditionExpression"),
                         params.get("ExpressionAttributeNames", {}), values,
                         not params.get("ConditionExpression"), None)
    except Exception:  # noqa: BLE001 - the condition failed or the model refused: nothing was written
        return None
    result: dict[str, Any] = {}
    dynamodb_metrics.succeeded(backend, "PutItem", params, result, started)
    return _empty_answer(handler) if not result else _answer(handler, result)


def install() -> None:
    """PutItem's direct answer, used by `core/leansetup.py` for set-up requests."""
    from streamkit_emulator.core import leansetup

    if enabled():
        leansetup.direct[("dynamodb", "PutItem")] = put_item
