"""DynamoDB request costs that do not change what a request does (found with
py-spy: under the joins pipeline the join function's conditional PutItem
per row is most of the emulator's requests).

* Condition and filter expressions: moto lexes and parses the expression
  text on every request (about a fifth of a conditional PutItem's CPU). The
  parsed tree depends on the text, the attribute names and which value
  placeholders occur, not on the values themselves: it is parsed once per
  (expression, names, placeholders and their types) and each request gets a
  copy with its own values bound. An expression moto refuses is not cached,
  so every such request is refused as before ("Condition expressions",
  DynamoDB Developer Guide). The copy is a path copy: only the nodes between
  the root and a bound value are new, the rest (attribute paths, functions
  without values) is shared, as moto's condition nodes are not changed by
  evaluating them (`copy.deepcopy` of the join function's condition took
  47 us, the path copy 6 us, timeit). A tree whose values the walk cannot reach
  (a node type without `__dict__`) is deep-copied as before.
* Item size: moto's item dictionary re-adds the sizes of every attribute
  already set on each attribute it sets (quadratic in the attributes); a new
  item is checked once, against the same limit, when all its attributes are
  set ("Item size and item size calculation", DynamoDB Developer Guide:
  400 KB). Later changes to an item (UpdateItem) still check on each set.
* DescribeTable's ItemCount counted the table's items while other requests
  were adding some: moto answered 500 ("dictionary changed size during
  iteration") to a DescribeTable polled beside a pipeline's PutItems. It
  counts a snapshot of the partitions ("DescribeTable", DynamoDB API
  Reference: ItemCount).
* PutItem's checks for empty key values and empty sets: moto rebuilt the
  table's list of key attributes for every attribute of the item (a property
  that copies the key schema and walks the indexes) and looked at every
  attribute for an empty key value. The list is made once per request, only
  the key attributes are looked at for empty values, and an attribute holding
  one scalar (S, N, B, BOOL, NULL of a non-dict value), which has no set to
  be empty, is passed over; anything else is checked by moto's own functions,
  which also answer every malformed item as before ("PutItem", DynamoDB API
  Reference: ValidationException).
"""
from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb import comparisons
from moto.dynamodb import responses as _responses
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models import table as _table_module

_MAX_CACHED = 2_000
_cache: dict[tuple, tuple[Any, list[tuple[int, str]], list[str], list[str], frozenset[int] | None]] = {}
_original_get_filter_expression = comparisons.get_filter_expression
_original_empty_keys = _responses.validate_put_has_empty_keys
_original_empty_attrs = _responses.validate_put_has_empty_attrs
_original_type_init = dynamo_type.DynamoType.__init__
_original_item_init = dynamo_type.Item.__init__
_original_validate_types = _table_module.Table._validate_item_types


class _Recording(comparisons.ConditionExpressionParser):
    """moto's parser, remembering which operand each value placeholder became."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.bound: list[tuple[Any, str]] = []

    def _make_operand(self, node: Any) -> Any:
        operand = super()._make_operand(node)
        if node.kind == self.Kind.EXPRESSION_ATTRIBUTE_VALUE:
            self.bound.append((operand, node.text))
        return operand


def _key(expr: str | None, names: dict[str, str] | None, values: dict[str, Any] | None) -> tuple | None:
    if not expr:
        return None
    try:
        shape = tuple(sorted((k, tuple(sorted(v))) for k, v in (values or {}).items()))
        return expr, tuple(sorted((names or {}).items())), shape
    except (TypeError, AttributeError):
        return None  # not the wire shape (moto answers it itself)


class CachedParser:
    """Stands in for `ConditionExpressionParser` where moto creates one: the
    same `parse()` result and `expr_attr_names_found` / `expr_attr_values_found`."""

    def __init__(self, expr: str | None, names: dict[str, str] | None, values: dict[str, Any] | None):
        self.args = (expr, names, values)
        self.expr_attr_names_found: list[str] = []
        self.expr_attr_values_found: list[str] = []

    def parse(self) -> Any:
        hit, tree = self._cached()
        if hit is None:
            return tree
        tree, bound, names_found, values_found, paths = hit
        values = self.args[2]
        memo = {ident: comparisons.AttributeValue(values[text]) for ident, text in bound}  # type: ignore[index]
        if paths is None:
            return copy.deepcopy(tree, memo)
        return _path_copy(tree, memo, paths)

    def check(self) -> None:
        """What `parse()` checks and finds (a refused expression raises), without
        the tree of this request's values (dynamodb/direct.py needs only the names)."""
        self._cached()

    def _cached(self) -> tuple[Any, Any]:
        """(the cache entry of this shape, None), or (None, the tree) for a
        request whose shape is not cached; the names and values found set."""
        expr, names, values = self.args
        key = _key(expr, names, values)
        if key is None:
            parser = comparisons.ConditionExpressionParser(expr, names, values)
            tree = parser.parse()
            self.expr_attr_names_found, self.expr_attr_values_found = parser.expr_attr_names_found, \
                parser.expr_attr_values_found
            return None, tree
        hit = _cache.get(key)
        if hit is None:
            parser = _Recording(expr, names, values)
            tree = parser.parse()  # a refused expression raises here and is not cached
            if len(_cache) >= _MAX_CACHED:
                _cache.clear()
            # The operands stay referenced by the tree, so their ids stay theirs.
            bound = [(id(operand), text) for operand, text in parser.bound]
            hit = (tree, bound, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found),
                   _paths_to(tree, {ident for ident, _ in bound}))
            _cache[key] = hit
        self.expr_attr_names_found, self.expr_attr_values_found = list(hit[2]), list(hit[3])
        return hit, None


