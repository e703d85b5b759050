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
locally for reasons that do not exist there.

Every model operation of a region's DynamoDB backend (reads included, so no
reader sees half a transaction) runs under that backend's lock; the GIL
already serialised their CPU, so the lock costs no throughput. The
transaction conflicts AWS reports instead of waiting
(TransactionConflictException) are not modelled: a request waits for the one
in progress, the outcome AWS reaches after a client's retry.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable

from moto.dynamodb.models import DynamoDBBackend

OPERATIONS = ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items")

_locks_lock = threading.Lock()


def lock_of(backend: DynamoDBBackend) -> threading.RLock:
    found = backend.__dict__.get("streamkit_lock")
    if found is None:
        with _locks_lock:
            found = backend.__dict__.setdefault("streamkit_lock", threading.RLock())
    return found


def _atomic(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def operation(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock_of(self):
            return original(self, *args, **kwargs)

    operation.streamkit_atomic = True  # type: ignore[attr-defined]
    return operation


def _atomic_handler(original: Callable[..., Any]) -> Callable[..., Any]:
    """A request whose reads moto makes item by item in its response code
    (TransactGetItems: serializable with TransactWriteItems), under the lock."""
    @functools.wraps(original)
    def handler(self: Any) -> Any:
        with lock_of(self.dynamodb_backend):
            return original(self)

    handler.streamkit_atomic = True  # type: ignore[attr-defined]
    return handler


def install() -> None:
    """After every other patch of these methods (it wraps what is there)."""
    from moto.dynamodb.responses import DynamoHandler

    for name in OPERATIONS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "streamkit_atomic", False):
            setattr(DynamoDBBackend, name, _atomic(method))
    if not getattr(DynamoHandler.transact_get_items, "streamkit_atomic", False):
        DynamoHandler.transact_get_items = _atomic_handler(DynamoHandler.transact_get_items)
