"""core/jsonparse.py: the compiled JSON-protocol request parser gives moto's
parser's result value for value and in key order (structures: modeled
members only, in model order, nulls dropped; blobs decoded; timestamps,
floats and integers converted), for every operation of the JSON services the
stacks use, over generated requests; and fails where moto's fails."""
from __future__ import annotations

import base64
import json
import random

import pytest
from moto.core import parse
from moto.core.utils import get_service_model

from streamkit_emulator.core import jsonparse

SERVICES = ("dynamodb", "kinesis", "logs", "firehose", "sqs", "kms", "secretsmanager", "ssm", "events")


def _value(shape, rng: random.Random, depth: int):
    t = shape.type_name
    if t == "structure":
        if depth > 4:
            return None
        out = {}
        for name, member in shape.members.items():
            if rng.random() < 0.5:
                out[member.serialization.get("name", name)] = None if rng.random() < 0.1 else _value(member, rng, depth + 1)
        if rng.random() < 0.3:
            out["NotModeled"] = "x"
        items = list(out.items())
        rng.shuffle(items)  # the wire order is the client's
        return dict(items)
    if t == "list":
        return [_value(shape.member, rng, depth + 1) for _ in range(rng.randint(0, 3))] if depth <= 4 else []
    if t == "map":
        return {f"k{i}": _value(shape.value, rng, depth + 1) for i in range(rng.randint(0, 3))} if depth <= 4 else {}
    if t == "blob":
        return base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))).decode()
    if t == "timestamp":
        return rng.choice([1733500000, 1733500000.25, "2026-12-06T20:00:00Z"])
    if t in ("integer", "long", "short", "byte"):
        return rng.choice([0, 7, "12"])
    if t in ("float", "double"):
        return rng.choice([0.5, 3, "1.25"])
    if t == "boolean":
        return rng.choice([True, False])
    return rng.choice(["a", "", "ü", "k:v"])


def canon(value):
    """Types, keys in order and values (XFormedDict has no repr of its own)."""
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        return (type(value).__name__, [(k, canon(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [canon(v) for v in value])
    return (type(value).__name__, repr(value))


def _parsers(service: str):
    model = get_service_model(service)
    if model.metadata["protocol"] != "json":
        return []
    return [(name, model.operation_model(name)) for name in model.operation_names]


@pytest.mark.parametrize("service", SERVICES)
def test_compiled_parse_is_moto_s_in_value_and_order(service: str) -> None:
    rng = random.Random(service)
    operations = _parsers(service)
    assert operations
    for name, operation in operations:
        shape = operation.input_shape
        if shape is None:
            continue
        for map_type in (dict, parse.XFormedDict):
            parser = parse.JSONParser(operation, map_type=map_type)
            fn = jsonparse.compiled(parser, shape)
            assert fn is not None, (service, name)
            for _ in range(5):
                body = json.dumps(_value(shape, rng, 0))
                want = jsonparse._moto_parse_json_body(parser, body, shape)
                got = fn(parser._parse_body_as_json(body))
                assert canon(got) == canon(want), (service, name, body)


def test_the_join_function_s_put_item() -> None:
    operation = get_service_model("dynamodb").operation_model("PutItem")
    parser = parse.JSONParser(operation, map_type=dict)
    item = {"orderId": {"N": "1"}, "itemId": {"N": "2"}, "blob": {"B": "aGk="}, "tags": {"SS": ["a", "b"]},
            "nested": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": False}, {"BS": ["aGk="]}]}}}, "two": {"S": "x", "N": "1"}}
    body = json.dumps({"Item": item, "TableName": "out", "ConditionExpression": "attribute_not_exists(orderId)",
                       "ExpressionAttributeValues": {":v": {"S": "1"}}, "ReturnValues": None})
    got = jsonparse._parse_json_body(parser, body, operation.input_shape)
    assert canon(got) == canon(jsonparse._moto_parse_json_body(parser, body, operation.input_shape))
    assert list(got) == ["TableName", "Item", "ConditionExpression", "ExpressionAttributeValues"]
    assert got["Item"]["blob"] == {"B": b"hi"} and list(got["Item"]["two"]) == ["S", "N"]  # model order


def test_malformed_requests_fail_as_in_moto() -> None:
    operation = get_service_model("dynamodb").operation_model("PutItem")
    parser = parse.JSONParser(operation, map_type=dict)
    for body in ('{"Item": "x", "TableName": "t"}', '{"Item": {"a": []}, "TableName": "t"}', "[1]",
                 '{"Item": {"a": {"B": "***"}}}'):
        errors = []
        for parse_body in (jsonparse._moto_parse_json_body, jsonparse._parse_json_body):
            try:
                parse_body(parser, body, operation.input_shape)
                errors.append(None)
            except Exception as e:  # noqa: BLE001 - the same failure is the point
                errors.append(type(e))
        assert errors[0] == errors[1], body
        assert errors[0] is not None or "B" in body


def test_a_parser_of_its_own_is_not_compiled() -> None:
    operation = get_service_model("kinesis").operation_model("PutRecords")

    class Own(parse.JSONParser):
        def _parse_blob(self, shape, value):
            return value

    assert jsonparse.compiled(Own(operation), operation.input_shape) is None
