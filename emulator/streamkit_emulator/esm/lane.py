"""One reader of one shard for one Kinesis event source mapping: a thread that
gathers batches in order and delivers them one at a time (`esm_delivery`).

With `ParallelizationFactor` N a shard has N lanes; lane k takes the records
whose partition key hashes to k (MD5 mod N), so order holds per key. A batch
closes at `BatchSize`, at 6 MB, when `MaximumBatchingWindowInSeconds` has
passed since its first record, or (tumbling windows) at a record of a later
window. Records that match no filter are skipped. An idle lane looks at its
shard again after `poll_seconds` (1 s; enhanced fan-out sources, whose
records Kinesis pushes, 0.2 s).

Tumbling windows (`TumblingWindowInSeconds`): windows are aligned to the
epoch and a record belongs to the window of its approximate arrival time.
Each invocation gets `window`, the `state` the previous invocation of the
window returned, `shardId`, `eventSourceARN`, `isFinalInvokeForWindow` and
`isWindowTerminatedEarly`. A window ends with one more invocation without
records and `isFinalInvokeForWindow: true` once its end has passed and the
lane has read everything before it (or a later window's record is next);
state over 1 MB ends the window early (`isWindowTerminatedEarly`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any

from streamkit_emulator.kinesis import metrics as kinesis_metrics
from streamkit_emulator.kinesis import models as kinesis
from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.esm.delivery import Delivery
from streamkit_emulator.esm.settings import Settings, event_size, iso_second, kinesis_event

log = logging.getLogger("streamkit.emulator")
MAX_EVENT = 6 * 1024 * 1024
MAX_STATE = 1024 * 1024


def lane_of(partition_key: str, lanes: int) -> int:
    if lanes <= 1:
        return 0
    return int(hashlib.md5(partition_key.encode()).hexdigest(), 16) % lanes


class Lane(threading.Thread):
    def __init__(self, mapping: Any, shard: Any, index: int, lanes: int, position: int):
        super().__init__(name=f"esm-{shard.shard_id}-{index}", daemon=True)
        self.mapping, self.shard = mapping, shard
        self.index, self.lanes = index, lanes
        self.position = position
        self.finished = False
        self._quit = threading.Event()
        self.window: tuple[float, float] | None = None
        self._read_ms = 0.0  # time the current poll spent reading (GetRecords.Latency)
        self.state: dict[str, Any] = {}

    # --- what Delivery needs -------------------------------------------------
    shard_id = property(lambda self: self.shard.shard_id)
    stream_arn = property(lambda self: self.mapping.stream_arn)
    account = property(lambda self: self.mapping.account)
    region = property(lambda self: self.mapping.region)
    mapping_uuid = property(lambda self: self.mapping.uuid)
    function_name = property(lambda self: self.mapping.function_name())

    def stopping(self) -> bool:
        return self._quit.is_set() or self.mapping.stopped()

    def pause(self, seconds: float) -> None:
        self._quit.wait(seconds)

    def quit(self) -> None:
        self._quit.set()

    # --- the loop ------------------------------------------------------------
    def run(self) -> None:
        while not self.stopping() and not self.finished:
            try:
                self._step()
            except Exception:  # noqa: BLE001 - a reader must outlive a bad batch
                log.exception("event source mapping %s, %s: retrying", self.mapping_uuid, self.shard_id)
                self.pause(self.mapping.poll_seconds)

    def _step(self) -> None:
        """One batch, or one idle poll."""
        if not self.mapping.enabled():
            self.pause(1.0)
            return
        problem = iam_hooks.esm_read_problem(self.mapping.account, self.mapping.role(), self.mapping.function_name(),
                                             self.stream_arn, self.mapping.esm.event_source_arn)
        if problem or (getattr(self.mapping.esm, "streamkit_last_processing_result", None) or "").startswith("PROBLEM"):
            self.mapping.esm.streamkit_last_processing_result = problem or "OK"
        if problem:
            self.pause(1.0)
            return
        settings = Settings.of(self.mapping.esm)
        batch, consumed = self._gather(settings)
        if self.stopping():
            return
        if batch:
            self._deliver(settings, batch, consumed)
            return
        self.position = consumed
        if settings.tumbling and self.window and time.time() >= self.window[1]:
            self._close_window(settings, early=False)
            return
        if not self.shard.is_open and not kinesis.read_after(self.shard, self.position, 1):
            if not self.window:
                self.finished = True
                return
        self.pause(self.mapping.poll_seconds)

    def _gather(self, settings: Settings) -> tuple[list[Any], int]:
        """The next batch and the position after it (skipped records included)."""
        self._read_ms = 0.0
        batch, consumed = self._collect(settings)
        self._published_read(consumed)
        return batch, consumed

    def _published_read(self, consumed: int) -> None:
        """The poll just made, as the GetRecords call (or, for an enhanced
        fan-out consumer, the SubscribeToShard event) it stands for: the records
        between the lane's position and `consumed` (`kinesis_metrics.polled`).
        With `ParallelizationFactor` > 1 the lanes share one poller of the shard
        on AWS, so only lane 0 publishes."""
        if self.index != 0:
            return
        records = kinesis.read_after(self.shard, self.position, consumed - self.position) if consumed > self.position else []
        source = self.mapping.esm.event_source_arn
        consumer = source.split("/consumer/")[1].split(":")[0] if "/consumer/" in source else None
        kinesis_metrics.polled(self.account, self.region, self.mapping.stream, self.shard_id, records,
                               self._read_ms, consumer)

    def _collect(self, settings: Settings) -> tuple[list[Any], int]:
        batch: list[Any] = []
        size, consumed, first_seen = 0, self.position, 0.0
        while True:
            began = time.perf_counter()
            fresh = kinesis.read_after(self.shard, consumed, max(settings.batch_size, 100))
            self._read_ms += (time.perf_counter() - began) * 1000
            for record in fresh:
                if lane_of(record.partition_key, self.lanes) != self.index or not settings.record_filter.matches(record.data):
                    consumed = record.sequence_number
                    continue
                if settings.tumbling and not self._fits(record, batch, settings):
                    return batch, consumed
                if batch and size + event_size(record) > MAX_EVENT:
                    return batch, consumed
                batch.append(record)
                size += event_size(record)
                consumed = record.sequence_number
                first_seen = first_seen or time.monotonic()
                if len(batch) >= settings.batch_size:
                    return batch, consumed
            if not batch:
                return batch, consumed
            remaining = settings.batching_window - (time.monotonic() - first_seen)
            if remaining <= 0 or self.stopping():
                return batch, consumed
            if not fresh:
                self.pause(min(0.2, remaining))

    def _deliver(self, settings: Settings, batch: list[Any], consumed: int) -> None:
        if settings.tumbling and not self.window:
            start = self._window_of(batch[0], settings)
            self.window, self.state = (start, start + settings.tumbling), {}
        delivery = Delivery(self, settings, self._invoke, self._event)
        state = delivery.run(batch, self.state)
        if self.stopping():
            return
        self.position = consumed
        if settings.tumbling:
            self.state = state if isinstance(state, dict) else {}
            if len(json.dumps(self.state)) > MAX_STATE:
                self._close_window(settings, early=True)

    def _close_window(self, settings: Settings, early: bool) -> None:
        final = Delivery(self, settings, self._invoke, lambda records, state: self._event(records, state, True, early))
        final.run([], self.state)
        if early and self.window:  # the same window goes on with a fresh state
            self.state = {}
            return
        self.window, self.state = None, {}

    # --- events ----------------------------------------------------------------
    def _invoke(self, event: dict[str, Any]) -> Any:
        return self.mapping.invoke(event)

    def _event(self, records: list[Any], state: Any, final: bool = False, early: bool = False) -> dict[str, Any]:
        event = kinesis_event(records, self.shard_id, self.stream_arn, self.mapping.source_region, self.mapping.role())
        if self.window:
            event.update({
                "window": {"start": iso_second(self.window[0]), "end": iso_second(self.window[1])},
                "state": state if isinstance(state, dict) else {},
                "shardId": self.shard_id,
                "eventSourceARN": self.stream_arn,
                "isFinalInvokeForWindow": final,
                "isWindowTerminatedEarly": early,
            })
        return event

    def _window_of(self, record: Any, settings: Settings) -> float:
        """Start of the record's window by arrival time; a record that arrived
        a hair before one already read (moto stamps arrival outside any lock)
        stays in the open window."""
        start = float(int(record.created_at // settings.tumbling) * settings.tumbling)
        return max(start, self.window[0]) if self.window else start

    def _fits(self, record: Any, batch: list[Any], settings: Settings) -> bool:
        """Whether the record belongs to the window of `batch` (else of the
        lane's open window; any window when neither exists)."""
        start = self._window_of(record, settings)
        if batch:
            return start == self._window_of(batch[0], settings)
        return self.window is None or start == self.window[0]
