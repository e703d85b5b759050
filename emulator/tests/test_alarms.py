"""Alarms evaluate on the emulator: M of N, each TreatMissingData, p99,
metric math, history, SetAlarmState, and the SNS notification a subscribed
queue receives. Datapoints are put with explicit timestamps so each case
holds whichever minute the evaluation lands in."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import boto3


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


def minute(offset: int) -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=offset)


def put(cw, ns: str, values: list[float], at: datetime, name: str = "M") -> None:
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": name, "Values": values, "Timestamp": at}])


def alarm(cw, ns: str, name: str = "M", **kw) -> str:
    alarm_name = f"a-{uuid.uuid4().hex[:10]}"
    props = dict(
        AlarmName=alarm_name, Namespace=ns, MetricName=name, Statistic="Maximum", Period=60,
        EvaluationPeriods=1, ComparisonOperator="GreaterThanThreshold", Threshold=1.0,
    )
    props.update(kw)
    cw.put_metric_alarm(**props)
    return alarm_name


def state(cw, name: str) -> dict:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def wait_state(cw, name: str, wanted: str, deadline: float = 15.0) -> dict:
    end = time.monotonic() + deadline
    while True:
        current = state(cw, name)
        if current["StateValue"] == wanted:
            return current
        assert time.monotonic() < end, f"{name} stayed {current['StateValue']}: {current['StateReason']}"
        time.sleep(0.2)


def test_new_alarms_start_insufficient_and_missing_data_treatments_apply(endpoint: str) -> None:
    cw, ns = client(endpoint, "cloudwatch"), f"Test/{uuid.uuid4().hex[:8]}"
    names = {t: alarm(cw, ns, TreatMissingData=t) for t in ("breaching", "notBreaching", "missing", "ignore")}
    assert state(cw, names["missing"])["StateValue"] == "INSUFFICIENT_DATA"
    breaching = wait_state(cw, names["breaching"], "ALARM")
    assert breaching["StateReason"] == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching]."
    )
    wait_state(cw, names["notBreaching"], "OK")
    # ignore keeps the state it has when there is no data; missing goes to INSUFFICIENT_DATA.
    for t in ("missing", "ignore"):
        cw.set_alarm_state(AlarmName=names[t], StateValue="ALARM", StateReason="drill")
    assert wait_state(cw, names["missing"], "INSUFFICIENT_DATA")["StateReason"] == (
        "Insufficient Data: 1 datapoint was unknown."
    )
    assert state(cw, names["ignore"])["StateValue"] == "ALARM"
    # With data in the evaluation range, missing and ignore evaluate the latest real datapoint.
    put(cw, ns, [5.0], minute(-3))
    wait_state(cw, names["missing"], "ALARM")
    wait_state(cw, names["ignore"], "ALARM")


def test_m_out_of_n(endpoint: str) -> None:
    cw, ns = client(endpoint, "cloudwatch"), f"Test/{uuid.uuid4().hex[:8]}"
    two_of_three = alarm(cw, ns, EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="notBreaching")
    three_of_three = alarm(cw, ns, EvaluationPeriods=3, TreatMissingData="notBreaching")
    for offset, value in ((-3, 0.0), (-2, 5.0), (-1, 5.0)):
        put(cw, ns, [value], minute(offset))
    reason = wait_state(cw, two_of_three, "ALARM")["StateReason"]
    assert reason.startswith("Threshold Crossed: ") and "was greater than the threshold (1.0)" not in reason
    assert "(minimum 2 datapoints for OK -> ALARM transition)." in reason, reason
    wait_state(cw, three_of_three, "OK")


def test_p99_and_metric_math(endpoint: str) -> None:
    cw, ns = client(endpoint, "cloudwatch"), f"Test/{uuid.uuid4().hex[:8]}"
    calm = _p99_alarm(cw, ns, "Calm")
    spiky = _p99_alarm(cw, ns, "Spiky")
    # p99 of 99 x 10 and 1 x 1000 is 10 (the 99th of 100 sorted values); with two 1000s it is 1000.
    put(cw, ns, [10.0] * 99 + [1000.0], minute(-1), "Calm")
    put(cw, ns, [10.0] * 98 + [1000.0, 1000.0], minute(-1), "Spiky")
    wait_state(cw, calm, "OK")
    assert "[1000.0 (" in wait_state(cw, spiky, "ALARM")["StateReason"]

    gc = f"gc-{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(
        AlarmName=gc, EvaluationPeriods=1, ComparisonOperator="GreaterThanThreshold", Threshold=60.0,
        TreatMissingData="notBreaching",
        Metrics=[
            {"Id": "gcpercent", "Expression": "(m1 * 100)/60000", "ReturnData": True},
            {"Id": "m1", "ReturnData": False,
             "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "oldGenerationGCTime"},
                            "Period": 60, "Stat": "Maximum"}},
        ],
    )
    put(cw, ns, [48000.0], minute(-1), "oldGenerationGCTime")  # 80 % of the minute
    assert "[80.0 (" in wait_state(cw, gc, "ALARM")["StateReason"]


def _p99_alarm(cw, ns: str, metric: str) -> str:
    name = f"p99-{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(
        AlarmName=name, Namespace=ns, MetricName=metric, ExtendedStatistic="p99", Period=60,
        EvaluationPeriods=1, ComparisonOperator="GreaterThanOrEqualToThreshold", Threshold=500.0,
        TreatMissingData="notBreaching",
    )
    return name


def test_history_and_sns_notifications_reach_a_subscribed_queue(endpoint: str) -> None:
    cw, sns, sqs = (client(endpoint, s) for s in ("cloudwatch", "sns", "sqs"))
    ns = f"Test/{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:6]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    name = alarm(cw, ns, Statistic="Minimum", TreatMissingData="notBreaching", AlarmDescription="drill",
                 AlarmActions=[topic], OKActions=[topic])
    wait_state(cw, name, "OK")  # no data, not breaching
    assert _notification(sqs, queue)["NewStateValue"] == "OK"

    put(cw, ns, [5.0], minute(0))
    wait_state(cw, name, "ALARM")
    note = _notification(sqs, queue)
    assert note["AlarmName"] == name and note["AlarmDescription"] == "drill"
    assert (note["OldStateValue"], note["NewStateValue"]) == ("OK", "ALARM")
    assert note["Region"] == "US East (N. Virginia)"
    assert note["Trigger"]["MetricName"] == "M" and note["Trigger"]["Statistic"] == "MINIMUM"
    assert note["Trigger"]["Threshold"] == 1.0 and note["Trigger"]["ComparisonOperator"] == "GreaterThanThreshold"
    assert note["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [5.0 (")

    put(cw, ns, [0.0], minute(0))  # the minimum of the minute drops below the threshold
    wait_state(cw, name, "OK")
    assert _notification(sqs, queue)["NewStateValue"] == "OK"

    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    summaries = [i["HistorySummary"] for i in items]
    assert summaries[:3] == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                             "Alarm updated from INSUFFICIENT_DATA to OK"]
    data = json.loads(items[1]["HistoryData"])
    assert data["oldState"]["stateValue"] == "OK" and data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [5.0]
    actions = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
    assert all(a["HistorySummary"] == f"Successfully executed action {topic}" for a in actions)
    assert len(actions) == 3


def _notification(sqs, queue: str) -> dict:
    end = time.monotonic() + 15
    while time.monotonic() < end:
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
        if got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
            envelope = json.loads(got[0]["Body"])
            assert envelope["Subject"].endswith('" in US East (N. Virginia)')
            return json.loads(envelope["Message"])
    raise AssertionError("no notification arrived")
