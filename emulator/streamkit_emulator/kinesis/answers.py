"""PutRecords' answer written directly, byte for byte as moto's serializer
writes it (AWS JSON 1.1, "PutRecords", Kinesis API Reference: response
`FailedRecordCount`, `Records` in request order, each entry `SequenceNumber`
and `ShardId`, or `ErrorCode` and `ErrorMessage` for a record not written).

moto serializes results by walking the operation's output shape value by
value (about 20 ms for a 500-record answer, py-spy: 16% of the emulator's CPU
while a producer puts); this answer's members are all strings and one integer,
in the shape's member order, so it is the same JSON built in one step. An
answer of any other form (a member moto would format: the stream's
EncryptionType, a value that is not a string) or a protocol other than plain
JSON goes through moto's serializer as before.
"""
from __future__ import annotations

from typing import Any

from moto.core import responses as core_responses
from moto.kinesis.responses import KinesisResponse

from streamkit_emulator.core import dispatch

RESULT_MEMBERS = ("FailedRecordCount", "Records")
ENTRY_MEMBERS = ("SequenceNumber", "ShardId", "ErrorCode", "ErrorMessage")


def ordered(result: Any) -> dict[str, Any] | None:
    """The answer with its members in the output shape's order, or None when
    it is not of the plain form (then moto's serializer writes it)."""
    if not isinstance(result, dict) or set(result) - set(RESULT_MEMBERS):
        return None
    count, records = result.get("FailedRecordCount"), result.get("Records")
    if type(count) is not int or not isinstance(records, list):
        return None
    entries = []
    for entry in records:
        if not isinstance(entry, dict) or not entry or set(entry) - set(ENTRY_MEMBERS):
            return None
        out = {}
        for name in ENTRY_MEMBERS:
            value = entry.get(name)
            if value is None:
                continue
            if type(value) is not str:
                return None
            out[name] = value
        entries.append(out)
    return {"FailedRecordCount": count, "Records": entries}


class PutRecordsResult(core_responses.ActionResult):
    def execute_result(self, context: Any) -> Any:
        body = ordered(self.result)
        answer = None if body is None else dispatch.json_answer(context, body)
        return super().execute_result(context) if answer is None else answer


def _put_records(self: KinesisResponse) -> PutRecordsResult:
    stream_arn = self._get_param("StreamARN")
    stream_name = self._get_param("StreamName")
    records = self._get_param("Records")
    return PutRecordsResult(self.kinesis_backend.put_records(stream_arn, stream_name, records))


def install() -> None:
    KinesisResponse.put_records = _put_records  # type: ignore[method-assign]
