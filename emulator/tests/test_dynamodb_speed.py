"""dynamodb/speed.py: a condition parsed once per shape still binds each
request's own values, and a refused expression is refused every time
("Condition expressions", DynamoDB Developer Guide); a new item over the size
limit is refused as before ("Item size and item size calculation")."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from streamkit_emulator.dynamodb import expressions, speed


@pytest.fixture
def ddb(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        speed.install()
        expressions.install()  # as the emulator has it (install() wraps once per process)
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        yield client


def put(ddb, version: str) -> bool:
    """The join function's conditional write: True written, False refused."""
    try:
        ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"S": version}},
                     ConditionExpression="attribute_not_exists(pk) OR v < :v",
                     ExpressionAttributeValues={":v": {"S": version}})
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return False


def test_each_request_binds_its_own_values(ddb):
    speed._cache.clear()
    assert [put(ddb, v) for v in ("0002", "0001", "0002", "0003", "0001")] == [True, False, False, True, False]
    assert ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["v"] == {"S": "0003"}
    assert len(speed._cache) == 1  # one shape, parsed once


def test_filter_binds_values_per_request(ddb):
    for i in range(5):
        ddb.put_item(TableName="t", Item={"pk": {"S": f"k{i}"}, "n": {"N": str(i)}})
    for low in range(5):
        items = ddb.scan(TableName="t", FilterExpression="n >= :low",
                         ExpressionAttributeValues={":low": {"N": str(low)}})["Items"]
        assert sorted(int(i["n"]["N"]) for i in items) == list(range(low, 5))


def test_a_refused_expression_is_refused_every_time(ddb):
    # An unknown placeholder is refused before parsing (dynamodb/expressions.py:
    # moto's own answer was a KeyError, a 500 from the server); a syntax error is moto's.
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            ddb.put_item(TableName="t", Item={"pk": {"S": "b"}}, ConditionExpression="attribute_not_exists(#missing)")
        assert "attribute name: #missing" in e.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as e:
            ddb.put_item(TableName="t", Item={"pk": {"S": "b"}}, ConditionExpression="v < :nope",
                         ExpressionAttributeValues={":v": {"S": "x"}})
        assert "attribute value: :nope" in e.value.response["Error"]["Message"]
        with pytest.raises(ValueError):
            ddb.put_item(TableName="t", Item={"pk": {"S": "b"}}, ConditionExpression="v <",
                         ExpressionAttributeValues={":v": {"S": "x"}})
    assert not [k for k in speed._cache if k[0] in ("attribute_not_exists(#missing)", "v < :nope", "v <")]


def test_an_oversized_item_is_refused(ddb):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="t", Item={"pk": {"S": "big"}, "a": {"S": "x" * 300_000}, "b": {"S": "y" * 110_000}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "size has exceeded" in e.value.response["Error"]["Message"]
    ddb.put_item(TableName="t", Item={"pk": {"S": "ok"}, "a": {"S": "x" * 300_000}})


def test_item_count_counts_every_item(ddb):
    for i in range(7):
        ddb.put_item(TableName="t", Item={"pk": {"S": f"k{i}"}})
    assert ddb.describe_table(TableName="t")["Table"]["ItemCount"] == 7
    ddb.create_table(
        TableName="r", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    for p in range(3):
        for s in range(p + 1):
            ddb.put_item(TableName="r", Item={"pk": {"S": f"p{p}"}, "sk": {"S": f"s{s}"}})
    assert ddb.describe_table(TableName="r")["Table"]["ItemCount"] == 6


def test_the_cached_tree_is_copied_only_along_its_values(ddb):
    """Each request's tree has its own value nodes (and the nodes above them);
    the parts without values are shared and never changed by evaluating them
    ("Comparison operator and function reference", DynamoDB Developer Guide)."""
    speed._cache.clear()
    expr, values_a, values_b = "attribute_exists(pk) AND (v < :v OR n BETWEEN :lo AND :hi)", \
        {":v": {"S": "1"}, ":lo": {"N": "1"}, ":hi": {"N": "9"}}, {":v": {"S": "2"}, ":lo": {"N": "3"}, ":hi": {"N": "4"}}
    a = speed.CachedParser(expr, {}, values_a).parse()
    b = speed.CachedParser(expr, {}, values_b).parse()
    assert a is not b and a.lhs is b.lhs  # attribute_exists(pk): no value, shared
    assert (a.rhs.lhs.rhs.value, b.rhs.lhs.rhs.value) == ("1", "2")
    assert (a.rhs.rhs.start.value, a.rhs.rhs.end.value, b.rhs.rhs.start.value, b.rhs.rhs.end.value) == ("1", "9", "3", "4")
    assert a.rhs.rhs.attr is b.rhs.rhs.attr
    tree = next(iter(speed._cache.values()))[0]
    assert tree.rhs.lhs.rhs.value == "1" and tree.rhs.rhs.end.value == "9"  # the cached tree unchanged


def test_conditions_with_functions_and_sets_decide_per_request(ddb):
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "tags": {"SS": ["x", "y"]}, "n": {"N": "5"}})
    cond = "contains(tags, :t) AND size(tags) = :two AND n IN (:a, :b)"

    def ok(t, a, b):
        try:
            ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "tags": {"SS": ["x", "y"]}, "n": {"N": "5"}},
                         ConditionExpression=cond, ExpressionAttributeValues={
                             ":t": {"S": t}, ":two": {"N": "2"}, ":a": {"N": a}, ":b": {"N": b}})
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False

    assert [ok("x", "5", "6"), ok("z", "5", "6"), ok("y", "1", "2"), ok("y", "4", "5")] == [True, False, False, True]


