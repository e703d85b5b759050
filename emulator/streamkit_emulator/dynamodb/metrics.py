"""AWS/DynamoDB metrics of the requests the emulator serves (through the
API, i.e. every SDK and the CLI).

Per request: SuccessfulRequestLatency (TableName, Operation; milliseconds),
ConsumedReadCapacityUnits / ConsumedWriteCapacityUnits (TableName), with
capacity computed from item sizes as DynamoDB bills it (reads: 4 KB units,
halved unless ConsistentRead; writes: 1 KB units; transactions double), the
item size approximated by its JSON form. Failures: ConditionalCheckFailedRequests
(TableName) for a failed condition, UserErrors (no dimensions, per region)
for any other client error. The emulator never throttles, so
ThrottledRequests has no data, as on an unthrottled table.
"""
from __future__ import annotations

import json
import math
import time
from typing import Any, Callable

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler

from streamkit_emulator.cloudwatch import metrics
from streamkit_emulator.core import constraints

READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
OPERATIONS = {
    "get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem", "delete_item": "DeleteItem",
    "query": "Query", "scan": "Scan", "batch_get_item": "BatchGetItem", "batch_write_item": "BatchWriteItem",
    "transact_get_items": "TransactGetItems", "transact_write_items": "TransactWriteItems",
}


def _size(item: Any) -> int:
    return len(json.dumps(item or {}, separators=(",", ":"), default=str))


def units(operation: str, body: dict[str, Any], result: dict[str, Any]) -> dict[str, float]:
    """Capacity consumed per table."""
    out: dict[str, float] = {}

    def add(table: str, size: int, read: bool, factor: float = 1.0) -> None:
        unit = 4096 if read else 1024
        out[table] = out.get(table, 0.0) + max(1, math.ceil(size / unit)) * factor

    table = body.get("TableName", "")
    half = 1.0 if body.get("ConsistentRead") else 0.5
    if operation == "GetItem":
        add(table, _size(result.get("Item")), True, half)
    elif operation in ("Query", "Scan"):
        add(table, sum(_size(i) for i in result.get("Items") or []), True, half)
    elif operation == "PutItem":
        add(table, _size(body.get("Item")), False)
    elif operation in ("UpdateItem", "DeleteItem"):
        add(table, _size(body.get("Key")), False)
    elif operation == "BatchGetItem":
        for name, items in (result.get("Responses") or {}).items():
            for item in items:
                add(name, _size(item), True, half)
    elif operation == "BatchWriteItem":
        for name, requests in (body.get("RequestItems") or {}).items():
            for r in requests:
                add(name, _size((r.get("PutRequest") or r.get("DeleteRequest") or {})), False)
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in body.get("TransactItems") or []:
            for kind, spec in entry.items():
                add(spec.get("TableName", ""), _size(spec.get("Item") or spec.get("Key")), operation in READS, 2.0)
    return out


_LISTED = {"BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems"}


def answer_consumed(operation: str, body: dict[str, Any], result: dict[str, Any], consumed: dict[str, float]) -> None:
    """The answer's ConsumedCapacity as DynamoDB gives it: only when the
    request asks (`ReturnConsumedCapacity` TOTAL, or INDEXES with the table's
    share), in the units the table was charged (the metrics' own); a list
    per table for batches and transactions ("ReturnConsumedCapacity",
    DynamoDB API Reference). moto answered fixed units (0.5 for any
    UpdateItem, 1.0 per table for any BatchWriteItem) and answered them
    unasked in UpdateItem, batches and transactions."""
    result.pop("ConsumedCapacityUnits", None)  # not a member of any answer (moto's DeleteItem)
    mode = body.get("ReturnConsumedCapacity") or "NONE"
    if mode not in ("TOTAL", "INDEXES"):
        result.pop("ConsumedCapacity", None)
        return
    entries = []
    for table, units in consumed.items():
        entry: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
        if mode == "INDEXES":
            entry["Table"] = {"CapacityUnits": units}
        entries.append(entry)
    if operation in _LISTED:
        result["ConsumedCapacity"] = entries
    elif entries:
        result["ConsumedCapacity"] = entries[0]


def _tables(operation: str, body: dict[str, Any]) -> list[str]:
    if "TableName" in body:
        return [body["TableName"]]
    if "RequestItems" in body:
        return list(body["RequestItems"])
    return sorted({spec.get("TableName", "") for e in body.get("TransactItems") or [] for spec in e.values()})


def _wrap(method: str, operation: str) -> Callable[[DynamoHandler], Any]:
    original = getattr(DynamoHandler, method)

    def handler(self: DynamoHandler) -> Any:
        backend = self.dynamodb_backend
        put = lambda name, dims, value, unit="Count": metrics.put(  # noqa: E731
            backend.account_id, backend.region_name, "AWS/DynamoDB", name, dims, value, unit)
        started = time.perf_counter()
        try:
            response = original(self)
        except JsonRESTError as err:
            if "ConditionalCheckFailed" in err.error_type:
                for table in _tables(operation, self.body):
                    put("ConditionalCheckFailedRequests", {"TableName": table}, 1)
            elif getattr(err, "code", 400) == 400:
                put("UserErrors", {}, 1)
            raise
        result = getattr(response, "result", None)
        answered = isinstance(result, dict)
        succeeded(backend, operation, self.body, result if answered else {}, started, answer=answered)
        return response

    return handler


def succeeded(backend: Any, operation: str, body: dict[str, Any], result: dict[str, Any], started: float,
              answer: bool = True) -> None:
    """A successful request's metrics (latency since `started`, a
    `time.perf_counter()` reading, and the capacity consumed per table) and,
    with `answer`, its answer's ConsumedCapacity (`answer_consumed`)."""
    latency = (time.perf_counter() - started) * 1000
    points = [("SuccessfulRequestLatency", {"TableName": table, "Operation": operation}, latency, "Milliseconds")
              for table in _tables(operation, body)]
    name = "ConsumedReadCapacityUnits" if operation in READS else "ConsumedWriteCapacityUnits"
    consumed = units(operation, body, result)
    points += [(name, {"TableName": table}, value, "Count") for table, value in consumed.items()]
    metrics.put_many(backend.account_id, backend.region_name, "AWS/DynamoDB", points)
    if answer:
        answer_consumed(operation, body, result, consumed)


def _rejected(handler: DynamoHandler) -> None:
    """A request that broke its modeled constraints (`core/constraints.py`): a 400, so UserErrors."""
    backend = handler.dynamodb_backend
    metrics.put(backend.account_id, backend.region_name, "AWS/DynamoDB", "UserErrors", {}, 1)


def install() -> None:
    constraints.on_rejected["dynamodb"] = _rejected
    for method, operation in OPERATIONS.items():
        setattr(DynamoHandler, method, _wrap(method, operation))
