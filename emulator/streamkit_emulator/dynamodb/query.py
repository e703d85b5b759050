"""DynamoDB Query at the cost of one partition, as in AWS: moto answers a
Query on a table's key by sorting every item of the table and keeping the
partition's (`Table.all_items()`), so each Query costs O(n log n) in the
table's size. The joins stack queries its state table once per order; at a
few thousand orders one Query took ~0.16 s and the emulator, not the
pipeline, set the latency. Here a Query on the table's own key (no index)
sees just its partition (`Table.items[hash_key]`); moto's own code still does
everything else (conditions, sort, paging, filters, projections). Index
queries keep moto's path (an index has no per-partition structure)."""
from __future__ import annotations

import inspect
import threading
from typing import Any

from moto.dynamodb.models.table import Table

_local = threading.local()
_original_query = Table.query
_original_all_items = Table.all_items
_query_signature = inspect.signature(_original_query)


def _partition(table: Table, hash_key: Any) -> list[Any]:
    part = table.items.get(hash_key)  # .get: never adds to the defaultdict
    if part is None:
        return []
    if table.range_key_attr:
        return sorted(part.values(), key=lambda item: item.range_key)
    return [part]


def all_items(self: Table) -> list[Any]:
    only = getattr(_local, "partition", None)
    if only is not None and only[0] is self:
        return _partition(self, only[1])
    return _original_all_items(self)


def query(self: Table, *args: Any, **kwargs: Any) -> Any:
    bound = _query_signature.bind(self, *args, **kwargs)
    hash_key = bound.arguments.get("hash_key")
    if bound.arguments.get("index_name") or hash_key is None:
        return _original_query(self, *args, **kwargs)
    _local.partition = (self, hash_key)
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        _local.partition = None


def install() -> None:
    Table.all_items = all_items
    Table.query = query