def test_put_checks_answer_as_moto_s(ddb):
    """The empty-key and empty-set checks raise exactly where moto's own do,
    with the same message, on a table with a range key and a global index."""
    import random

    from moto.dynamodb.models import dynamodb_backends

    ddb.create_table(
        TableName="g", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gk")],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST")
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table("g")
    values = [{"S": ""}, {"S": "x"}, {"B": ""}, {"N": "1"}, {"SS": []}, {"NS": []}, {"SS": ["a"]}, {"BOOL": True},
              {"NULL": True}, {"M": {"a": {"SS": []}}}, {"M": {"a": {"S": "x"}}}, {"L": [{"SS": []}]}, {"S": {"NS": []}}]
    rng = random.Random(3)

    def outcome(check, item):
        try:
            check(item, table)
            return None
        except Exception as e:  # noqa: BLE001 - compare whatever each raises
            return type(e).__name__, str(e)

    for _ in range(3000):
        names = rng.sample(["pk", "sk", "gk", "a", "b", "c"], rng.randrange(1, 6))
        item = {n: rng.choice(values) for n in names}
        for fast, slow in ((speed.validate_put_has_empty_keys, speed._original_empty_keys),
                           (speed.validate_put_has_empty_attrs, speed._original_empty_attrs)):
            assert outcome(fast, item) == outcome(slow, item), item
    assert outcome(speed.validate_put_has_empty_keys, {"pk": {"S": ""}})[0] == "MockValidationException"
    assert outcome(speed.validate_put_has_empty_attrs, {"a": {"SS": []}})[0] == "MockValidationException"


def _shape(v):
    """A converted value's structure (DynamoType objects with their attributes), for comparing."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if isinstance(v, DynamoType):
        return ("T", sorted(vars(v)), v.type, _shape(v.value))
    if isinstance(v, list):
        return [_shape(x) for x in v]
    if isinstance(v, dict):
        return {k: _shape(x) for k, x in v.items()}
    return v


def test_attribute_values_convert_as_moto_s():
    """`DynamoType.__init__` made leaner converts every kind of attribute
    value ("Data types", DynamoDB Developer Guide), nested lists and maps
    included, into the same objects as moto's, and fails alike on an empty one."""
    import random

    from moto.dynamodb.models.dynamo_type import DynamoType

    speed.install()
    rng = random.Random(11)

    def value(depth=0):
        kind = rng.choice(["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"] + (["L", "M"] if depth < 3 else []))
        if kind == "L":
            return {"L": [value(depth + 1) for _ in range(rng.randrange(3))]}
        if kind == "M":
            return {"M": {f"k{i}": value(depth + 1) for i in range(rng.randrange(3))}}
        return {kind: rng.choice(["x", "1", True, ["a", "b"], ""])}

    def made(init, raw):
        out = object.__new__(DynamoType)
        try:
            init(out, raw)
        except Exception as e:  # noqa: BLE001 - compare whatever each raises
            return type(e).__name__, str(e)
        return _shape(out)

    samples = [value() for _ in range(2000)] + [{}]
    samples += [DynamoType(v) for v in samples[:50]]  # a DynamoType copied
    for raw in samples:
        assert made(DynamoType.__init__, raw) == made(speed._original_type_init, raw), raw
    assert DynamoType.__init__ is not speed._original_type_init


