"""Kinesis event source mappings with Lambda's semantics, one behaviour each."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from conftest import log_messages, wait_for
from esm_support import batches, delivered, new_queue, new_stream, put, queue_messages


@pytest.fixture
def mappings(aws):
    """Creates mappings (`mappings(function, stream_arn, **props)`) and deletes
    them after the test, which stops their readers."""
    made = []

    def create(function: str, source: str, **props) -> str:
        props.setdefault("StartingPosition", "TRIM_HORIZON")
        uuid = aws("lambda").create_event_source_mapping(FunctionName=function, EventSourceArn=source, **props)["UUID"]
        made.append(uuid)
        return uuid

    yield create
    for uuid in made:
        aws("lambda").delete_event_source_mapping(UUID=uuid)


def test_records_reach_the_function_in_order_in_batches(aws, make_function, mappings):
    stream = new_stream(aws)
    fn = make_function("stream")
    mappings(fn, stream, BatchSize=10)
    sent = [f"r{i}" for i in range(25)]
    put(aws, stream, [("k", d) for d in sent])
    wait_for(lambda: len(delivered(aws, fn)) >= 25, what="25 records delivered")
    assert delivered(aws, fn) == sent
    assert max(len(b["records"]) for b in batches(aws, fn)) <= 10
    ages = aws("cloudwatch").list_metrics(Namespace="AWS/Lambda", MetricName="IteratorAge",
                                          Dimensions=[{"Name": "FunctionName", "Value": fn}])["Metrics"]
    assert ages, "IteratorAge is published for the mapping's function"


def test_starting_positions_latest_trim_horizon_and_at_timestamp(aws, make_function, mappings):
    stream = new_stream(aws)
    put(aws, stream, [("k", "old-1"), ("k", "old-2")])
    boundary = time.time()
    latest, horizon, at = make_function("stream"), make_function("stream"), make_function("stream")
    mappings(latest, stream, StartingPosition="LATEST")
    mappings(horizon, stream, StartingPosition="TRIM_HORIZON")
    put(aws, stream, [("k", "new-1"), ("k", "new-2")])
    mappings(at, stream, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=boundary)
    wait_for(lambda: len(delivered(aws, horizon)) >= 4 and len(delivered(aws, latest)) >= 2
             and len(delivered(aws, at)) >= 2, what="the three mappings")
    assert delivered(aws, horizon) == ["old-1", "old-2", "new-1", "new-2"]
    assert delivered(aws, latest) == ["new-1", "new-2"]
    assert delivered(aws, at) == ["new-1", "new-2"]


def test_a_partial_batch_failure_resumes_from_the_lowest_failed_record(aws, make_function, mappings):
    stream = new_stream(aws)
    fn = make_function("stream", Environment={"Variables": {"MODE": "partial_once"}})
    sent = ["a", "b", "poison-c", "d", "poison-e", "f"]
    put(aws, stream, [("k", d) for d in sent])
    mappings(fn, stream, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=3)
    wait_for(lambda: len(batches(aws, fn)) >= 2, what="the retry")
    first, retry = [[d for _, d in b["records"]] for b in batches(aws, fn)[:2]]
    assert first == sent
    assert retry == sent[2:], "the retry starts at the lowest failed sequence number"


def test_an_unknown_item_identifier_fails_the_whole_batch(aws, make_function, mappings):
    stream = new_stream(aws)
    fn = make_function("stream", Environment={"Variables": {"MODE": "bogus_once"}})
    put(aws, stream, [("k", d) for d in ("a", "b", "c")])
    mappings(fn, stream, FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=3)
    wait_for(lambda: len(batches(aws, fn)) >= 2, what="the retry")
    assert [[d for _, d in b["records"]] for b in batches(aws, fn)[:2]] == [["a", "b", "c"]] * 2


def test_bisect_isolates_one_poison_record_and_processes_the_rest(aws, make_function, mappings):
    stream = new_stream(aws)
    url, queue = new_queue(aws)
    fn = make_function("stream", Environment={"Variables": {"MODE": "raise"}})
    sent = ["g0", "g1", "g2", "g3", "g4", "poison-5", "g6", "g7"]
    seqs = put(aws, stream, [("k", d) for d in sent])
    mappings(fn, stream, BatchSize=8, BisectBatchOnFunctionError=True, MaximumRetryAttempts=1,
             DestinationConfig={"OnFailure": {"Destination": queue}})
    records = wait_for(lambda: queue_messages(aws, url), what="the on-failure record")
    info = records[0]["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seqs[5], seqs[5], 1)
    assert len(records) == 1 and records[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"

    def succeeded() -> list[str]:  # records of the invocations that did not fail (no poison in them)
        return sorted(d for b in batches(aws, fn) if not any("poison" in x for _, x in b["records"])
                      for _, d in b["records"])

    wait_for(lambda: succeeded() == sorted(set(sent) - {"poison-5"}), what="every good record, once")


def test_exhausted_retries_send_the_documented_record_to_the_failure_queue(aws, make_function, mappings):
    stream = new_stream(aws)
    url, queue = new_queue(aws)
    fn = make_function("stream", Environment={"Variables": {"MODE": "raise"}})
    seqs = put(aws, stream, [("k", "x"), ("k", "poison"), ("k", "y")])
    mappings(fn, stream, MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": queue}})
    record = wait_for(lambda: queue_messages(aws, url), what="the on-failure record")[0]
    assert len(batches(aws, fn)) == 3, "the first attempt and two retries"
    context = record["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted" and context["approximateInvokeCount"] == 3
    assert context["functionArn"].endswith(f":function:{fn}") and context["requestId"]
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000" and info["streamArn"] == stream
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seqs[0], seqs[2], 3)
    assert info["approximateArrivalOfFirstRecord"] <= info["approximateArrivalOfLastRecord"]
    put(aws, stream, [("k", "after")])
    wait_for(lambda: delivered(aws, fn)[-1:] == ["after"], what="the shard to move on")


def test_discarded_batches_are_recorded_in_sns_and_s3_destinations(aws, make_function, mappings):
    url, queue = new_queue(aws)
    topic = aws("sns").create_topic(Name=f"failures-{uuid.uuid4().hex[:8]}")["TopicArn"]
    aws("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    bucket = f"failures-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)
    fn = make_function("stream", Environment={"Variables": {"MODE": "raise"}})
    to_sns, to_s3 = new_stream(aws), new_stream(aws)
    put(aws, to_sns, [("k", "poison-sns")])
    seqs = put(aws, to_s3, [("k", "poison-s3")])
    mappings(fn, to_sns, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}})
    uuid_s3 = mappings(fn, to_s3, MaximumRetryAttempts=0,
                       DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}})
    via_sns = wait_for(lambda: queue_messages(aws, url), what="the record through SNS")[0]
    assert via_sns["KinesisBatchInfo"]["streamArn"] == to_sns
    keys = wait_for(lambda: aws("s3").list_objects_v2(Bucket=bucket).get("Contents"), what="the S3 record")
    key = keys[0]["Key"]
    assert key.startswith(f"aws/lambda/{uuid_s3}/shardId-000000000000/"), key
    in_s3 = json.loads(aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert in_s3["KinesisBatchInfo"]["startSequenceNumber"] == seqs[0]
    assert in_s3["requestContext"]["condition"] == "RetryAttemptsExhausted"
    payload = json.loads(in_s3["payload"])
    assert [r["kinesis"]["sequenceNumber"] for r in payload["Records"]] == seqs


def test_records_past_the_maximum_age_are_skipped_to_the_failure_queue(aws, make_function, mappings):
    stream = new_stream(aws)
    url, queue = new_queue(aws)
    fn = make_function("stream", Environment={"Variables": {"MODE": "raise"}})
    seqs = put(aws, stream, [("k", "poison")])
    mappings(fn, stream, MaximumRetryAttempts=-1, MaximumRecordAgeInSeconds=3,
             DestinationConfig={"OnFailure": {"Destination": queue}})
    record = wait_for(lambda: queue_messages(aws, url), timeout=40, what="the on-failure record")[0]
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == seqs[0]
    put(aws, stream, [("k", "fresh")])
    wait_for(lambda: delivered(aws, fn)[-1:] == ["fresh"], what="the next record")


def test_tumbling_windows_pass_state_and_end_with_a_final_invocation(aws, make_function, mappings):
    stream = new_stream(aws)
    fn = make_function("window")
    mappings(fn, stream, BatchSize=2, TumblingWindowInSeconds=3)
    values = [1, 2, 3, 4, 5, 6, 7]
    put(aws, stream, [("k", str(v)) for v in values])
    kinesis = aws("kinesis")
    it = kinesis.get_shard_iterator(StreamARN=stream, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    expected: dict[int, tuple[int, int]] = {}
    for r in kinesis.get_records(StreamARN=stream, ShardIterator=it)["Records"]:
        start = int(r["ApproximateArrivalTimestamp"].timestamp()) // 3 * 3
        count, total = expected.get(start, (0, 0))
        expected[start] = (count + 1, total + int(r["Data"]))
    finals = lambda: [w for w in batches(aws, fn, "WINDOW ") if w["final"]]  # noqa: E731
    wait_for(lambda: len(finals()) >= len(expected), what="every window's final invocation")
    got = {}
    for w in finals():
        start = int(time.mktime(time.strptime(w["window"]["start"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone)
        assert w["records"] == 0 and not w["early"]
        got[start] = (w["received"]["count"], w["received"]["sum"])
    assert got == expected
    first = batches(aws, fn, "WINDOW ")[0]
    assert first["received"] == {} and first["shardId"] == "shardId-000000000000" and first["source"] == stream


def test_filter_criteria_deliver_only_matching_records(aws, make_function, mappings):
    stream = new_stream(aws)
    fn = make_function("stream")
    pattern = '{"data": {"kind": ["keep"], "n": [{"numeric": [">", 1]}]}}'
    mappings(fn, stream, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    put(aws, stream, [("k", '{"kind": "keep", "n": 1}'), ("k", "not json"), ("k", '{"kind": "drop", "n": 5}'),
                      ("k", '{"kind": "keep", "n": 2}'), ("k", '{"kind": "keep", "n": 3}')])
    wait_for(lambda: len(delivered(aws, fn)) >= 2, what="the matching records")
    put(aws, stream, [("k", '{"kind": "keep", "n": 9}')])
    wait_for(lambda: len(delivered(aws, fn)) >= 3, what="the last record")
    assert delivered(aws, fn) == ['{"kind": "keep", "n": 2}', '{"kind": "keep", "n": 3}', '{"kind": "keep", "n": 9}']


def test_a_disabled_mapping_waits_until_enabled(aws, make_function, mappings):
    stream = new_stream(aws)
    fn, control = make_function("stream"), make_function("stream")
    uuid = mappings(fn, stream, Enabled=False)
    mappings(control, stream)
    assert aws("lambda").get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    put(aws, stream, [("k", "held")])
    # An enabled mapping on the same stream sees the record, then a later one:
    # the disabled mapping had the same polls and delivered nothing.
    wait_for(lambda: delivered(aws, control) == ["held"], what="the control mapping")
    put(aws, stream, [("k", "later")])
    wait_for(lambda: delivered(aws, control) == ["held", "later"], what="the control mapping's next poll")
    assert delivered(aws, fn) == []
    aws("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_for(lambda: delivered(aws, fn) == ["held", "later"], what="the held records")


def test_parallelization_keeps_order_per_partition_key(aws, make_function, mappings):
    stream = new_stream(aws)
    fn = make_function("stream")
    mappings(fn, stream, ParallelizationFactor=3, BatchSize=3)
    sent = [(f"key-{i % 5}", f"{i % 5}:{i}") for i in range(40)]
    put(aws, stream, sent)
    # 14 batches of 3, each a poll (once a second per shard, as AWS polls) and an
    # invocation: about 15 s alone; a deadline that holds on a loaded 2-core machine.
    wait_for(lambda: len(delivered(aws, fn)) >= 40, timeout=90, what="40 records")
    got = delivered(aws, fn)
    assert sorted(got) == sorted(d for _, d in sent)
    for key in range(5):
        mine = [d for d in got if d.startswith(f"{key}:")]
        assert mine == [d for _, d in sent if d.startswith(f"{key}:")], f"order of key-{key}"
    assert all(len(set(b["keys"])) >= 1 for b in batches(aws, fn))


def test_a_crash_retries_the_batch_in_a_fresh_environment(aws, make_function, mappings, tmp_path):
    stream = new_stream(aws)
    fn = make_function("stream", Environment={"Variables": {"MODE": "crash_once", "MARK_FILE": str(tmp_path / "crashed")}})
    put(aws, stream, [("k", "a"), ("k", "b")])
    mappings(fn, stream, MaximumRetryAttempts=2)
    wait_for(lambda: len(batches(aws, fn)) >= 2, what="the retry after the crash")
    assert [[d for _, d in b["records"]] for b in batches(aws, fn)[:2]] == [["a", "b"]] * 2
    messages = log_messages(aws("logs"), f"/aws/lambda/{fn}")
    assert any(m.endswith("Error: Runtime exited with error: exit status 2") for m in messages)


def test_an_enhanced_fan_out_consumer_is_a_source(aws, make_function, mappings):
    stream = new_stream(aws)
    consumer = aws("kinesis").register_stream_consumer(StreamARN=stream, ConsumerName="efo")["Consumer"]["ConsumerARN"]
    fn = make_function("stream")
    mappings(fn, consumer)
    put(aws, stream, [("k", "pushed")])
    wait_for(lambda: delivered(aws, fn) == ["pushed"], what="the record through the consumer")


def test_strict_mode_refuses_a_property_it_cannot_honour_by_name(aws, make_function):
    stream = new_stream(aws)
    fn = make_function("stream")
    lam = aws("lambda")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="MetricsConfig"):
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=stream, StartingPosition="LATEST",
                                        MetricsConfig={"Metrics": ["EventCount"]})


def _kinesis_sums(aws, dims: dict, names: list[str]) -> dict[str, float]:
    now = time.time()
    out = {}
    for name in names:
        points = aws("cloudwatch").get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName=name, Statistics=["Sum", "SampleCount"], Period=60,
            Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
            StartTime=now - 600, EndTime=now + 60)["Datapoints"]
        out[name] = sum(p["Sum"] for p in points)
        out[name + "#calls"] = sum(p["SampleCount"] for p in points)
    return out


def test_a_polling_mapping_is_a_get_records_caller_every_second(aws, make_function, mappings):
    """Lambda Developer Guide, "How Lambda processes records from Amazon Kinesis
    Data Streams": Lambda polls each shard with GetRecords about once a second;
    Kinesis Developer Guide, "Monitoring ... with Amazon CloudWatch": every
    GetRecords call counts in GetRecords.Records/Bytes/Success/Latency/
    IteratorAgeMilliseconds (StreamName), with traffic or not."""
    stream = new_stream(aws)
    name = stream.split("/")[-1]
    fn = make_function("stream")
    mappings(fn, stream, BatchSize=10)
    sent = [f"r{i}" for i in range(25)]
    put(aws, stream, [("key", d) for d in sent])
    wait_for(lambda: len(delivered(aws, fn)) >= 25, what="25 records delivered")
    names = ["GetRecords.Records", "GetRecords.Bytes", "GetRecords.Success", "GetRecords.IteratorAgeMilliseconds",
             "GetRecords.Latency"]
    got = wait_for(lambda: (s := _kinesis_sums(aws, {"StreamName": name}, names))["GetRecords.Records"] >= 25 and s,
                   what="GetRecords.Records of the mapping's reads")
    assert got["GetRecords.Records"] == 25
    assert got["GetRecords.Bytes"] == sum(len(d) + len("key") for d in sent)
    calls = got["GetRecords.Success#calls"]
    # idle polls count too: a second later there are more calls, each a success
    wait_for(lambda: _kinesis_sums(aws, {"StreamName": name}, names)["GetRecords.Success#calls"] >= calls + 1,
             timeout=5, what="an idle poll published as a GetRecords call")
    again = _kinesis_sums(aws, {"StreamName": name}, names)
    assert again["GetRecords.Success"] == again["GetRecords.Success#calls"]
    assert again["GetRecords.Records"] == 25


def test_an_enhanced_fan_out_mapping_publishes_subscribe_events_not_get_records(aws, make_function, mappings):
    """Kinesis Developer Guide, "Monitoring ... with Amazon CloudWatch":
    SubscribeToShardEvent.* (StreamName, ConsumerName) for enhanced fan-out
    deliveries; an EFO-only stream has no GetRecords.* data."""
    stream = new_stream(aws)
    name = stream.split("/")[-1]
    consumer = aws("kinesis").register_stream_consumer(StreamARN=stream, ConsumerName="efo")["Consumer"]["ConsumerARN"]
    fn = make_function("stream")
    mappings(fn, consumer)
    put(aws, stream, [("k", "pushed")])
    wait_for(lambda: delivered(aws, fn) == ["pushed"], what="the record through the consumer")
    dims = {"StreamName": name, "ConsumerName": "efo"}
    got = wait_for(lambda: (s := _kinesis_sums(aws, dims, ["SubscribeToShardEvent.Records"]))[
        "SubscribeToShardEvent.Records"] >= 1 and s, what="SubscribeToShardEvent.Records")
    assert got["SubscribeToShardEvent.Records"] == 1
    assert _kinesis_sums(aws, {"StreamName": name}, ["GetRecords.Success"])["GetRecords.Success#calls"] == 0


def test_a_mapping_whose_function_is_throttled_backs_off_and_delivers_once_lifted(aws, make_function, mappings):
    """"Configuring reserved concurrency" and "How Lambda processes records from
    Amazon Kinesis Data Streams" (Lambda Developer Guide): with reserved
    concurrency 0 the mapping's invocations are throttled (Throttles metric),
    retried without counting against MaximumRetryAttempts; once the reservation
    is lifted every record is processed, in order, none lost."""
    stream = new_stream(aws)
    fn = make_function("stream")
    aws("lambda").put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=0)
    mappings(fn, stream, BatchSize=10, MaximumRetryAttempts=0)
    sent = [f"t{i}" for i in range(15)]
    put(aws, stream, [("k", d) for d in sent])

    def throttled() -> float:
        now = time.time()
        points = aws("cloudwatch").get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Throttles", Statistics=["Sum"], Period=60,
            Dimensions=[{"Name": "FunctionName", "Value": fn}], StartTime=now - 600, EndTime=now + 60)["Datapoints"]
        return sum(p["Sum"] for p in points)

    wait_for(lambda: throttled() >= 2, what="the mapping's invocations throttled (Throttles >= 2)")
    assert delivered(aws, fn) == []
    aws("lambda").delete_function_concurrency(FunctionName=fn)
    wait_for(lambda: len(delivered(aws, fn)) >= 15, what="the records after the reservation was lifted")
    assert delivered(aws, fn) == sent
