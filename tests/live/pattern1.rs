//! Pattern 1 live: records put on the deployed stream with the SDK reach the
//! deployed consumer Lambda (seen in its log group); one poison record among
//! good ones ends alone in the failure queue through bisect, and every good
//! record is processed.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use serde_json::{json, Value};

use crate::support::{log_fields, log_group_of, stack_outputs, wait_for, Clients, Live};

const GOOD: usize = 9;
const POISON_AT: usize = 5;

/// What one invocation of the consumer did: the tickers it accepted, and
/// whether it rejected a record.
fn batch_of(fields: &Value) -> (BTreeSet<String>, bool) {
    let per_ticker: Value = fields["per_ticker"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| json!({}));
    let tickers = per_ticker
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    (tickers, fields["invalid"].as_u64().unwrap_or(0) > 0)
}

#[tokio::test(flavor = "multi_thread")]
async fn records_reach_the_consumer_and_a_poison_record_ends_in_the_failure_queue_through_bisect() {
    let live = Live::start();
    live.deploy("1", &["us-east-1"], &[]);
    let c = Clients::new(&live.emu, "us-east-1").await;
    let outputs = stack_outputs(&c, "streamkit-pattern-1").await;
    let stream = &outputs["StreamName"];
    let function = outputs["ConsumerFunctionArn"]
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let queue = &outputs["FailureQueueUrl"];

    // One partition key: one shard, one batch, the poison in its middle.
    let mut entries = Vec::new();
    for i in 0..=GOOD {
        let data = if i == POISON_AT {
            b"{not json: poison".to_vec()
        } else {
            json!({"EVENT_TIME": "2026-11-23T10:00:00.123Z", "TICKER": format!("T{i}"), "PRICE": 50.0 + i as f64})
                .to_string()
                .into_bytes()
        };
        entries.push(
            PutRecordsRequestEntry::builder()
                .partition_key("one-key")
                .data(Blob::new(data))
                .build()
                .unwrap(),
        );
    }
    let put = c
        .kinesis
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await
        .expect("PutRecords");
    assert_eq!(put.failed_record_count(), Some(0));
    let poison_seq = put.records()[POISON_AT]
        .sequence_number()
        .unwrap()
        .to_string();
    let poison_shard = put.records()[POISON_AT].shard_id().unwrap().to_string();

    let message = wait_for(
        "the on-failure record",
        Duration::from_secs(120),
        || async {
            let got = c.sqs.receive_message().queue_url(queue).send().await.ok()?;
            got.messages()
                .first()
                .and_then(|m| m.body())
                .map(str::to_string)
        },
    )
    .await;
    let record: Value = serde_json::from_str(&message).expect("the on-failure record is JSON");
    assert_eq!(
        record["requestContext"]["condition"], "RetryAttemptsExhausted",
        "{record}"
    );
    let info = &record["KinesisBatchInfo"];
    assert_eq!(info["startSequenceNumber"], json!(poison_seq), "{record}");
    assert_eq!(info["endSequenceNumber"], json!(poison_seq), "{record}");
    assert_eq!(info["batchSize"], 1, "{record}");
    assert_eq!(info["shardId"], json!(poison_shard), "{record}");
    assert_eq!(info["streamArn"], json!(outputs["StreamArn"]), "{record}");

    // Every good record was accepted by an invocation: one that rejected
    // nothing, or one that rejected the poison and so succeeded for the
    // records before it (Lambda checkpoints up to the lowest failure).
    let group = log_group_of(&c, &function).await;
    let before_poison: BTreeSet<String> = (0..POISON_AT).map(|i| format!("T{i}")).collect();
    let all: BTreeSet<String> = (0..=GOOD)
        .filter(|i| *i != POISON_AT)
        .map(|i| format!("T{i}"))
        .collect();
    wait_for(
        "every good record processed",
        Duration::from_secs(60),
        || async {
            let mut done = BTreeSet::new();
            for fields in log_fields(&c, &group, "batch processed").await {
                let (tickers, rejected) = batch_of(&fields);
                if rejected {
                    done.extend(tickers.intersection(&before_poison).cloned());
                } else {
                    done.extend(tickers);
                }
            }
            (done == all).then_some(())
        },
    )
    .await;
    let warnings = log_fields(&c, &group, "invalid record").await;
    assert!(
        warnings
            .iter()
            .all(|w| w["sequence_number"] == json!(poison_seq)),
        "{warnings:?}"
    );
    let more = c
        .sqs
        .receive_message()
        .queue_url(queue)
        .send()
        .await
        .expect("ReceiveMessage");
    assert!(
        more.messages().is_empty(),
        "only the poison record failed: {:?}",
        more.messages()
    );
    live.least_privilege("streamkit-pattern-1", "1", &["ConsumerRole"])
        .await;
}

