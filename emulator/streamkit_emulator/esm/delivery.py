"""Delivering one batch of a Kinesis event source mapping to its function,
with Lambda's error handling:

* success (no function error; with `ReportBatchItemFailures` an empty or null
  `batchItemFailures`): done;
* a partial failure (`ReportBatchItemFailures`, every `itemIdentifier` a
  sequence number of the batch): the records before the lowest one are done;
  with `BisectBatchOnFunctionError` the rest is retried at once (the batch is
  split at the returned sequence number, which costs no retry), without it the
  rest is retried as a retry attempt; a lowest failure at the batch's first
  record is a failure of the whole batch;
* a failure (function error, crash, timeout, an identifier not in the batch,
  an empty or missing identifier, a tumbling-window response without
  `state`): with bisect a batch of two or more is split in two halves, each
  retried in order (splitting costs no retry); otherwise it is a retry attempt;
* `MaximumRetryAttempts` exhausted (-1: never) or records older than
  `MaximumRecordAgeInSeconds` (checked before every attempt): the records are
  skipped and an invocation record goes to `DestinationConfig.OnFailure`;
* a throttle is retried after a pause and costs no retry.

Every invocation publishes IteratorAge (ms, the batch's newest record).
"""
from __future__ import annotations

import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.esm import failure as esm_failure
from streamkit_emulator.cloudwatch import metrics
from streamkit_emulator.esm.settings import Settings
from streamkit_emulator.awslambda.runtime import Invocation


@dataclass
class Part:
    records: list[Any]
    retries: int = 0
    invokes: int = 0
    last: Invocation | None = field(default=None)


def interpret(inv: Invocation, settings: Settings, records: list[Any], windowed: bool) -> tuple[str, int, Any]:
    """(`ok` | `partial` | `error` | `throttle`, index of the lowest failed
    record, the response's `state`)."""
    if inv.status_code == 429:
        return "throttle", 0, None
    if inv.function_error or inv.status_code != 200:
        return "error", 0, None
    try:
        body = json.loads(inv.payload or b"null")
    except ValueError:
        body = None
    state = body.get("state") if isinstance(body, dict) else None
    if windowed and not (isinstance(body, dict) and isinstance(state, dict)):
        return "error", 0, None
    if not settings.report_failures:
        return "ok", 0, state
    failures = body.get("batchItemFailures") if isinstance(body, dict) else None
    if not failures:
        return "ok", 0, state
    index = {str(r.sequence_number): i for i, r in enumerate(records)}
    found = []
    for item in failures if isinstance(failures, list) else [None]:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in index:
            return "error", 0, None
        found.append(index[ident])
    return "partial", min(found), state


class Delivery:
    """`run(records, state)` delivers a batch; returns the tumbling-window state
    after it (unchanged when the mapping has no window)."""

    def __init__(
        self,
        lane: Any,
        settings: Settings,
        invoke: Callable[[dict[str, Any]], Invocation],
        make_event: Callable[[list[Any], Any], dict[str, Any]],
    ):
        self.lane, self.settings, self.invoke, self.make_event = lane, settings, invoke, make_event

    def run(self, records: list[Any], state: Any) -> Any:
        work = deque([Part(list(records))])
        windowed = self.settings.tumbling > 0
        while work and not self.lane.stopping():
            part = work[0]
            if self._expire(part):
                if not part.records:
                    work.popleft()
                continue
            event = self.make_event(part.records, state)
            self._iterator_age(part.records)
            part.last = inv = self.invoke(event)
            part.invokes += 1
            kind, index, new_state = interpret(inv, self.settings, part.records, windowed)
            if kind == "throttle":
                self.lane.pause(1.0)
                continue
            if kind in ("ok", "partial") and windowed:
                state = new_state
            if kind == "ok":
                work.popleft()
                continue
            if kind == "partial" and (index > 0 or not self.settings.bisect):
                part.records = part.records[index:]
                if self.settings.bisect:
                    continue
            elif self.settings.bisect and len(part.records) > 1:
                work.popleft()
                mid = len(part.records) // 2
                for half in reversed((part.records[:mid], part.records[mid:])):
                    work.appendleft(Part(half, part.retries, part.invokes))
                continue
            part.retries += 1
            if self.settings.max_retries is not None and part.retries > self.settings.max_retries:
                self._discard(part, "RetryAttemptsExhausted", event)
                work.popleft()
            else:
                self.lane.pause(min(0.25 * 2 ** (part.retries - 1), 4.0))
        return state

    def _expire(self, part: Part) -> bool:
        """Skips the records past the maximum age; True when some were."""
        if self.settings.max_age is None:
            return False
        limit = time.time() - self.settings.max_age
        count = 0
        while count < len(part.records) and part.records[count].created_at < limit:
            count += 1
        if not count:
            return False
        expired = Part(part.records[:count], part.retries, part.invokes, part.last)
        part.records = part.records[count:]
        self._discard(expired, "RecordAgeExceeded", self.make_event(expired.records, None))
        return True

    def _discard(self, part: Part, condition: str, event: dict[str, Any]) -> None:
        if not part.records or not self.settings.destination:
            return
        last = part.last
        record = esm_failure.invocation_record(
            request_id=str(uuid.uuid4()),
            function_arn=self.settings.function_arn,
            condition=condition,
            invoke_count=part.invokes,
            status_code=last.status_code if last else None,
            function_error=last.function_error if last else None,
            shard_id=self.lane.shard_id,
            records=part.records,
            stream_arn=self.lane.stream_arn,
        )
        if iam_hooks.esm_destination_denied(self.lane.account, self.lane.mapping.role(), self.lane.mapping.function_name(),
                                            self.settings.destination):
            return  # the role may not send there: Lambda drops the record (the denial is logged)
        esm_failure.send(self.lane.account, self.lane.mapping_uuid, self.settings.destination, record, event)

    def _iterator_age(self, records: list[Any]) -> None:
        if records:
            age = max(0.0, (time.time() - records[-1].created_at) * 1000)
            metrics.put(self.lane.account, self.lane.region, "AWS/Lambda", "IteratorAge",
                        {"FunctionName": self.lane.function_name}, age, unit="Milliseconds")
