"""Kinesis event source mappings run: one `Mapping` per mapping, started when
it is created (CreateEventSourceMapping or CloudFormation) and stopped when it
is deleted.

A mapping's source is a stream ARN (shared-throughput polling) or an enhanced
fan-out consumer ARN. Starting positions are fixed at creation: `LATEST` after
each shard's newest record, `TRIM_HORIZON` before its oldest, `AT_TIMESTAMP`
before the first record that arrived at or after `StartingPositionTimestamp`.
A supervisor thread (once a second) starts the lanes (`esm_lane`) of each
shard whose parents are done, so after resharding children are read after
their parents, from their first record; it restarts a shard's lanes when
`ParallelizationFactor` changes (from the earliest lane's checkpoint) and
stops everything when the mapping disappears. `Enabled: false` pauses it.

`validate` (from CreateEventSourceMapping / UpdateEventSourceMapping) refuses
what the emulator cannot honour, by property name, in strict mode, and
invalid filter patterns always.
"""
from __future__ import annotations

import datetime
import json
import logging
import threading
from typing import Any

from moto.awslambda.models import lambda_backends

from streamkit_emulator.kinesis import models as kinesis
from streamkit_emulator.awslambda import runtime as lambda_runtime
from streamkit_emulator.cloudformation import strict
from streamkit_emulator.esm.filter import FilterError, RecordFilter
from streamkit_emulator.esm.lane import Lane
from streamkit_emulator.esm.settings import check

log = logging.getLogger("streamkit.emulator")
_mappings: dict[str, "Mapping"] = {}
_lock = threading.Lock()


class MappingRefused(Exception):
    """Raised to the API caller as InvalidParameterValueException."""


def validate(spec: dict[str, Any]) -> None:
    source = spec.get("EventSourceArn") or ""
    if strict.STRICT and source and ":kinesis:" not in source:
        raise MappingRefused(
            f"EventSourceArn: the streamkit emulator runs Kinesis event source mappings only, not {source.split(':')[2]}"
            " (strict mode refuses mappings that would never run)"
        )
    try:
        RecordFilter(spec.get("FilterCriteria"))
    except FilterError as error:
        raise MappingRefused(str(error))
    problems = check(spec)
    if problems and strict.STRICT:
        raise MappingRefused(
            "the streamkit emulator cannot honour " + "; ".join(problems) + " (strict mode refuses to ignore them)"
        )
    for problem in problems:
        log.warning("event source mapping: ignoring %s", problem)


class Mapping:
    def __init__(self, esm: Any, stream: Any):
        self.esm, self.stream = esm, stream
        self.uuid = esm.uuid
        self.account, self.region = esm.account_id, esm.region
        self.stream_arn = stream.arn
        self.source_region = stream.region
        self.poll_seconds = 0.2 if "/consumer/" in esm.event_source_arn else 1.0
        self._stop = threading.Event()
        self.lanes: dict[str, list[Lane]] = {}
        self.factor: dict[str, int] = {}
        self.done: set[str] = set()
        self.start_at = {sid: self._initial(shard) for sid, shard in stream.shards.items()}
        self._supervisor = threading.Thread(target=self._supervise, name=f"esm-{self.uuid[:8]}", daemon=True)
        self._supervisor.start()

    # --- used by lanes ----------------------------------------------------------
    def stopped(self) -> bool:
        return self._stop.is_set()

    def enabled(self) -> bool:
        return bool(self.esm.enabled)

    def function_name(self) -> str:
        return self.esm.function_arn.split(":function:")[-1].split(":")[0]

    def role(self) -> str:
        try:
            return lambda_backends[self.account][self.region].get_function(self.esm.function_arn).role
        except Exception:  # noqa: BLE001 - the function went away
            return ""

    def invoke(self, event: dict[str, Any]) -> lambda_runtime.Invocation:
        payload = json.dumps(event).encode()
        return lambda_runtime.invoke(self.account, self.region, self.esm.function_arn, payload)

    def stop(self) -> None:
        self._stop.set()

    # --- supervision -------------------------------------------------------------
    def _initial(self, shard: Any) -> int:
        position = self.esm.starting_position or "TRIM_HORIZON"
        if position == "LATEST":
            return kinesis.last_position(shard)
        if position == "AT_TIMESTAMP":
            ts = self.esm.starting_position_timestamp
            if isinstance(ts, datetime.datetime):
                ts = ts.timestamp()
            return kinesis.position_at(shard, float(ts or 0))
        return kinesis.first_position(shard)

    def _registered(self) -> bool:
        backend = lambda_backends[self.account][self.region]
        return backend._event_source_mappings.get(self.uuid) is self.esm

    def _supervise(self) -> None:
        while True:
            try:
                if not self._registered():
                    self.stop()
                    break
                self._tick()
            except Exception:  # noqa: BLE001 - keep supervising
                log.exception("event source mapping %s", self.uuid)
            if self._stop.wait(1.0):
                break
        for lanes in self.lanes.values():
            for lane in lanes:
                lane.quit()

    def _tick(self) -> None:
        factor = max(1, int(self.esm.parallelization_factor or 1))
        for sid, lanes in list(self.lanes.items()):
            if all(lane.finished for lane in lanes):
                self.done.add(sid)
                del self.lanes[sid]
            elif self.factor[sid] != factor:
                for lane in lanes:
                    lane.quit()
                for lane in lanes:
                    lane.join()
                self.start_at[sid] = min(lane.position for lane in lanes)
                del self.lanes[sid]
        for sid, shard in list(self.stream.shards.items()):
            if sid in self.lanes or sid in self.done:
                continue
            parents = [p for p in (shard.parent, shard.adjacent_parent) if p and p in self.stream.shards]
            if any(p not in self.done for p in parents):
                continue
            start = self.start_at.get(sid, 0)
            self.factor[sid] = factor
            self.lanes[sid] = [Lane(self, shard, i, factor, start) for i in range(factor)]
            for lane in self.lanes[sid]:
                lane.start()


def start(esm: Any) -> None:
    """Runs a mapping just created (Kinesis sources only)."""
    stream = kinesis.source_stream(esm.event_source_arn)
    if stream is None:
        return
    with _lock:
        _mappings[esm.uuid] = Mapping(esm, stream)


def stop(uuid: str) -> None:
    with _lock:
        mapping = _mappings.pop(uuid, None)
    if mapping:
        mapping.stop()