/// The failure-queue-depth alarm driven by a real poison record: ALARM, with
/// AWS's notification on the stack's topic (read from a queue subscribed to
/// it), then OK once the failure queue is drained.
#[tokio::test(flavor = "multi_thread")]
async fn a_poison_record_drives_the_failure_queue_alarm_to_alarm_and_draining_it_back_to_ok() {
    let live = Live::start();
    live.deploy("1", &["us-east-1"], &[]);
    let c = Clients::new(&live.emu, "us-east-1").await;
    let outputs = stack_outputs(&c, "streamkit-pattern-1").await;
    let (stream, queue, topic) = (
        &outputs["StreamName"],
        &outputs["FailureQueueUrl"],
        &outputs["AlarmTopicArn"],
    );
    let inbox = c
        .sqs
        .create_queue()
        .queue_name("alarm-inbox")
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("a queue URL")
        .to_string();
    let inbox_arn = c
        .sqs
        .get_queue_attributes()
        .queue_url(&inbox)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("the queue ARN")
        .to_string();
    c.sns
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(&inbox_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("Subscribe");

    c.kinesis
        .put_record()
        .stream_name(stream)
        .partition_key("k")
        .data(Blob::new(b"{not json: poison".to_vec()))
        .send()
        .await
        .expect("PutRecord");

    // One notification of the failure-queue alarm going from `from` to `state`
    // (`from` empty: from any state).
    let notification = |from: &'static str, state: &'static str| {
        let (c, inbox) = (&c, &inbox);
        async move {
            let got = c
                .sqs
                .receive_message()
                .queue_url(inbox)
                .max_number_of_messages(10)
                .send()
                .await
                .ok()?;
            for m in got.messages() {
                let body: Value = serde_json::from_str(m.body().unwrap_or_default()).ok()?;
                if body["AlarmName"]
                    .as_str()
                    .is_some_and(|n| n.contains("FailureQueueDepthAlarm"))
                    && body["NewStateValue"] == state
                    && (from.is_empty() || body["OldStateValue"] == from)
                {
                    return Some(body);
                }
            }
            None
        }
    };
    let alarm = wait_for(
        "the failure-queue alarm's ALARM notification",
        Duration::from_secs(240),
        || notification("", "ALARM"),
    )
    .await;
    assert_eq!(
        alarm["Trigger"]["MetricName"], "ApproximateNumberOfMessagesVisible",
        "{alarm}"
    );
    assert_eq!(alarm["Trigger"]["Namespace"], "AWS/SQS", "{alarm}");
    assert!(
        alarm["NewStateReason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{alarm}"
    );

    c.sqs
        .purge_queue()
        .queue_url(queue)
        .send()
        .await
        .expect("PurgeQueue");
    let ok = wait_for(
        "the failure-queue alarm's OK notification",
        Duration::from_secs(240),
        || notification("ALARM", "OK"),
    )
    .await;
    assert!(
        ok["NewStateReason"].as_str().is_some_and(|r| !r.is_empty()),
        "{ok}"
    );
}
