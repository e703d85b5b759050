"""Resharding as Kinesis does it: SplitShard, MergeShards and UpdateShardCount
(UNIFORM_SCALING).

Follows "Resharding a stream" (Kinesis Data Streams Developer Guide,
https://docs.aws.amazon.com/streams/latest/dev/kinesis-using-sdk-java-resharding.html)
and the API references of SplitShard, MergeShards and UpdateShardCount
(https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html):

* a split closes its parent and opens two children covering the parent's hash
  range, each naming the parent (`ParentShardId`); a merge closes two
  adjacent shards and opens one child naming both (`ParentShardId`,
  `AdjacentParentShardId`);
* a closed parent keeps its records (readable until they pass the retention
  period; its `EndingSequenceNumber` is set); new records go to the open shard
  whose hash key range holds the partition key's MD5 hash;
* UpdateShardCount reaches uniform shards by splits and merges, which may
  create short-lived shards besides the final ones; its default limits: at
  most double or at least half the open shard count per call, at most 10,000
  shards, ten calls per rolling 24 hours per stream, provisioned streams only
  (an on-demand stream answers ValidationException).

moto's own versions moved the parent's records into the children (re-putting
them with new sequence numbers), kept routing new records to closed shards,
and copied merged records: a consumer reading parents before children would
see records twice or out of order. A lock makes each reshard atomic against
puts (no record lands on a shard after it closed).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from moto.kinesis.exceptions import InvalidArgumentError, StreamCannotBeUpdatedError
from moto.kinesis.models import KinesisBackend, Shard, Stream
from moto.core.exceptions import JsonRESTError

HASH_SPACE = 2**128
MAX_SHARDS = 10_000
CALLS_PER_DAY = 10

_lock = threading.RLock()
_calls: dict[str, deque[float]] = {}


class LimitExceeded(JsonRESTError):
    def __init__(self, message: str):
        super().__init__(error_type="LimitExceededException", message=message)


def open_shards(stream: Stream) -> list[Shard]:
    return sorted((s for s in stream.shards.values() if s.is_open), key=lambda s: s.starting_hash)


def _new_shard(stream: Stream, start: int, end: int, parent: str, adjacent: str | None = None) -> Shard:
    next_id = max(s._shard_id for s in stream.shards.values()) + 1
    shard = Shard(next_id, starting_hash=start, ending_hash=end, parent=parent, adjacent_parent=adjacent)
    stream.shards[shard.shard_id] = shard
    return shard


def split(stream: Stream, shard_id: str, new_starting_hash: int) -> tuple[Shard, Shard]:
    """Closes `shard_id` and opens its two children (records stay in the parent)."""
    shard = stream.shards.get(shard_id)
    if shard is None:
        raise InvalidArgumentError(f"Shard {shard_id} does not exist in stream {stream.stream_name}.")
    if not shard.is_open:
        raise InvalidArgumentError(
            f"Shard {shard_id} in stream {stream.stream_name} under account {stream.account_id} has already"
            " been merged or split, and thus is not eligible for merging or splitting.")
    if not shard.starting_hash < new_starting_hash <= shard.ending_hash:
        raise InvalidArgumentError(
            f"NewStartingHashKey {new_starting_hash} used in SplitShard() on shard {shard_id} in stream"
            f" {stream.stream_name} under account {stream.account_id} is not both greater than one plus the"
            f" shard's StartingHashKey {shard.starting_hash} and less than the shard's EndingHashKey"
            f" {shard.ending_hash - 1}.")
    with _lock:
        left = _new_shard(stream, shard.starting_hash, new_starting_hash - 1, shard.shard_id)
        right = _new_shard(stream, new_starting_hash, shard.ending_hash, shard.shard_id)
        shard.is_open = False
    return left, right


def merge(stream: Stream, shard_id: str, adjacent_id: str) -> Shard:
    """Closes two adjacent open shards and opens their child."""
    a, b = stream.shards.get(shard_id), stream.shards.get(adjacent_id)
    if a is None or b is None:
        raise InvalidArgumentError(f"Shard {shard_id if a is None else adjacent_id} does not exist.")
    if not (a.is_open and b.is_open):
        raise InvalidArgumentError(
            f"Shards {shard_id}, {adjacent_id} in stream {stream.stream_name} under account"
            f" {stream.account_id} have already been merged or split, and thus are not eligible for merging or splitting.")
    low, high = (a, b) if a.starting_hash < b.starting_hash else (b, a)
    if low.ending_hash + 1 != high.starting_hash:
        raise InvalidArgumentError(
            f"Shards {shard_id}, {adjacent_id} in stream {stream.stream_name} under account"
            f" {stream.account_id} are not an adjacent pair of shards eligible for merging")
    with _lock:
        child = _new_shard(stream, low.starting_hash, high.ending_hash, a.shard_id, b.shard_id)
        a.is_open = b.is_open = False
    return child


def _check_limits(stream: Stream, current: int, target: int) -> None:
    if (stream.stream_mode or {}).get("StreamMode") == "ON_DEMAND":
        raise StreamCannotBeUpdatedError(stream_name=stream.stream_name, account_id=stream.account_id)
    if target < 1:
        raise InvalidArgumentError(
            f"1 validation error detected: Value '{target}' at 'targetShardCount' failed to satisfy"
            " constraint: Member must have value greater than or equal to 1")
    if target > 2 * current:
        raise LimitExceeded(
            f"UpdateShardCount cannot scale up over double your current open shard count. Current open shard"
            f" count: {current} Target shard count: {target}")
    if 2 * target < current:
        raise LimitExceeded(
            f"UpdateShardCount cannot scale down below half your current open shard count. Current open shard"
            f" count: {current} Target shard count: {target}")
    if target > MAX_SHARDS:
        raise LimitExceeded(f"UpdateShardCount cannot scale up over {MAX_SHARDS} shards. Target shard count: {target}")
    now = time.time()
    calls = _calls.setdefault(stream.arn, deque())
    while calls and calls[0] < now - 86_400:
        calls.popleft()
    if len(calls) >= CALLS_PER_DAY:
        raise LimitExceeded(
            f"Exceeded the limit of {CALLS_PER_DAY} UpdateShardCount calls per rolling 24-hour period for stream"
            f" {stream.stream_name} under account {stream.account_id}.")
    calls.append(now)


def update_shard_count(stream: Stream, target: int) -> int:
    """UNIFORM_SCALING to `target` open shards of equal hash ranges: each open
    shard is split at every new boundary inside it, then the pieces of each
    final range are merged pairwise (short-lived shards between). Returns the
    open shard count before."""
    with _lock:
        current = len(open_shards(stream))
        _check_limits(stream, current, target)
        if target == current and _uniform(stream, target):
            return current
        step = HASH_SPACE // target
        bounds = [i * step for i in range(1, target)]
        for shard in open_shards(stream):
            piece = shard
            for b in bounds:
                if piece.starting_hash < b <= piece.ending_hash:
                    _, piece = split(stream, piece.shard_id, b)
        for i in range(target):
            start = 0 if i == 0 else bounds[i - 1]
            end = HASH_SPACE - 1 if i == target - 1 else bounds[i] - 1
            pieces = [s for s in open_shards(stream) if start <= s.starting_hash and s.ending_hash <= end]
            while len(pieces) > 1:
                merged = merge(stream, pieces[0].shard_id, pieces[1].shard_id)
                pieces = [merged] + pieces[2:]
        stream.shard_count = target
        return current


def _uniform(stream: Stream, target: int) -> bool:
    step = HASH_SPACE // target
    return [s.starting_hash for s in open_shards(stream)] == [i * step for i in range(target)]


def shard_for_key(self: Stream, partition_key: str, explicit_hash_key: str) -> Shard | None:
    """The open shard whose (inclusive) hash key range holds the key's hash."""
    from moto.kinesis.models import md5_hash

    if not isinstance(partition_key, str) or len(partition_key) > 256:
        raise InvalidArgumentError("partition_key")
    if explicit_hash_key:
        key = int(explicit_hash_key)
        if key >= HASH_SPACE:
            raise InvalidArgumentError("explicit_hash_key")
    else:
        key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
    for shard in self.shards.values():
        if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
            return shard
    return None


def install() -> None:
    """Replaces moto's resharding and routing with the versions above."""
    put_record = Stream.put_record

    def locked_put(self: Stream, *args: Any, **kwargs: Any) -> Any:
        with _lock:  # never on a shard closed while the record was routed
            return put_record(self, *args, **kwargs)

    Stream.put_record = locked_put
    Stream.get_shard_for_key = shard_for_key
    Stream.split_shard = lambda self, shard_id, key: split(self, shard_id, int(key))  # type: ignore[assignment]
    Stream.merge_shards = lambda self, a, b: merge(self, a, b)  # type: ignore[assignment]

    def backend_update(self: KinesisBackend, stream_arn: str, stream_name: str, target_shard_count: int) -> int:
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        return update_shard_count(stream, int(target_shard_count))

    KinesisBackend.update_shard_count = backend_update
