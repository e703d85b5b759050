"""moto's JSON-protocol request parser (`moto.core.parse.JSONParser`, used for
DynamoDB, Kinesis, CloudWatch Logs, Firehose, SQS, ...) with each input shape
compiled once into nested functions.

moto walks the operation's input shape for every request, looking up a
handler by the shape's type name and each member's wire name at every value
(100 us for the join function's 18-attribute PutItem: a tenth of its CPU).
The compiled parser does the same walk with the same rules, decided once per
shape: a structure keeps its modeled members in model order under their
member names, read from their wire names (`jsonName`), and drops absent and
null ones (a null structure stays null; a document type is kept as sent); a
list and a map parse each element; blobs are base64-decoded and timestamps
parsed by the parser's own functions; floats and integers converted; other
values kept as sent. Any type the compiled form does not know, or a parser
with handlers other than moto's, is parsed by moto's own code, unchanged.
The results are compared with moto's value for value and in key order
(tests/test_jsonparse.py).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from moto.core import parse

Parse = Callable[[Any], Any]

_lock = threading.Lock()
_compiled: dict[tuple, Parse | None] = {}
_moto_parse_json_body = parse.JSONParser._parse_json_body
# The handlers whose behaviour the compiled form reproduces (moto 5.2.1's).
_KNOWN = {
    "structure": parse.BaseJSONParser._parse_structure,
    "list": parse.RequestParser._parse_list,
    "map": parse.RequestParser._parse_map,
    "blob": parse.BaseJSONParser._parse_blob,
    "timestamp": parse.BaseJSONParser._parse_timestamp,
    "float": parse.BaseJSONParser._parse_float,
    "double": parse.BaseJSONParser._parse_double,
    "integer": parse.BaseJSONParser._parse_integer,
    "byte": parse.BaseJSONParser._parse_byte,
    "short": parse.BaseJSONParser._parse_short,
    "long": parse.BaseJSONParser._parse_long,
}


def _same_handlers(parser: Any) -> bool:
    cls = type(parser)
    known = _classes.get(cls)
    if known is None:
        known = _classes[cls] = _same_class_handlers(cls)
    return known


_classes: dict[type, bool] = {}


def _same_class_handlers(cls: type) -> bool:
    if getattr(cls, "_parse_shape") is not parse.RequestParser._parse_shape:
        return False
    for type_name in ("string", "boolean", "character", "bigInteger", "bigDecimal"):
        if getattr(cls, f"_parse_{type_name}", None) is not None:
            return False
    return all(getattr(cls, f"_parse_{t}", None) is handler for t, handler in _KNOWN.items())


def _identity(value: Any) -> Any:
    return value


class _NotCompiled(Exception):
    """A shape type with a handler the compiled form does not reproduce."""


def _compile(shape: Any, parser: Any, building: dict[str, list[Parse]]) -> Parse:
    """A function parsing one value of `shape` as `parser._parse_shape` would
    (shapes are named uniquely within a service model: the name marks a cycle)."""
    ident = shape.name
    if ident in building:  # a recursive shape (a DynamoDB AttributeValue's M and L): bound when built
        cell = building[ident]
        return lambda value: cell[0](value)
    cell: list[Parse] = [_identity]
    building[ident] = cell
    fn = _build(shape, parser, building)
    cell[0] = fn
    del building[ident]
    return fn


def _build(shape: Any, parser: Any, building: dict[str, list[Parse]]) -> Parse:
    type_name = shape.type_name
    map_type = parser.MAP_TYPE
    if type_name == "structure":
        if shape.is_document_type:
            return _identity
        members = [(name, member.serialization.get("name", name), _compile(member, parser, building))
                   for name, member in shape.members.items()]
        # A JSON object usually sets few of many members (an AttributeValue one
        # of ten): read its keys, then keep the members' order.
        by_wire = {json_name: (i, name, member) for i, (name, json_name, member) in enumerate(members)}
        by_keys = len(by_wire) == len(members)
        # Members kept as sent (strings, booleans, ...) under their own wire
        # name: a one-key object of one of them (a DynamoDB AttributeValue
        # {"S": ...}) parses to a copy of itself.
        plain = {json_name for name, json_name, member in members if member is _identity and name == json_name}

        def structure(value: Any) -> Any:
            if value is None:
                return None
            out = map_type()
            if not members:
                return out
            if by_keys and type(value) is dict:
                if len(value) == 1:
                    for key, raw in value.items():
                        if key in plain and raw is not None:
                            out[key] = raw
                            return out
                found = [(m, raw) for m, raw in ((by_wire.get(k), raw) for k, raw in value.items())
                         if m is not None and raw is not None]
                if len(found) > 1:
                    found.sort(key=lambda pair: pair[0][0])
                for (_, name, member), raw in found:
                    out[name] = member(raw)
                return out
            get = value.get
            for name, json_name, member in members:
                raw = get(json_name)
                if raw is not None:
                    out[name] = member(raw)
            return out

        return structure
    if type_name == "list":
        element = _compile(shape.member, parser, building)
        return lambda node: [element(item) for item in node]
    if type_name == "map":
        key_fn = _compile(shape.key, parser, building)
        value_fn = _compile(shape.value, parser, building)

        def mapping(value: Any) -> Any:
            out = map_type()
            for key, val in value.items():
                actual_key = key_fn(key)
                out[actual_key] = value_fn(val)
            return out

        return mapping
    if type_name == "blob":
        return parser._blob_parser
    if type_name == "timestamp":
        return parser._timestamp_parser
    if type_name in ("float", "double"):
        return lambda value: value if value is parse.UNDEFINED else float(value)
    if type_name in ("integer", "byte", "short", "long"):
        return lambda value: value if value is parse.UNDEFINED else int(value)
    if getattr(type(parser), f"_parse_{type_name}", None) is None:
        return _identity  # moto's `_default_handle`
    raise _NotCompiled(type_name)


def compiled(parser: Any, shape: Any) -> Parse | None:
    """The compiled parser of `shape` for `parser`, or None when moto's own
    walk must parse it (other handlers, a map type or value parsers of its own)."""
    if not _same_handlers(parser):
        return None
    service = parser.operation_model.service_model
    key = (type(parser), parser.MAP_TYPE, parser._blob_parser, parser._timestamp_parser,
           service.service_name, service.api_version, shape.name)
    if key not in _compiled:
        with _lock:
            if key not in _compiled:
                try:
                    _compiled[key] = _compile(shape, parser, {})
                except _NotCompiled:
                    _compiled[key] = None
    return _compiled[key]


def _parse_json_body(self: Any, raw_body: Any, shape: Any) -> Any:
    fn = compiled(self, shape)
    if fn is None:
        return _moto_parse_json_body(self, raw_body, shape)
    return fn(self._parse_body_as_json(raw_body))


def install() -> None:
    parse.JSONParser._parse_json_body = _parse_json_body  # type: ignore[method-assign]
