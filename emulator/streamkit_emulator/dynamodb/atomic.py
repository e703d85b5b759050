"""Each DynamoDB request acts atomically, as DynamoDB guarantees.

DynamoDB Developer Guide: a conditional write succeeds only if its condition
holds when the item is written ("Condition expressions": conditional writes
are atomic, "Optimistic locking with version number"), and transactions are
serializable with every other write and read committed for reads ("Amazon
DynamoDB Transactions: How it works", isolation levels). The emulator serves
requests on many threads, and moto's models check a condition, then write,
with Python code in between: a thread switch there let two requests on one
item interleave (both conditions held, both wrote; a transaction's checks
held and another write landed before its writes, which then overwrote it),
something that cannot happen on AWS, so a pipeline could lose or keep data
locally for reasons that do not exist there (`tests/test_dynamodb_atomic.py`:
7 of 8 racing conditional creates won; 119 of 150 optimistic increments were
lost).

Locks: each table has 64 stripes (re-entrant locks), an item's stripe chosen
by its partition key. A single-item request (PutItem, UpdateItem, DeleteItem,
GetItem) holds its item's stripe: requests on different partitions run side
by side, two on one partition one after the other. The stripe is the
partition's, not the item's: moto keeps a table with a sort key as a
`defaultdict` of partitions keyed by `DynamoType`, whose hashing is Python
code, so two writes creating one new partition at once could each make it
and the later one replace the earlier with its own: an item written and
acknowledged was lost (the joins bench lost one order's item this way, its
two items written at once by the join function;
`test_items_of_one_new_partition_written_at_once_are_all_kept`). TransactWriteItems and
TransactGetItems hold the stripes of every item they name (in one global
order, so two transactions cannot deadlock): serializable with each other
and with single-item requests, as on AWS. Query and Scan take no lock: they
read item by item, read committed, as AWS documents them (a scan may see
some of a concurrent transaction's writes and not others, on AWS too). A
lock per backend or per table made requests wait for unrelated ones under
the GIL (a convoy: the join pipeline's PutItem, 0.3 ms inside the handler,
waited 11 ms). Transaction conflicts AWS reports instead of waiting
(TransactionConflictException) are not modelled: a request waits for the
transaction in progress, the outcome AWS reaches after the client's retry.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Iterable

from moto.dynamodb.models import DynamoDBBackend

STRIPES = 64
_made = threading.Lock()


def stripes_of(backend: DynamoDBBackend, table_name: Any) -> list[threading.RLock]:
    registry = backend.__dict__.get("streamkit_stripes")
    if registry is None:
        with _made:
            registry = backend.__dict__.setdefault("streamkit_stripes", {})
    found = registry.get(table_name)
    if found is None:
        with _made:
            found = registry.setdefault(table_name, [threading.RLock() for _ in range(STRIPES)])
    return found


def stripe(backend: DynamoDBBackend, table_name: Any, key: Any) -> int:
    """The stripe of an item's partition key (any other attributes ignored)."""
    try:
        table = backend.tables.get(table_name)
        name = table.hash_key_attr if table is not None else None
        parts = (repr(sorted((key.get(name) or {}).items())),) if name else (repr(key),)
    except (AttributeError, TypeError):
        parts = (repr(key),)
    return hash(parts) % STRIPES


class _Hold:
    """Holds the stripes of (table, key) pairs, taken in one global order."""

    def __init__(self, backend: DynamoDBBackend, items: Iterable[tuple[Any, Any]]):
        wanted = {(str(t), stripe(backend, t, k)) for t, k in items}
        self.locks = [stripes_of(backend, t)[i] for t, i in sorted(wanted)]
        self.held: list[threading.RLock] = []

    def __enter__(self) -> None:
        try:
            for lock in self.locks:
                lock.acquire()
                self.held.append(lock)
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: Any) -> None:
        for lock in reversed(self.held):
            lock.release()
        self.held = []


def _single(original: Callable[..., Any], key_of: Callable[[tuple, dict], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, table_name: Any, *args: Any, **kwargs: Any) -> Any:
        with stripes_of(self, table_name)[stripe(self, table_name, key_of(args, kwargs))]:
            return original(self, table_name, *args, **kwargs)

    operation.streamkit_atomic = True  # type: ignore[attr-defined]
    return operation


def _transaction_items(backend: DynamoDBBackend, items: Any) -> list[tuple[Any, Any]]:
    """(table, key) of each entry of TransactItems (a Put's key from its item)."""
    out = []
    for entry in items or []:
        if not isinstance(entry, dict):
            continue
        for kind, spec in entry.items():
            if not isinstance(spec, dict) or "TableName" not in spec:
                continue
            key = spec.get("Item") if kind == "Put" else spec.get("Key")
            out.append((spec["TableName"], key if isinstance(key, dict) else {}))
    return out


def _transaction(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, transact_items: Any, *args: Any, **kwargs: Any) -> Any:
        with _Hold(self, _transaction_items(self, transact_items)):
            return original(self, transact_items, *args, **kwargs)

    operation.streamkit_atomic = True  # type: ignore[attr-defined]
    return operation


def _transact_get_handler(original: Callable[..., Any]) -> Callable[..., Any]:
    """TransactGetItems, whose reads moto makes item by item in its response
    code: serializable with TransactWriteItems, so its items' stripes held."""
    @functools.wraps(original)
    def handler(self: Any) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        backend = self.dynamodb_backend
        with _Hold(backend, _transaction_items(backend, body.get("TransactItems"))):
            return original(self)

    handler.streamkit_atomic = True  # type: ignore[attr-defined]
    return handler


def _arg(position: int, name: str) -> Callable[[tuple, dict], Any]:
    return lambda args, kwargs: kwargs[name] if name in kwargs else (args[position] if len(args) > position else None)


def install() -> None:
    """After every other patch of these methods (it wraps what is there)."""
    from moto.dynamodb.responses import DynamoHandler

    singles = {"put_item": _arg(0, "item_attrs"), "update_item": _arg(0, "key"),
               "delete_item": _arg(0, "key"), "get_item": _arg(0, "keys")}
    for name, key_of in singles.items():
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "streamkit_atomic", False):
            setattr(DynamoDBBackend, name, _single(method, key_of))
    if not getattr(DynamoDBBackend.transact_write_items, "streamkit_atomic", False):
        DynamoDBBackend.transact_write_items = _transaction(DynamoDBBackend.transact_write_items)
    if not getattr(DynamoHandler.transact_get_items, "streamkit_atomic", False):
        DynamoHandler.transact_get_items = _transact_get_handler(DynamoHandler.transact_get_items)
