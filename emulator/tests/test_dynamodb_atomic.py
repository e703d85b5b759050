"""dynamodb/atomic.py: each request acts atomically as DynamoDB guarantees
("Condition expressions": a conditional write is atomic; "Amazon DynamoDB
Transactions: How it works": TransactWriteItems serializable with every other
write). Many threads race conditional writes on one item, through the models
moto's server runs (a thread switch between a condition and its write let two
writers both succeed)."""
from __future__ import annotations

import sys
import threading
import time

import pytest

from streamkit_emulator import install

install(strict=True)

from moto.dynamodb.exceptions import ConditionalCheckFailed, TransactionCanceledException  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402

from streamkit_emulator.dynamodb import atomic  # noqa: E402


@pytest.fixture
def backend():
    b = DynamoDBBackend("us-east-1", "123456789012")
    b.create_table("t", schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   attr=[{"AttributeName": "pk", "AttributeType": "S"}], throughput=None,
                   billing_mode="PAY_PER_REQUEST", indexes=None, global_indexes=None, streams=None,
                   sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None)
    return b


def _race(work, threads: int = 8) -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # a thread switch at nearly every bytecode: any unguarded window shows
    try:
        start = threading.Barrier(threads)
        pool = [threading.Thread(target=lambda i=i: (start.wait(), work(i))) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(old)


def test_one_conditional_create_wins(backend):
    for round_ in range(30):
        wins = []

        def create(i: int, key: str = f"k{round_}") -> None:
            try:
                backend.put_item("t", {"pk": {"S": key}, "w": {"N": str(i)}}, None,
                                 "attribute_not_exists(pk)", {}, {}, False, None)
                wins.append(i)
            except ConditionalCheckFailed:
                pass

        _race(create)
        assert len(wins) == 1, f"round {round_}: {len(wins)} writers created the same item"
        stored = backend.get_item("t", {"pk": {"S": f"k{round_}"}}).attrs["w"].value
        assert stored == str(wins[0])


def test_a_counter_with_optimistic_versions_loses_no_increment(backend):
    backend.put_item("t", {"pk": {"S": "c"}, "v": {"N": "0"}}, None, None, {}, {}, True, None)
    done = []

    def bump(i: int) -> None:
        for _ in range(25):
            while True:
                v = backend.get_item("t", {"pk": {"S": "c"}}).attrs["v"].value
                try:
                    backend.transact_write_items([{"Update": {
                        "TableName": "t", "Key": {"pk": {"S": "c"}}, "UpdateExpression": "SET v = :n",
                        "ConditionExpression": "v = :v",
                        "ExpressionAttributeValues": {":v": {"N": v}, ":n": {"N": str(int(v) + 1)}}}}])
                    done.append(1)
                    break
                except TransactionCanceledException:
                    continue

    _race(bump, threads=6)
    assert backend.get_item("t", {"pk": {"S": "c"}}).attrs["v"].value == str(len(done)) == "150"


def test_stripes_are_per_table_and_key(backend):
    assert atomic.stripes_of(backend, "t") is atomic.stripes_of(backend, "t")
    assert atomic.stripes_of(backend, "t") is not atomic.stripes_of(backend, "u")
    same = atomic.stripe(backend, "t", {"pk": {"S": "a"}, "other": {"N": "1"}})
    assert same == atomic.stripe(backend, "t", {"pk": {"S": "a"}})  # the key attributes only
    assert getattr(DynamoDBBackend.put_item, "streamkit_atomic", False)


def test_writes_to_other_items_do_not_wait_for_a_held_item(backend):
    """One item's stripe held: a write to an item of another stripe proceeds,
    a write to the same item waits."""
    held = {"pk": {"S": "held"}}
    stripes = atomic.stripes_of(backend, "t")
    mine = atomic.stripe(backend, "t", held)
    other = next(f"o{i}" for i in range(1000) if atomic.stripe(backend, "t", {"pk": {"S": f"o{i}"}}) != mine)
    done = threading.Event()
    with stripes[mine]:
        t = threading.Thread(target=lambda: (backend.put_item("t", {"pk": {"S": other}}), done.set()))
        t.start()
        assert done.wait(5)
        waiting = threading.Thread(target=lambda: backend.put_item("t", dict(held)))
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive()  # the same item waits for the holder
    waiting.join(5)
    assert backend.get_item("t", held) is not None


def test_transact_get_items_never_sees_a_transaction_half_done():
    """"Amazon DynamoDB Transactions: How it works": TransactGetItems is
    serializable with TransactWriteItems (through moto's response code, as
    the server runs it)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.responses import DynamoHandler

    backend = dynamodb_backends["123456789012"]["us-east-1"]
    name = "atomic-transact-get"
    backend.create_table(name, schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         attr=[{"AttributeName": "pk", "AttributeType": "S"}], throughput=None,
                         billing_mode="PAY_PER_REQUEST", indexes=None, global_indexes=None, streams=None,
                         sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None)
    for k in ("a", "b"):
        backend.put_item(name, {"pk": {"S": k}, "v": {"N": "0"}})
    seen = []

    def read() -> dict:
        handler = DynamoHandler()
        handler.current_account, handler.region = "123456789012", "us-east-1"
        handler.body = {"TransactItems": [{"Get": {"TableName": name, "Key": {"pk": {"S": k}}}} for k in ("a", "b")]}
        answer = handler.transact_get_items().result
        return {r["Item"]["pk"]["S"]: r["Item"]["v"]["N"] for r in answer["Responses"]}

    def work(i: int) -> None:
        for n in range(1, 300):
            if i == 0:
                backend.transact_write_items([
                    {"Put": {"TableName": name, "Item": {"pk": {"S": "a"}, "v": {"N": str(n)}}}},
                    {"Put": {"TableName": name, "Item": {"pk": {"S": "b"}, "v": {"N": str(n)}}}}])
            else:
                seen.append(read())

    _race(work, threads=4)
    assert len(seen) == 897 and all(s["a"] == s["b"] for s in seen)


def test_items_of_one_new_partition_written_at_once_are_all_kept(monkeypatch):
    """Writes to different items always all land ("PutItem": each item is
    written; DynamoDB does not lose an acknowledged write). moto stores a
    table with a sort key as a defaultdict of partitions keyed by values whose
    hashing is Python code: two PutItems creating one new partition at once
    each made it, and the later replaced the earlier, losing its item. A slow
    hash widens that window so it shows in every round without the lock."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    b = DynamoDBBackend("us-east-1", "123456789012")
    b.create_table("rows", schema=[{"AttributeName": "o", "KeyType": "HASH"}, {"AttributeName": "i", "KeyType": "RANGE"}],
                   attr=[{"AttributeName": "o", "AttributeType": "N"}, {"AttributeName": "i", "AttributeType": "N"}],
                   throughput=None, billing_mode="PAY_PER_REQUEST", indexes=None, global_indexes=None, streams=None,
                   sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None)
    plain_hash = DynamoType.__hash__

    def slow_hash(self):
        time.sleep(0)  # gives the GIL away, as a switch inside the hash can
        return plain_hash(self)

    monkeypatch.setattr(DynamoType, "__hash__", slow_hash)
    for order in range(40):
        def write(i: int, order: int = order) -> None:
            b.put_item("rows", {"o": {"N": str(order)}, "i": {"N": str(i)}}, None, None, {}, {}, True, None)

        _race(write, threads=4)
    monkeypatch.setattr(DynamoType, "__hash__", plain_hash)
    kept = {(k.value, r.value) for k, part in b.get_table("rows").items.items() for r in part}
    assert kept == {(str(o), str(i)) for o in range(40) for i in range(4)}
