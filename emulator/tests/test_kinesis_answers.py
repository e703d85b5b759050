"""PutRecords' answer written directly is byte for byte moto's serializer's
("PutRecords", Kinesis API Reference: FailedRecordCount, Records in request
order with SequenceNumber and ShardId, or ErrorCode and ErrorMessage)."""
from __future__ import annotations

import uuid

import boto3
from moto.core.responses import ActionContext, ActionResult, get_service_model
from moto.core.serialize import JSONSerializer, get_serializer_class

from streamkit_emulator.kinesis import answers


def _both(result):
    model = get_service_model("kinesis")
    operation = model.operation_model("PutRecords")
    context = ActionContext(model, operation, get_serializer_class("kinesis", model.metadata["protocol"]), None)
    return answers.PutRecordsResult(result).execute_result(context), ActionResult(result).execute_result(context)


def test_the_direct_answer_is_moto_s_byte_for_byte():
    ok = {"SequenceNumber": "49630000000000000000000000000000000000000000000000000001", "ShardId": "shardId-000000000001"}
    throttled = {"ErrorCode": "ProvisionedThroughputExceededException",
                 "ErrorMessage": 'Rate exceeded for shard shardId-000000000000 in stream s "x" under account 1.'}
    for result in ({"FailedRecordCount": 0, "Records": [ok] * 3},
                   {"Records": [throttled, ok], "FailedRecordCount": 1},  # members in any order
                   {"FailedRecordCount": 0, "Records": []}):
        fast, moto = _both(result)
        assert fast == moto
        assert answers.ordered(result) is not None


def test_other_answers_go_through_moto_s_serializer():
    for result in ({"FailedRecordCount": 0, "Records": [], "EncryptionType": "KMS"},
                   {"FailedRecordCount": 0, "Records": [{"SequenceNumber": 1, "ShardId": "shardId-000000000000"}]},
                   {"FailedRecordCount": "0", "Records": []}):
        assert answers.ordered(result) is None
        fast, moto = _both(result)
        assert fast == moto
    assert JSONSerializer is get_serializer_class("kinesis", "json")


def test_put_records_through_the_api(endpoint: str) -> None:
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
    name = f"answers-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    out = kinesis.put_records(StreamName=name, Records=[
        {"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(20)])
    assert out["FailedRecordCount"] == 0 and len(out["Records"]) == 20
    shards = {s["ShardId"] for s in kinesis.list_shards(StreamName=name)["Shards"]}
    assert all(r["ShardId"] in shards and r["SequenceNumber"].isdigit() for r in out["Records"])
    assert len({(r["ShardId"], r["SequenceNumber"]) for r in out["Records"]}) == 20