def _children(node: Any) -> list[Any] | None:
    """A condition node's parts, or None for a leaf the walk does not enter."""
    if isinstance(node, (list, tuple)):
        return list(node)
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, (str, bytes, int, float, bool, type(None))):
        return []
    attrs = getattr(node, "__dict__", None)
    return None if attrs is None else list(attrs.values())


def _paths_to(tree: Any, targets: set[int]) -> frozenset[int] | None:
    """The ids of the nodes on a path from `tree` to a bound value (the ones a
    request copies); None when some bound value is out of the walk's reach."""
    on_path: set[int] = set()
    reached: set[int] = set()

    def walk(node: Any, seen: frozenset[int]) -> bool:
        ident = id(node)
        if ident in targets:
            reached.add(ident)
            on_path.add(ident)
            return True
        if ident in seen:
            return False
        parts = _children(node)
        if not parts:
            return False
        found = False
        for part in parts:
            found = walk(part, seen | {ident}) or found
        if found:
            on_path.add(ident)
        return found

    walk(tree, frozenset())
    return frozenset(on_path) if reached == targets else None


def _path_copy(node: Any, memo: dict[int, Any], paths: frozenset[int]) -> Any:
    ident = id(node)
    if ident in memo:
        return memo[ident]
    if ident not in paths:
        return node
    if isinstance(node, (list, tuple)):
        out: Any = type(node)(_path_copy(x, memo, paths) for x in node)
    elif isinstance(node, dict):
        out = {k: _path_copy(v, memo, paths) for k, v in node.items()}
    else:
        out = object.__new__(type(node))
        out.__dict__.update({k: _path_copy(v, memo, paths) for k, v in node.__dict__.items()})
    memo[ident] = out
    return out


def get_filter_expression(expr: str | None, names: dict[str, str] | None,
                          values: dict[str, dict[str, str]] | None) -> Any:
    """`moto.dynamodb.comparisons.get_filter_expression`, parsed once per shape."""
    return CachedParser(expr, names, values).parse()


def _item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """moto's `Item.__init__` (see the module for the size check); a string
    or number attribute (most of an item) is made and sized in line, as
    `DynamoType.__init__` and `DynamoType.size()` make and size it: a number
    by its text's length, a string by its UTF-8 bytes."""
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = dynamo_type.LimitedSizeDict()
    size = 0
    make = object.__new__
    kind_of = dynamo_type.DynamoType
    for key, value in attrs.items():
        kind, inner = _only_member(value)
        if (kind == "S" or kind == "N") and type(inner) is str and type(key) is str:
            converted = make(kind_of)
            converted.type = kind
            converted.value = inner
            size += len(key.encode("utf-8")) + (len(inner) if kind == "N" else len(inner.encode("utf-8")))
        else:
            converted = kind_of(value)
            # The sum LimitedSizeDict makes on each set (names plus values), kept as it grows.
            size += dynamo_type.bytesize(key) + converted.size()
        if size > 405000:  # moto's limit (between 409 and 410 KB measured on AWS)
            raise dynamo_type.ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, converted)


def _validate_item_types(self: Any, item_attrs: dict[str, Any], attr: str | None = None) -> None:
    """moto's `Table._validate_item_types` for an item: an attribute holding
    one string passes every check moto makes on it whatever its name (a
    string is neither an int nor a map), so it is passed over; one holding a
    number string gets moto's number check directly; any other attribute, and
    every nested call, is moto's own. Attributes are checked in the item's
    order, so the first bad one raises as before."""
    if attr is not None:
        _original_validate_types(self, item_attrs, attr)
        return
    for key, value in item_attrs.items():
        kind, inner = _only_member(value)
        if kind == "S" and type(inner) is str:
            continue
        if kind == "N" and type(inner) is str:
            self._validate_number_type(inner)
            continue
        _original_validate_types(self, {key: value})


