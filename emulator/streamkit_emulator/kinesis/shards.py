"""Shards as Kinesis keeps them: writes numbered one at a time, and resharding
that closes the parents with their records.

"Resharding a stream" and "UpdateShardCount" (Kinesis Developer Guide / API
Reference): a split or merge closes the parent shard(s), which keep their
records (readable until the retention period ends; their
SequenceNumberRange gets an EndingSequenceNumber), and opens child shards
that receive every new record for their hash key range. "Handle resharding"
(Lambda / KCL): a consumer reads a child after its parents are done. moto
5.2.1 instead re-put the parents' records into the stream (new sequence
numbers and arrival times) and kept routing new records to the closed
parents, whose hash range still matched first.

Writes: moto numbers a shard's records `max + 1` without a lock (two
concurrent PutRecord calls on one shard could take the same number, one
record overwriting the other) and found `max` by copying every key of the
shard on each put; here a lock serialises numbering and the newest key is
read in O(1).
"""
from __future__ import annotations

import threading
from operator import attrgetter
from typing import Any

from moto.core.utils import unix_time
from moto.kinesis.exceptions import InvalidArgumentError
from moto.kinesis.models import Record, Shard, Stream

_write_lock = threading.Lock()


def put_record(self: Shard, partition_key: str, data: str, explicit_hash_key: str) -> str:
    with _write_lock:
        last = next(reversed(self.records), 0) if self.records else 0
        sequence_number = last + 1
        record = Record(partition_key, data, sequence_number, explicit_hash_key)
        _arrival_in_milliseconds(record)
        self.records[sequence_number] = record
    return str(sequence_number)


def _arrival_in_milliseconds(record: Record) -> None:
    """ApproximateArrivalTimestamp has millisecond precision ("Record", Kinesis
    API Reference; the Lambda event's `approximateArrivalTimestamp` is "epoch
    seconds, ms precision"): stored truncated to the millisecond, GetRecords and
    the event source mappings' events give the same value (moto kept
    microseconds; GetRecords truncated them, the events rounded them)."""
    at = record.created_at_datetime
    record.created_at_datetime = at.replace(microsecond=at.microsecond // 1000 * 1000)
    record.created_at = unix_time(record.created_at_datetime)


def get_max_sequence_number(self: Shard) -> int:
    for _ in range(3):
        try:
            return next(reversed(self.records), 0)
        except RuntimeError:  # resized by a writer on another thread
            continue
    with _write_lock:
        return next(reversed(self.records), 0)


_get_shard_for_key = Stream.get_shard_for_key


def get_shard_for_key(self: Stream, partition_key: str, explicit_hash_key: str) -> Shard | None:
    """The open shard whose hash key range holds the key (moto's validation of
    the key first, through its own lookup)."""
    found = _get_shard_for_key(self, partition_key, explicit_hash_key)
    if found is None or found.is_open:
        return found
    key = int(explicit_hash_key) if explicit_hash_key else _hash(partition_key)
    for shard in list(self.shards.values()):
        if shard.is_open and shard.starting_hash <= key < shard.ending_hash:
            return shard
    return None


def _hash(partition_key: str) -> int:
    from moto.utilities.utils import md5_hash

    return int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)


def _next_id(stream: Stream) -> int:
    return sorted(stream.shards.values(), key=attrgetter("_shard_id"))[-1]._shard_id + 1


def split_shard(self: Stream, shard_to_split: str, new_starting_hash_key: str) -> None:
    """SplitShard: two children over the parent's range; the parent is closed
    and keeps its records."""
    split_at = int(new_starting_hash_key)
    shard = self.shards[shard_to_split]
    if not shard.starting_hash < split_at < shard.ending_hash:
        raise InvalidArgumentError(
            message=f"NewStartingHashKey {split_at} used in SplitShard() on shard {shard.shard_id} in stream "
                    f"{self.stream_name} under account {self.account_id} is not both greater than one plus the "
                    f"shard's StartingHashKey {shard.starting_hash} and less than the shard's EndingHashKey "
                    f"{(shard.ending_hash - 1)}.")
    if not shard.is_open:
        raise InvalidArgumentError(
            message=f"Shard {shard.shard_id} in stream {self.stream_name} under account {self.account_id} has "
                    f"already been merged or split, and thus is not eligible for merging or splitting.")
    with _write_lock:
        first = _next_id(self)
        low = Shard(first, starting_hash=shard.starting_hash, ending_hash=split_at - 1, parent=shard.shard_id)
        high = Shard(first + 1, starting_hash=split_at, ending_hash=shard.ending_hash, parent=shard.shard_id)
        self.shards[low.shard_id] = low
        self.shards[high.shard_id] = high
        shard.is_open = False


def merge_shards(self: Stream, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
    """MergeShards: one child over both parents' ranges; the parents are
    closed and keep their records."""
    first, second = self.shards[shard_to_merge], self.shards[adjacent_shard_to_merge]
    if first.ending_hash == second.starting_hash - 1 or first.ending_hash == second.starting_hash:
        low, high = first, second
    elif second.ending_hash == first.starting_hash - 1 or second.ending_hash == first.starting_hash:
        low, high = second, first
    else:
        raise InvalidArgumentError(adjacent_shard_to_merge)
    with _write_lock:
        child = Shard(_next_id(self), starting_hash=low.starting_hash, ending_hash=high.ending_hash,
                      parent=first.shard_id, adjacent_parent=second.shard_id)
        self.shards[child.shard_id] = child
        first.is_open = False
        second.is_open = False


def install() -> None:
    Shard.put_record = put_record  # type: ignore[method-assign]
    Shard.get_max_sequence_number = get_max_sequence_number  # type: ignore[method-assign]
    Stream.get_shard_for_key = get_shard_for_key  # type: ignore[method-assign]
    Stream.split_shard = split_shard  # type: ignore[method-assign]
    Stream.merge_shards = merge_shards  # type: ignore[method-assign]