def test_items_convert_and_size_as_moto_s():
    """`Item.__init__` with strings and numbers made in line gives moto's
    item (attributes, types, values) and refuses the same items as too large
    ("Item size and item size calculation", DynamoDB Developer Guide: names
    plus values, strings by their UTF-8 bytes, numbers by their text)."""
    import random

    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    speed.install()
    rng = random.Random(12)
    texts = ["", "x", "caf\u00e9", "\u20ac" * 3, "12.50", "-0", "\U0001f600"]

    def attribute():
        kind = rng.choice(["S", "S", "N", "N", "B", "BOOL", "NULL", "SS", "L", "M", "S-odd", "two"])
        if kind == "S-odd":
            return {"S": rng.choice([3, None, ["a"]])}
        if kind == "two":
            return {"S": "a", "N": "1"}
        if kind in ("S", "N"):
            return {kind: rng.choice(texts) * rng.randrange(1, 4)}
        return {"SS": ["a", "b"]} if kind == "SS" else {"L": [{"S": "x"}]} if kind == "L" else \
            {"M": {"k": {"N": "1"}}} if kind == "M" else {kind: rng.choice(["x", True])}

    def made(init, attrs):
        out = object.__new__(Item)
        try:
            init(out, DynamoType({"S": "h"}), None, attrs)
        except Exception as e:  # noqa: BLE001 - compare whatever each raises
            return type(e).__name__
        return sorted(vars(out)), _shape(dict(out.attrs))

    for _ in range(3000):
        attrs = {rng.choice(["a", "b", "\u00e9t\u00e9", "n" * rng.randrange(1, 5)]) + str(i): attribute()
                 for i in range(rng.randrange(1, 8))}
        assert made(speed._item_init, attrs) == made(speed._original_item_init, attrs), attrs
    # The size limit: a string of multi-byte characters, a number's text, just under and over it.
    for filler, unit in (({"S": "\u20ac"}, 3), ({"N": "9"}, 1), ({"S": "x"}, 1)):
        for n in (405000 // unit - 10, 405000 // unit + 10):
            (kind, char), = filler.items()
            attrs = {"big": {kind: char * n}, "k": {"S": "v"}}
            assert made(speed._item_init, attrs) == made(speed._original_item_init, attrs)


def test_item_types_are_checked_as_moto_checks_them():
    """PutItem's attribute type checks ("PutItem", DynamoDB API Reference:
    ValidationException for a number that is not one; moto's
    SerializationException for a number given as a string's int) raise for
    the same items, with the same error, as moto's own checks."""
    import random

    from moto.dynamodb.models.table import Table

    speed.install()
    table = Table("types", account_id="123456789012", region="us-east-1",
                  schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                  attr=[{"AttributeName": "pk", "AttributeType": "S"}])
    rng = random.Random(13)
    numbers = ["1", "-0.5", "1e3", " 1", "x", "nan", "inf", "1" * 40, "9.9E125", "1E126", ""]
    values = [{"S": "a"}, {"S": 3}, {"N": rng.choice(numbers)}, {"N": 3}, {"N": 1.5}, {"NULL": False},
              {"NULL": True}, {"M": {"S": {"N": "x"}}}, {"L": [{"N": "y"}]}, {"S": {"S": "nested"}},
              {"SS": ["a"]}, {"BOOL": True}, {"S": "a", "N": "1"}, "text"]

    def outcome(check, item):
        try:
            check(table, item)
        except Exception as e:  # noqa: BLE001 - compare whatever each raises
            return type(e).__name__, str(e)
        return None

    for _ in range(3000):
        item = {rng.choice(["pk", "a", "N", "S", "NULL", "b"]) + str(i % 2): rng.choice(values)
                for i in range(rng.randrange(1, 6))}
        for name in list(item):
            if item[name] and isinstance(item[name], dict) and "N" in item[name] and rng.random() < 0.5:
                item[name] = {"N": rng.choice(numbers)}
        assert outcome(speed._validate_item_types, item) == outcome(speed._original_validate_types, item), item
