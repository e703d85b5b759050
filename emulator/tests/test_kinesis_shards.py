"""Resharding as Kinesis does it ("Resharding a stream", Kinesis Developer
Guide; "UpdateShardCount", Kinesis API Reference), and concurrent writes."""
from __future__ import annotations

import threading
import uuid

import boto3


def _client(endpoint: str):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")


def _read_all(kinesis, name: str) -> dict[str, list[str]]:
    out = {}
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out[shard["ShardId"]] = [r["Data"].decode() for r in kinesis.get_records(ShardIterator=it)["Records"]]
    return out


def test_update_shard_count_closes_parents_with_their_records_and_children_take_new_ones(endpoint: str) -> None:
    kinesis = _client(endpoint)
    name = f"reshard-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    for i in range(10):
        kinesis.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"before-{i}".encode())
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    for i in range(10):
        kinesis.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"after-{i}".encode())
    shards = {s["ShardId"]: s for s in kinesis.list_shards(StreamName=name)["Shards"]}
    records = _read_all(kinesis, name)
    parent = "shardId-000000000000"
    # the parent is closed and keeps exactly its records, in order
    assert records[parent] == [f"before-{i}" for i in range(10)]
    assert "EndingSequenceNumber" in shards[parent]["SequenceNumberRange"]
    children = [s for s in shards if shards[s].get("ParentShardId") == parent]
    assert len(children) == 2
    # every new record is in exactly one open child
    assert sorted(r for c in children for r in records[c]) == sorted(f"after-{i}" for i in range(10))


def test_concurrent_puts_on_one_shard_lose_nothing(endpoint: str) -> None:
    kinesis = _client(endpoint)
    name = f"concurrent-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    sent = [f"t{t}-{i}" for t in range(4) for i in range(50)]

    def writer(t: int) -> None:
        client = _client(endpoint)
        for i in range(50):
            client.put_record(StreamName=name, PartitionKey="same", Data=f"t{t}-{i}".encode())

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = _read_all(kinesis, name)["shardId-000000000000"]
    assert sorted(got) == sorted(sent)


def test_arrival_timestamps_are_the_same_millisecond_in_get_records_and_lambda_events(endpoint: str) -> None:
    """"Record" (Kinesis API Reference): ApproximateArrivalTimestamp has
    millisecond precision; the Lambda event's approximateArrivalTimestamp
    ("Using Lambda with Kinesis", Lambda Developer Guide) is the same instant.
    GetRecords through the API and the event built for a mapping agree for
    every record."""
    from datetime import timezone

    from moto.kinesis.models import Shard

    from streamkit_emulator.esm.settings import kinesis_event
    from streamkit_emulator.kinesis import shards

    kinesis = _client(endpoint)
    name = f"arrival-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    for i in range(30):
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=f"r{i}".encode())
    it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    for record in kinesis.get_records(ShardIterator=it)["Records"]:
        assert record["ApproximateArrivalTimestamp"].microsecond % 1000 == 0, record

    shard = Shard(0, 0, 2**128)
    for i in range(200):
        shards.put_record(shard, "k", "eA==", "")
    events = kinesis_event(list(shard.records.values()), "shardId-000000000000", "arn", "us-east-1", "role")
    for record, event in zip(shard.records.values(), events["Records"]):
        api = record.to_json()["ApproximateArrivalTimestamp"].replace(tzinfo=timezone.utc).timestamp()
        assert event["kinesis"]["approximateArrivalTimestamp"] == round(api, 3) == record.created_at
