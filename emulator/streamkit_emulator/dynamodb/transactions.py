"""DynamoDB TransactWriteItems at the cost of the items it touches.

moto 5.2.1 deep-copies every table a transaction names before it starts (to
roll back), so a transaction on a table of N items costs O(N): the stream
processors' state stores, which commit each batch in one transaction, slowed to
tens of records per second as their tables grew. This version snapshots only
the items the transaction writes, and follows AWS's semantics more closely:
every condition is checked against the state before the transaction (none sees
another operation's write), then every write is applied, all or nothing.
"""
from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _check(backend: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(code, message, item) of one operation's condition against the current state."""
    current = backend.get_item(op["TableName"], key)
    expression = op.get("ConditionExpression")
    if expression is None:
        return None, None, None
    condition = get_filter_expression(
        expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if condition.expr(current):
        return None, None, None
    item = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
        item = current.to_json()["Attributes"]
    return "ConditionalCheckFailed", "The conditional request failed", item


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, expression_attribute_names=names,
                            expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                            expression_attribute_names=names, expression_attribute_values=values)


def _restore(backend: DynamoDBBackend, snapshots: list[tuple[str, dict[str, Any], Any]]) -> None:
    for table_name, key, before in reversed(snapshots):
        table = backend.get_table(table_name)
        if before is None:
            backend.delete_item(table_name, key)
        else:
            hash_value = before.hash_key
            range_value = before.range_key
            if range_value is not None:
                table.items[hash_value][range_value] = before
            else:
                table.items[hash_value] = before


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    plan: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in OPERATIONS:
            raise MockValidationException(f"Unsupported transaction operation {op_type}")
        key = _key(self, op_type, op)
        target = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if target in seen:
            raise MultipleTransactionsException()
        seen.add(target)
        plan.append((op_type, op, key))

    errors = []
    for op_type, op, key in plan:
        try:
            errors.append(_check(self, op, key))
        except MockValidationException:
            raise
        except Exception as e:  # noqa: BLE001 - reported per item, as AWS does
            errors.append((type(e).__name__, str(e), None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    snapshots: list[tuple[str, dict[str, Any], Any]] = []
    try:
        for op_type, op, key in plan:
            if op_type == "ConditionCheck":
                continue
            before = self.get_item(op["TableName"], key)
            snapshots.append((op["TableName"], key, copy.deepcopy(before)))
            _apply(self, op_type, op, key)
    except Exception:
        _restore(self, snapshots)
        raise


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items
