"""Requests checked against their operation's modeled constraints, as AWS's
JSON-protocol services check them before acting.

AWS validates every request against the service's model first: a required
member that is absent, a string or list outside its length range, a number
outside its value range, a string not in its enum answer HTTP 400
`ValidationException` (each API reference's "Common Errors": "The input
fails to satisfy the constraints specified by an AWS service"), every
violation listed in one message:

    1 validation error detected: Value '' at 'partitionKey' failed to
    satisfy constraint: Member must have length greater than or equal to 1

The constraints are the ones each action's API reference page lists
("Length Constraints: Minimum length of 1. Maximum length of 256.",
"Valid Range", "Valid Values", "Required: Yes"), as botocore's model of the
service carries them. moto checks only some of them, so a request the SDK
for Rust sends unchecked (it does not validate lengths client-side) could
succeed locally and fail on AWS: a Kinesis PutRecord with an empty
partition key, a GetRecords `Limit` of 0, a Query `Limit` of 0, an unknown
`ShardIteratorType`.

Checked here, for the JSON-protocol services (`awsJson1_0`/`1_1`: DynamoDB,
Kinesis, Firehose, CloudWatch Logs, SQS, EventBridge, ...) on a JSON body
(on moto's parsed parameters where moto parsed them, as for DynamoDB: the
body is not parsed twice):
required members, string length (characters), list length and map size,
integer and long ranges, and string enums, at every depth of structures and
lists (paths as AWS writes them: `records.1.member.partitionKey`); map
entries and blob lengths are left to the services (moto and `limits`
modules) and patterns are not checked. Each operation's checks are compiled
once from its input shape; shapes without constraints beneath them cost
nothing per request (a DynamoDB item's attribute values are not walked).
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable

Check = Callable[[Any, str, list], None]

_lock = threading.Lock()
_compiled: dict[tuple[str, str, bool], Check | None] = {}
# Called with the handler of a rejected request (e.g. DynamoDB's UserErrors metric).
on_rejected: dict[str, Callable[[Any], None]] = {}


def _wire(member: str) -> str:
    """The member's name in AWS's message: its model name, first letter in lower case."""
    return member[:1].lower() + member[1:]


def _show(value: Any) -> str:
    """The value as AWS's message quotes it (null unquoted; text capped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        text = json.dumps(value, separators=(",", ":"), default=str)
    if len(text) > 1024:
        text = text[:1024] + "..."
    return f"'{text}'"


def _lengths(checks: list[Callable[[Any], str | None]], value: Any, path: str, out: list) -> None:
    for check in checks:
        problem = check(len(value))
        if problem:
            out.append((path, value, problem))


def _length_checks(shape: Any) -> list[Callable[[Any], str | None]]:
    meta = shape.metadata
    out: list[Callable[[Any], str | None]] = []
    if "min" in meta:
        low = meta["min"]
        out.append(lambda n: None if n >= low else f"Member must have length greater than or equal to {low}")
    if "max" in meta:
        high = meta["max"]
        out.append(lambda n: None if n <= high else f"Member must have length less than or equal to {high}")
    return out


