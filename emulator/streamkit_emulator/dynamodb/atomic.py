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

Locks, per table (the region's backend holds the tables):
* a single-item request (PutItem, UpdateItem, DeleteItem, GetItem) holds the
  table shared and its item's stripe (one of 64 locks, by key) exclusively:
  requests on different items run side by side, two on one item one after
  the other;
* Query and Scan hold the table shared (they read item by item, read
  committed, as on AWS);
* TransactWriteItems and TransactGetItems hold every table they name
  exclusively (in name order, so two transactions cannot deadlock): no other
  request sees or changes their items midway.
One lock for the whole backend made every request wait for every other: a
lock convoy under the GIL (the join pipeline's PutItem, 0.3 ms inside the
handler, took 11 ms waiting). Transaction conflicts AWS reports instead of
waiting (TransactionConflictException) are not modelled: a request waits for
the transaction in progress, the outcome AWS reaches after the client's retry.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Iterable

from moto.dynamodb.models import DynamoDBBackend

STRIPES = 64
_made = threading.Lock()


class SharedLock:
    """Shared (many holders) or exclusive (one); waiting exclusive holders go first."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive: int | None = None  # the holding thread's id
        self._depth = 0
        self._waiting = 0

    def acquire_shared(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._exclusive == me:  # a transaction's own reads and writes
                self._depth += 1
                return
            while self._exclusive is not None or self._waiting:
                self._cond.wait()
            self._shared += 1

    def release_shared(self) -> None:
        with self._cond:
            if self._exclusive == threading.get_ident():
                self._depth -= 1
                return
            self._shared -= 1
            if not self._shared:
                self._cond.notify_all()

    def acquire_exclusive(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._exclusive == me:
                self._depth += 1
                return
            self._waiting += 1
            while self._exclusive is not None or self._shared:
                self._cond.wait()
            self._waiting -= 1
            self._exclusive = me
            self._depth = 1

    def release_exclusive(self) -> None:
        with self._cond:
            self._depth -= 1
            if not self._depth:
                self._exclusive = None
                self._cond.notify_all()


class _TableLocks:
    def __init__(self) -> None:
        self.table = SharedLock()
        self.stripes = [threading.RLock() for _ in range(STRIPES)]


def locks_of(backend: DynamoDBBackend, table_name: Any) -> _TableLocks:
    registry = backend.__dict__.get("streamkit_locks")
    if registry is None:
        with _made:
            registry = backend.__dict__.setdefault("streamkit_locks", {})
    found = registry.get(table_name)
    if found is None:
        with _made:
            found = registry.setdefault(table_name, _TableLocks())
    return found


def _stripe(backend: DynamoDBBackend, table_name: Any, key: Any) -> int:
    """The stripe of an item's key attributes (any other attributes ignored)."""
    try:
        table = backend.tables.get(table_name)
        names = [n for n in (table.hash_key_attr, table.range_key_attr) if n] if table is not None else []
        parts = tuple(repr(sorted((key.get(n) or {}).items())) for n in names) if names else (repr(key),)
    except (AttributeError, TypeError):
        parts = (repr(key),)
    return hash(parts) % STRIPES


def _single(original: Callable[..., Any], key_of: Callable[[tuple, dict], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, table_name: Any, *args: Any, **kwargs: Any) -> Any:
        locks = locks_of(self, table_name)
        stripe = locks.stripes[_stripe(self, table_name, key_of(args, kwargs))]
        locks.table.acquire_shared()
        try:
            with stripe:
                return original(self, table_name, *args, **kwargs)
        finally:
            locks.table.release_shared()

    operation.streamkit_atomic = True  # type: ignore[attr-defined]
    return operation


def _reading(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, table_name: Any, *args: Any, **kwargs: Any) -> Any:
        locks = locks_of(self, table_name)
        locks.table.acquire_shared()
        try:
            return original(self, table_name, *args, **kwargs)
        finally:
            locks.table.release_shared()

    operation.streamkit_atomic = True  # type: ignore[attr-defined]
    return operation


def exclusive(backend: DynamoDBBackend, table_names: Iterable[Any]) -> Any:
    """A context holding these tables exclusively (in name order)."""
    names = sorted({str(n) for n in table_names})

    class _Hold:
        def __enter__(self) -> None:
            self.held = []
            try:
                for name in names:
                    lock = locks_of(backend, name).table
                    lock.acquire_exclusive()
                    self.held.append(lock)
            except BaseException:
                self.__exit__()
                raise

        def __exit__(self, *exc: Any) -> None:
            for lock in reversed(self.held):
                lock.release_exclusive()
            self.held = []

    return _Hold()


def _transaction_tables(items: Any) -> list[Any]:
    names = []
    for entry in items or []:
        if isinstance(entry, dict):
            for spec in entry.values():
                if isinstance(spec, dict) and "TableName" in spec:
                    names.append(spec["TableName"])
    return names


def _transaction(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, transact_items: Any, *args: Any, **kwargs: Any) -> Any:
        with exclusive(self, _transaction_tables(transact_items)):
            return original(self, transact_items, *args, **kwargs)

    operation.streamkit_atomic = True  # type: ignore[attr-defined]
    return operation


def _transact_get_handler(original: Callable[..., Any]) -> Callable[..., Any]:
    """TransactGetItems, whose reads moto makes item by item in its response
    code: serializable with TransactWriteItems, so its tables held exclusively."""
    @functools.wraps(original)
    def handler(self: Any) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        with exclusive(self.dynamodb_backend, _transaction_tables(body.get("TransactItems"))):
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
    for name in ("query", "scan"):
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "streamkit_atomic", False):
            setattr(DynamoDBBackend, name, _reading(method))
    if not getattr(DynamoDBBackend.transact_write_items, "streamkit_atomic", False):
        DynamoDBBackend.transact_write_items = _transaction(DynamoDBBackend.transact_write_items)
    if not getattr(DynamoHandler.transact_get_items, "streamkit_atomic", False):
        DynamoHandler.transact_get_items = _transact_get_handler(DynamoHandler.transact_get_items)
