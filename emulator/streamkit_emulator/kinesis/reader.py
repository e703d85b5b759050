"""Reads a Kinesis stream of moto's backend from inside the emulator, the way a
consumer with one iterator per shard would (GetRecords without the HTTP hop).

moto numbers each shard's records 1, 2, 3, ... and keeps them in a dict keyed
by that number, so the next record after sequence number `n` is `records[n+1]`:
reading is a few dict look-ups per new record (no scan of the retained data,
which matters for a poller that wakes every second) and safe against puts
arriving on other server threads. A gap (a trimmed or re-numbered shard) falls
back to a scan of a snapshot of the keys.
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from moto.kinesis.models import kinesis_backends

from streamkit_emulator.kinesis import metrics as kinesis_metrics


@dataclass(frozen=True)
class StreamRecord:
    """One record as GetRecords returns it."""

    shard_id: str
    sequence_number: int
    partition_key: str
    data: bytes
    arrival: datetime  # ApproximateArrivalTimestamp, UTC


def find_stream(account_id: str, region: str, stream_arn: str):
    """moto's stream for `stream_arn`, or None when it does not exist (any more)."""
    backend = kinesis_backends[account_id][region]
    for stream in list(backend.streams.values()):
        if stream.arn == stream_arn:
            return stream
    return None


class StreamReader:
    """Per-shard positions in one stream, starting at `start` (records that
    arrived at or after it: AT_TIMESTAMP), or at the oldest record when
    `start` is None (TRIM_HORIZON)."""

    def __init__(self, account_id: str, region: str, stream_arn: str, start: datetime | None):
        self.account_id = account_id
        self.region = region
        self.stream_arn = stream_arn
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)  # moto keeps naive UTC times
        self.start = start
        self.positions: dict[str, int] = {}  # shard id -> last sequence number read

    def read(self, limit_per_shard: int = 10_000) -> tuple[list[StreamRecord], bool]:
        """New records of every shard (in order within a shard), and whether
        some shard has more than `limit_per_shard` waiting. Each shard's read
        is published as the GetRecords call it stands for
        (`kinesis_metrics.polled`)."""
        stream = find_stream(self.account_id, self.region, self.stream_arn)
        if stream is None:
            return [], False
        out: list[StreamRecord] = []
        more = False
        for shard in list(stream.shards.values()):
            last = self.positions.get(shard.shard_id)
            if last is None:
                last = self._initial_position(shard)
            records = shard.records
            taken = 0
            began = time.perf_counter()
            raw: list = []
            while taken < limit_per_shard:
                record = records.get(last + 1)
                if record is None:
                    nxt = self._after_gap(records, last)
                    if nxt is None:
                        break
                    record = records[nxt]
                last = record.sequence_number
                taken += 1
                raw.append(record)
                out.append(_convert(shard.shard_id, record))
            else:
                more = True
            self.positions[shard.shard_id] = last
            kinesis_metrics.polled(self.account_id, self.region, stream, shard.shard_id, raw,
                                   (time.perf_counter() - began) * 1000)
        return out, more

    def _initial_position(self, shard) -> int:
        if self.start is None:
            return 0
        threshold = self.start.timestamp()
        last = 0
        for seq, record in list(shard.records.items()):
            if record.created_at >= threshold:
                break
            last = seq
        return last

    @staticmethod
    def _after_gap(records, last: int) -> int | None:
        try:
            newest = next(reversed(records), None)  # O(1) on moto's OrderedDict
        except RuntimeError:
            newest = last + 1
        if newest is None or newest <= last:
            return None  # nothing new: the common, idle case costs no scan
        for _ in range(3):  # another thread may resize the dict while we copy it
            try:
                keys = list(records.keys())
                break
            except RuntimeError:
                continue
        else:
            return None
        later = [k for k in keys if k > last]
        return min(later) if later else None


def _convert(shard_id: str, record) -> StreamRecord:
    data = record.data
    raw = base64.b64decode(data) if isinstance(data, str) else bytes(data)
    arrival = record.created_at_datetime
    if arrival.tzinfo is None:
        arrival = arrival.replace(tzinfo=timezone.utc)
    return StreamRecord(shard_id, record.sequence_number, record.partition_key, raw, arrival)
