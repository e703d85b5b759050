"""Resharding on the emulator as Kinesis does it (see kinesis/reshard.py for
the AWS pages): UpdateShardCount UNIFORM_SCALING closes parents (their
records stay readable, EndingSequenceNumber set), opens children with hash
ranges and parent ids, routes new records to open shards only, and says no
beyond its limits (more than double, below half, on-demand streams)."""
from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError


def kinesis(endpoint: str):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")


def shards(k, name: str) -> dict[str, dict]:
    return {s["ShardId"]: s for s in k.list_shards(StreamName=name)["Shards"]}


def open_ranges(k, name: str) -> list[tuple[int, int]]:
    return sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
                  for s in shards(k, name).values() if "EndingSequenceNumber" not in s["SequenceNumberRange"])


def records(k, name: str, shard_id: str) -> list[str]:
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [r["Data"].decode() for r in k.get_records(ShardIterator=it, Limit=1000)["Records"]]


def stream(k) -> str:
    name = f"reshard-{uuid.uuid4().hex[:8]}"
    k.create_stream(StreamName=name, ShardCount=1)
    return name


def test_doubling_splits_each_parent_which_keeps_its_records(endpoint: str) -> None:
    k = kinesis(endpoint)
    name = stream(k)
    for i in range(5):
        k.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"before-{i}".encode())
    out = k.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert (out["CurrentShardCount"], out["TargetShardCount"]) == (1, 2)
    all_shards = shards(k, name)
    parent = all_shards["shardId-000000000000"]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    children = [s for s in all_shards.values() if s.get("ParentShardId") == parent["ShardId"]]
    assert len(children) == 2
    assert open_ranges(k, name) == [(0, 2**127 - 1), (2**127, 2**128 - 1)]
    assert records(k, name, parent["ShardId"]) == [f"before-{i}" for i in range(5)]
    put = k.put_record(StreamName=name, PartitionKey="k0", Data=b"after")
    assert put["ShardId"] in {c["ShardId"] for c in children}
    assert records(k, name, put["ShardId"]) == ["after"]


def test_halving_merges_adjacent_pairs_naming_both_parents(endpoint: str) -> None:
    k = kinesis(endpoint)
    name = stream(k)
    k.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    k.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert len(open_ranges(k, name)) == 4
    before = set(shards(k, name))
    k.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    new = [s for sid, s in shards(k, name).items() if sid not in before]
    assert len(new) == 2 and all(s.get("AdjacentParentShardId") for s in new)
    assert open_ranges(k, name) == [(0, 2**127 - 1), (2**127, 2**128 - 1)]


def test_a_count_not_a_power_of_two_reaches_uniform_ranges_through_short_lived_shards(endpoint: str) -> None:
    k = kinesis(endpoint)
    name = stream(k)
    k.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    k.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    step = 2**128 // 3
    assert open_ranges(k, name) == [(0, step - 1), (step, 2 * step - 1), (2 * step, 2**128 - 1)]
    for s in shards(k, name).values():
        assert s["ShardId"] == "shardId-000000000000" or s.get("ParentShardId")


def test_beyond_double_is_a_limit_and_on_demand_is_refused(endpoint: str) -> None:
    k = kinesis(endpoint)
    name = stream(k)
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    assert "over double" in e.value.response["Error"]["Message"]
    assert len(shards(k, name)) == 1
    on_demand = f"reshard-{uuid.uuid4().hex[:8]}"
    k.create_stream(StreamName=on_demand, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName=on_demand, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_below_half_is_a_limit(endpoint: str) -> None:
    k = kinesis(endpoint)
    name = stream(k)
    k.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    k.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName=name, TargetShardCount=1, ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    assert "below half" in e.value.response["Error"]["Message"]
    assert len(open_ranges(k, name)) == 4


def test_an_iterator_got_with_the_stream_arn_alone_reads_the_stream(endpoint: str) -> None:
    """GetShardIterator takes StreamARN or StreamName or both (API reference)."""
    k = kinesis(endpoint)
    name = stream(k)
    k.put_record(StreamName=name, PartitionKey="k", Data=b"by-arn")
    arn = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    it = k.get_shard_iterator(StreamARN=arn, ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"by-arn"]
