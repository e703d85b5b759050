"""Expression placeholders and key types checked as DynamoDB checks them,
before the request acts ("Expression attribute names" and "Expression
attribute values", DynamoDB Developer Guide; "GetItem", "PutItem",
"UpdateItem", "Query", ... API Reference: ValidationException).

moto said yes, or answered an HTML 500, where DynamoDB says no:
* a `#name` an expression uses that `ExpressionAttributeNames` does not
  define: moto projected nothing (GetItem, Query) or failed with a KeyError
  (UpdateItem: 500). DynamoDB: `Invalid ProjectionExpression: An expression
  attribute name used in the document path is not defined; attribute name: #n`;
* a `:value` no `ExpressionAttributeValues` entry defines (a KeyError: 500).
  DynamoDB: `Invalid ConditionExpression: An expression attribute value used
  in expression is not defined; attribute value: :v`;
* a value defined but used by no expression (moto checked names only):
  `Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}`;
* a key of the right name and the wrong type (`{"pk": {"N": "1"}}` for a
  string key): moto found nothing (GetItem answered `{}`). DynamoDB: `The
  provided key element does not match the schema`; in PutItem's item:
  `One or more parameter values were invalid: Type mismatch for key pk
  expected: S actual: N`.

Placeholders are tokens (`#` or `:` then letters, digits, `_`); DynamoDB
expressions have no string literals, so every such token is one. Each
request's expressions are checked in the order DynamoDB reads them (key
condition, filter or condition, projection, update), then the unused
definitions; the errors are moto's `ValidationException` (so they are
UserErrors in the table's metrics like every other 400).
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterator

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.responses import DynamoHandler

_NAME = re.compile(r"#[0-9A-Za-z_]+")
_VALUE = re.compile(r":[0-9A-Za-z_]+")
_KINDS = ("KeyConditionExpression", "FilterExpression", "ConditionExpression", "ProjectionExpression",
          "UpdateExpression")


@functools.lru_cache(maxsize=4096)
def _tokens(expression: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(_NAME.findall(expression)), tuple(_VALUE.findall(expression))


def check_scope(spec: dict[str, Any]) -> None:
    """One request's (or transaction entry's) expressions against its own
    ExpressionAttributeNames and ExpressionAttributeValues."""
    names = spec.get("ExpressionAttributeNames") or {}
    values = spec.get("ExpressionAttributeValues") or {}
    if type(names) is not dict or type(values) is not dict:
        return  # not the wire shape: moto answers it
    used_names: set[str] = set()
    used_values: set[str] = set()
    any_expression = False
    for kind in _KINDS:
        expression = spec.get(kind)
        if type(expression) is not str:
            continue
        any_expression = True
        found_names, found_values = _tokens(expression)
        for name in found_names:
            if name not in names:
                raise MockValidationException(
                    f"Invalid {kind}: An expression attribute name used in the document path is not defined; "
                    f"attribute name: {name}")
        for value in found_values:
            if value not in values:
                raise MockValidationException(
                    f"Invalid {kind}: An expression attribute value used in expression is not defined; "
                    f"attribute value: {value}")
        used_names.update(found_names)
        used_values.update(found_values)
    if not any_expression:
        return  # moto answers "... can only be specified when using expressions" where DynamoDB does
    unused = [n for n in names if n not in used_names]
    unused_values = [v for v in values if v not in used_values]
    if (unused or unused_values) and not _parses(spec, names, values):
        return  # a syntax error: DynamoDB reports it first, as moto's parser does in the action
    if unused:
        raise MockValidationException(
            f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}")
    if unused_values:
        raise MockValidationException(
            "Value provided in ExpressionAttributeValues unused in expressions: "
            f"keys: {{{', '.join(unused_values)}}}")


def _parses(spec: dict[str, Any], names: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether moto's parsers read the request's expressions (DynamoDB reads
    an expression before it looks for unused definitions)."""
    from moto.dynamodb import comparisons
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    try:
        for kind in ("KeyConditionExpression", "FilterExpression", "ConditionExpression"):
            if type(spec.get(kind)) is str:
                comparisons.get_filter_expression(spec[kind], names, values)
        if type(spec.get("UpdateExpression")) is str:
            UpdateExpressionParser.make(spec["UpdateExpression"])
    except Exception:
        return False
    return True


def _key_types(handler: DynamoHandler, table_name: Any) -> dict[str, str] | None:
    """The table's key attributes and their types (None: no such table, moto answers)."""
    if type(table_name) is not str:
        return None
    try:
        table = handler.dynamodb_backend.get_table(table_name)
    except Exception:
        return None
    types = {a["AttributeName"]: a["AttributeType"] for a in getattr(table, "attr", None) or []}
    keys = [k for k in (table.hash_key_attr, table.range_key_attr) if k]
    if not all(k in types for k in keys):
        return None
    return {k: types[k] for k in keys}


def _single_type(value: Any) -> str | None:
    if type(value) is dict and len(value) == 1:
        return next(iter(value))
    return None


def check_key(handler: DynamoHandler, table_name: Any, key: Any) -> None:
    """A Key naming exactly the table's key attributes, one of them of another type."""
    types = _key_types(handler, table_name)
    if types is None or type(key) is not dict or set(key) != set(types):
        return  # moto answers a missing or extra key attribute itself (the same message)
    for name, expected in types.items():
        actual = _single_type(key[name])
        if actual is not None and actual != expected:
            raise MockValidationException("The provided key element does not match the schema")


def check_item_keys(handler: DynamoHandler, table_name: Any, item: Any) -> None:
    types = _key_types(handler, table_name)
    if types is None or type(item) is not dict:
        return
    for name, expected in types.items():
        actual = _single_type(item.get(name))
        if actual is not None and actual != expected:
            raise MockValidationException(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{name} expected: {expected} actual: {actual}")


def _scopes(operation: str, body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """(expression scope, the kind of key check) per part of a request."""
    if operation == "transact_write_items":
        for entry in body.get("TransactItems") or []:
            if type(entry) is dict:
                for kind, spec in entry.items():
                    if type(spec) is dict:
                        yield spec, "item" if kind == "Put" else "key"
    elif operation == "transact_get_items":
        for entry in body.get("TransactItems") or []:
            if type(entry) is dict and type(entry.get("Get")) is dict:
                yield entry["Get"], "key"
    elif operation == "batch_get_item":
        for table, spec in (body.get("RequestItems") or {}).items():
            if type(spec) is dict:
                yield spec, None
    else:
        yield body, {"get_item": "key", "delete_item": "key", "update_item": "key", "put_item": "item"}.get(operation)


def _checked(method: str, original: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    def handler(self: DynamoHandler) -> Any:
        body = self.body
        if type(body) is dict:
            for spec, key_check in _scopes(method, body):
                check_scope(spec)
                if key_check == "key":
                    check_key(self, spec.get("TableName"), spec.get("Key"))
                elif key_check == "item":
                    check_item_keys(self, spec.get("TableName"), spec.get("Item"))
        return original(self)

    handler.__name__ = method
    handler.streamkit_expressions = True  # type: ignore[attr-defined]
    return handler


METHODS = ("get_item", "put_item", "delete_item", "update_item", "query", "scan", "batch_get_item",
           "transact_write_items", "transact_get_items")


def install() -> None:
    """Before `metrics.install` (which wraps these methods again, counting the refusals)."""
    if getattr(DynamoHandler.get_item, "streamkit_expressions", False):
        return
    for method in METHODS:
        setattr(DynamoHandler, method, _checked(method, getattr(DynamoHandler, method)))