def _only_member(value: Any) -> tuple[Any, Any]:
    """(type, value) of an attribute value of one member ({"S": "x"}), else (None, None)."""
    if type(value) is dict and len(value) == 1:
        for kind, inner in value.items():
            return kind, inner
    return None, None


def _dynamo_type_init(self: Any, type_as_dict: Any) -> None:
    """moto's `DynamoType.__init__` (an attribute value's type and value, lists
    and maps converted member by member) without building two lists to read a
    one-entry dict's only key and value, nor two method calls to test the
    type: one item of a PutItem converts a dozen values this way. An empty
    dict raises the IndexError moto's `list(...)[0]` raises."""
    if type(type_as_dict) is dynamo_type.DynamoType:
        kind, value = type_as_dict.type, type_as_dict.value
    else:
        for kind in type_as_dict:
            break
        else:
            raise IndexError("list index out of range")
        for value in type_as_dict.values():
            break
    self.type = kind
    if kind == "L":
        value = [dynamo_type.DynamoType(v) for v in value]
    elif kind == "M":
        value = {k: dynamo_type.DynamoType(v) for k, v in value.items()}
    self.value = value


def _table_len(self: Any) -> int:
    partitions = list(self.items.values())  # one C-level copy: no other thread runs meanwhile
    return sum(len(p) for p in partitions) if self.has_range_key else len(partitions)


_SCALARS = frozenset(("S", "N", "B", "BOOL", "NULL"))


def _scalar(value: Any) -> bool:
    """An attribute value of one scalar type (no set or map in it)."""
    kind, inner = _only_member(value)
    return kind in _SCALARS and type(inner) is not dict


def validate_put_has_empty_keys(field_updates: dict[str, Any], table: Any, custom_error_msg: str | None = None) -> None:
    """moto's `validate_put_has_empty_keys` looking at the key attributes only."""
    if not table or not all(type(v) is dict and v for v in field_updates.values()):
        return _original_empty_keys(field_updates, table, custom_error_msg)

    def empty(name: str) -> bool:
        value = field_updates.get(name)
        if value is None:
            return False
        kind, inner = next(iter(value.items()))
        return kind in ("S", "B") and inner == ""

    for index in table.global_indexes:
        for name in index.schema_key_attrs:
            if empty(name):
                # moto names the first index whichever index the key belongs to
                return _original_empty_keys(field_updates, table, custom_error_msg)
    if any(empty(name) for name in table.attribute_keys):
        return _original_empty_keys(field_updates, table, custom_error_msg)
    return None


def validate_put_has_empty_attrs(field_updates: dict[str, Any], table: Any) -> None:
    """moto's `validate_put_has_empty_attrs` with the key list made once and
    single scalars passed over."""
    if not table:
        return None
    keys = table.attribute_keys
    for name, value in field_updates.items():
        if name not in keys and not _scalar(value):
            _original_empty_attrs({name: value}, table)
    return None


def install() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import table

    from streamkit_emulator.dynamodb import transactions

    from moto.dynamodb import responses

    comparisons.get_filter_expression = get_filter_expression
    responses.create_condition_expression_parser = CachedParser  # type: ignore[assignment]
    models.get_filter_expression = get_filter_expression
    table.get_filter_expression = get_filter_expression
    transactions.get_filter_expression = get_filter_expression  # type: ignore[attr-defined]
    dynamo_type.Item.__init__ = _item_init  # type: ignore[method-assign]
    table.Table._validate_item_types = _validate_item_types  # type: ignore[method-assign]
    if type(dynamo_type.DynamoType.__dict__.get("is_list")) is not type(_dynamo_type_init) or \
            dynamo_type.DynamoType.is_list.__code__.co_names[-1:] != ("LIST",):
        raise RuntimeError("moto's DynamoType changed: review dynamodb/speed.py's _dynamo_type_init")
    dynamo_type.DynamoType.__init__ = _dynamo_type_init  # type: ignore[method-assign]
    responses.validate_put_has_empty_keys = validate_put_has_empty_keys  # type: ignore[assignment]
    responses.validate_put_has_empty_attrs = validate_put_has_empty_attrs  # type: ignore[assignment]
    table.Table.__len__ = _table_len  # type: ignore[method-assign]
