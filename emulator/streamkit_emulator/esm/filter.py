"""`FilterCriteria` of a Kinesis event source mapping.

Kinesis mappings filter on the `data` key only: the record's data, decoded
from base64 and parsed as JSON, is matched against each filter's pattern (the
EventBridge pattern syntax: values, `prefix`, `suffix`, `anything-but`,
`numeric`, `exists`, `equals-ignore-case`, `$or`; moto's implementation of
it). A record is delivered when any filter matches; a record whose data is
not JSON matches no pattern that looks into `data`. Records that match no
filter are dropped and checkpointed past, as Lambda does.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from moto.events.models import EventPattern, EventPatternParser


class FilterError(ValueError):
    """A pattern that cannot be used; the message names it."""


class RecordFilter:
    def __init__(self, criteria: dict[str, Any] | None):
        self.patterns: list[EventPattern] = []
        for index, item in enumerate((criteria or {}).get("Filters") or []):
            raw = item.get("Pattern", "")
            try:
                parsed = EventPatternParser(raw).parse()
            except Exception as error:  # noqa: BLE001 - moto's pattern errors
                raise FilterError(f"FilterCriteria.Filters[{index}].Pattern is not a valid filter pattern: {error}")
            unknown = sorted(set(parsed) - {"data"})
            if unknown:
                raise FilterError(
                    f"FilterCriteria.Filters[{index}].Pattern filters on {', '.join(unknown)}: "
                    "Kinesis event source mappings filter on the data key only"
                )
            self.patterns.append(EventPattern(raw, parsed))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, data_b64: str | bytes) -> bool:
        if not self.patterns:
            return True
        try:
            data = json.loads(base64.b64decode(data_b64))
        except ValueError:
            return False
        event = {"data": data}
        return any(p.matches_event(event) for p in self.patterns)