def _build(shape: Any, building: set[str], parsed: bool = False) -> Check | None:
    """The check of one value of `shape` (None: nothing to check); `parsed`:
    of moto's parsed parameters (members under their model names) rather
    than the request's JSON (members under their wire names)."""
    kind = shape.type_name
    if kind == "structure":
        if shape.name in building or getattr(shape, "is_document_type", False):
            return None  # a recursive or free-form shape: not walked (no modeled constraint below it here)
        building = building | {shape.name}
        required = set(shape.required_members)
        members = []
        for name, member in shape.members.items():
            sub = _build(member, building, parsed)
            if sub is not None or name in required:
                key = name if parsed else member.serialization.get("name", name)
                members.append((key, _wire(name), name in required, sub))
        if not members:
            return None

        def structure(value: Any, path: str, out: list) -> None:
            if type(value) is not dict:
                return  # a type error: the service's parser answers it
            for wire, label, needed, sub in members:
                raw = value.get(wire)
                where = f"{path}.{label}" if path else label
                if raw is None:
                    if needed:
                        out.append((where, None, "Member must not be null"))
                elif sub is not None:
                    sub(raw, where, out)

        return structure
    if kind == "list":
        lengths = _length_checks(shape)
        element = _build(shape.member, building, parsed)
        if not lengths and element is None:
            return None

        def listing(value: Any, path: str, out: list) -> None:
            if type(value) is not list:
                return
            _lengths(lengths, value, path, out)
            if element is not None:
                for i, item in enumerate(value, 1):
                    if item is not None:
                        element(item, f"{path}.{i}.member", out)

        return listing
    if kind == "map":
        lengths = _length_checks(shape)
        if not lengths:
            return None

        def mapping(value: Any, path: str, out: list) -> None:
            if type(value) is not dict:
                return
            _lengths(lengths, value, path, out)

        return mapping
    if kind == "string":
        lengths = _length_checks(shape)
        enum = list(shape.enum or [])
        if not lengths and not enum:
            return None
        allowed = set(enum)
        listed = f"Member must satisfy enum value set: [{', '.join(enum)}]"

        def string(value: Any, path: str, out: list) -> None:
            if type(value) is not str:
                return
            _lengths(lengths, value, path, out)
            if allowed and value not in allowed:
                out.append((path, value, listed))

        return string
    if kind in ("integer", "long"):
        meta = shape.metadata
        low, high = meta.get("min"), meta.get("max")
        if low is None and high is None:
            return None

        def number(value: Any, path: str, out: list) -> None:
            if type(value) is not int:
                return
            if low is not None and value < low:
                out.append((path, value, f"Member must have value greater than or equal to {low}"))
            if high is not None and value > high:
                out.append((path, value, f"Member must have value less than or equal to {high}"))

        return number
    return None


def check_of(service_model: Any, operation: str, parsed: bool = False) -> Check | None:
    """The compiled check of an operation's input (None: nothing to check)."""
    key = (service_model.service_name, operation, parsed)
    if key not in _compiled:
        with _lock:
            if key not in _compiled:
                shape = service_model.operation_model(operation).input_shape
                _compiled[key] = _build(shape, set(), parsed) if shape is not None else None
    return _compiled[key]


def violations(service_model: Any, operation: str, body: Any, parsed: bool = False) -> list[tuple[str, Any, str]]:
    """(path, value, constraint) for each constraint the request breaks:
    `body` as the request's JSON, or (`parsed`) as moto's parsed parameters."""
    check = check_of(service_model, operation, parsed)
    out: list[tuple[str, Any, str]] = []
    if check is not None:
        check(body, "", out)
    return out


def message(found: list[tuple[str, Any, str]]) -> str:
    count = len(found)
    head = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return head + "; ".join(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {problem}"
                            for path, value, problem in found)


def request_violations(handler: Any, model: Any, operation: str) -> list[tuple[str, Any, str]]:
    """The violations of a moto handler's request for a known operation of a
    JSON-protocol service (`core/operations.py` names it): on the parameters
    moto parsed, where it parsed them, else on the JSON body."""
    params = getattr(handler, "params", None)
    if handler.automated_parameter_parsing and type(params) is dict:
        return violations(model, operation, params, parsed=True)  # parsed once already
    raw = getattr(handler, "raw_body", None)
    if not raw:
        return []
    try:
        body = json.loads(raw)
    except ValueError:
        return []  # not JSON: the service's parser answers it
    return violations(model, operation, body)


def refusal(handler: Any, found: list[tuple[str, Any, str]]) -> Any:
    """The ValidationException of a request that broke its constraints (the
    service's callback told first, e.g. DynamoDB's UserErrors)."""
    from moto.core.exceptions import JsonRESTError

    callback = on_rejected.get(getattr(handler, "service_name", "") or "")
    if callback is not None:
        callback(handler)
    return JsonRESTError("ValidationException", message(found))
