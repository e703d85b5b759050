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

from moto.core.responses import ActionResult
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import dynamodb_backends
from moto.utilities.aws_headers import amz_crc32
from werkzeug.exceptions import HTTPException

from streamkit_emulator.cloudwatch import metrics as cloudwatch_metrics
from streamkit_emulator.core import constraints, operations
from streamkit_emulator.dynamodb import expressions
from streamkit_emulator.dynamodb import metrics as dynamodb_metrics

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


def _checks_pass(handler: Any, backend: Any, params: dict[str, Any]) -> bool:
    """`dynamodb/expressions.py`'s and moto's PutItem checks, none of which
    records anything: False when one refuses (the full path answers it)."""
    try:
        expressions.check_scope(params)
        expressions.check_item_keys(handler, params["TableName"], params["Item"])
        table = backend.get_table(params["TableName"])
        item = params["Item"]
        dynamodb_responses.validate_put_has_empty_keys(item, table)
        dynamodb_responses.validate_put_has_empty_attrs(item, table)
        dynamodb_responses.validate_put_has_gsi_keys_set_to_none(item, table)
        parser = dynamodb_responses.create_condition_expression_parser(
            params.get("ConditionExpression"), params.get("ExpressionAttributeNames", {}),
            handler._get_expr_attr_values())
        if hasattr(parser, "check"):
            parser.check()  # dynamodb/speed.py's cached parse: the checks without a tree
        else:
            parser.parse()
        dynamodb_responses.validate_attributes_used(params.get("ExpressionAttributeNames", {}),
                                                    parser.expr_attr_names_found)
    except Exception:  # noqa: BLE001 - any refusal: the full path answers it
        return False
    return True


@amz_crc32
def _answer(handler: Any, result: dict[str, Any]) -> Any:
    """What `BaseResponse.call_action` returns for an `ActionResult`."""
    status, headers, body = handler.serialized(ActionResult(result))
    headers, body = handler._enrich_response(headers, body)
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
    if found is None or found[1] != "PutItem" or constraints.request_violations(handler, *found):
        return None
    try:
        handler._authenticate_and_authorize_normal_action("*")
    except HTTPException as error:
        return _denied(handler, error)
    backend = dynamodb_backends[handler.current_account][handler.region]
    started = time.perf_counter()
    if not _checks_pass(handler, backend, params):
        return None
    try:
        backend.put_item(params["TableName"], params["Item"], None, params.get("ConditionExpression"),
                         params.get("ExpressionAttributeNames", {}), handler._get_expr_attr_values(),
                         not params.get("ConditionExpression"), None)
    except Exception:  # noqa: BLE001 - the condition failed or the model refused: nothing was written
        return None
    latency = (time.perf_counter() - started) * 1000
    table = params["TableName"]
    result: dict[str, Any] = {}
    consumed = dynamodb_metrics.units("PutItem", params, result)
    points = [("SuccessfulRequestLatency", {"TableName": table, "Operation": "PutItem"}, latency, "Milliseconds")]
    points += [("ConsumedWriteCapacityUnits", {"TableName": name}, units, "Count") for name, units in consumed.items()]
    cloudwatch_metrics.put_many(backend.account_id, backend.region_name, "AWS/DynamoDB", points)
    dynamodb_metrics.answer_consumed("PutItem", params, result, consumed)
    return _answer(handler, result)


def install() -> None:
    """PutItem's direct answer, used by `core/leansetup.py` for set-up requests."""
    from streamkit_emulator.core import leansetup

    if enabled():
        leansetup.direct[("dynamodb", "PutItem")] = put_item
