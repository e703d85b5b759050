//! Traffic for a deployed stack, as AWS would see it, independent of the
//! stack's dashboard (so `dashboard --check` really compares the dashboard
//! with what services publish):
//!
//! * real calls where the emulator publishes the metrics itself: records put
//!   on every stream (PutRecord and PutRecords) and read back with
//!   GetRecords where the stream has no enhanced fan-out consumer; a message
//!   sent to and received from every queue;
//! * PutMetricData, with the names and dimensions AWS uses, for what the
//!   emulator does not run yet (Lambda invocations, API Gateway requests,
//!   Firehose delivery, enhanced fan-out deliveries), through the Rust SDK's
//!   CBOR protocol.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};

use crate::support::{stack_resources, Clients};

/// Puts one datum with these values (one sample each).
pub async fn put(
    c: &Clients,
    namespace: &str,
    name: &str,
    dims: &[(&str, &str)],
    values: &[f64],
    unit: StandardUnit,
) {
    let datum = MetricDatum::builder()
        .metric_name(name)
        .set_dimensions(Some(
            dims.iter()
                .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
                .collect(),
        ))
        .set_values(Some(values.to_vec()))
        .unit(unit)
        .build();
    c.cloudwatch
        .put_metric_data()
        .namespace(namespace)
        .metric_data(datum)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutMetricData {namespace} {name}: {e:?}"));
}

/// Traffic for every stream, function, API, delivery stream and queue of `stack`.
pub async fn generate(c: &Clients, stack: &str) {
    for r in stack_resources(c, stack).await {
        let id = r.physical_id.as_str();
        match r.resource_type.as_str() {
            "AWS::Kinesis::Stream" => stream(c, id).await,
            "AWS::Lambda::Function" => function(c, id).await,
            "AWS::ApiGateway::RestApi" => api(c, id).await,
            "AWS::KinesisFirehose::DeliveryStream" => delivery(c, id).await,
            "AWS::SQS::Queue" => queue(c, id).await,
            _ => {}
        }
    }
}

async fn stream(c: &Clients, name: &str) {
    for i in 0..5 {
        c.kinesis
            .put_record()
            .stream_name(name)
            .partition_key(format!("k{i}"))
            .data(Blob::new(format!("{{\"n\":{i}}}")))
            .send()
            .await
            .expect("PutRecord");
    }
    let entries: Vec<_> = (0..10)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("b{i}"))
                .data(Blob::new(vec![b'x'; 64]))
                .build()
                .unwrap()
        })
        .collect();
    let out = c
        .kinesis
        .put_records()
        .stream_name(name)
        .set_records(Some(entries))
        .send()
        .await
        .expect("PutRecords");
    assert_eq!(out.failed_record_count(), Some(0));
    let summary = c
        .kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .expect("DescribeStreamSummary");
    let arn = summary
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string();
    let consumers = c
        .kinesis
        .list_stream_consumers()
        .stream_arn(&arn)
        .send()
        .await
        .expect("ListStreamConsumers");
    if consumers.consumers().is_empty() {
        let shards = c
            .kinesis
            .list_shards()
            .stream_name(name)
            .send()
            .await
            .expect("ListShards");
        for shard in shards.shards() {
            let it = c
                .kinesis
                .get_shard_iterator()
                .stream_name(name)
                .shard_id(shard.shard_id())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("GetShardIterator");
            c.kinesis
                .get_records()
                .shard_iterator(it.shard_iterator().unwrap())
                .send()
                .await
                .expect("GetRecords");
        }
    }
    // Enhanced fan-out deliveries, as the emulator's EFO mappings will publish them.
    for consumer in consumers.consumers() {
        let dims = [
            ("StreamName", name),
            ("ConsumerName", consumer.consumer_name()),
        ];
        for (metric, value, unit) in [
            ("SubscribeToShardEvent.Records", 15.0, StandardUnit::Count),
            ("SubscribeToShardEvent.Bytes", 900.0, StandardUnit::Bytes),
            (
                "SubscribeToShardEvent.MillisBehindLatest",
                0.0,
                StandardUnit::Milliseconds,
            ),
            ("SubscribeToShardEvent.Success", 1.0, StandardUnit::Count),
            ("SubscribeToShard.Success", 1.0, StandardUnit::Count),
        ] {
            put(c, "AWS/Kinesis", metric, &dims, &[value], unit).await;
        }
    }
}

async fn function(c: &Clients, name: &str) {
    let dims = [("FunctionName", name)];
    for (metric, values, unit) in [
        ("Invocations", vec![1.0, 1.0, 1.0], StandardUnit::Count),
        ("Errors", vec![0.0, 0.0, 1.0], StandardUnit::Count),
        ("Throttles", vec![0.0], StandardUnit::Count),
        (
            "Duration",
            vec![12.0, 30.0, 55.0],
            StandardUnit::Milliseconds,
        ),
        ("ConcurrentExecutions", vec![1.0], StandardUnit::Count),
    ] {
        put(c, "AWS/Lambda", metric, &dims, &values, unit).await;
    }
    let mappings = c
        .lambda
        .list_event_source_mappings()
        .function_name(name)
        .send()
        .await
        .expect("ListEventSourceMappings");
    if !mappings.event_source_mappings().is_empty() {
        put(
            c,
            "AWS/Lambda",
            "IteratorAge",
            &dims,
            &[250.0],
            StandardUnit::Milliseconds,
        )
        .await;
    }
}

async fn api(c: &Clients, id: &str) {
    let api = c
        .apigateway
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .expect("GetRestApi");
    let name = api.name().unwrap_or_default().to_string();
    let stages = c
        .apigateway
        .get_stages()
        .rest_api_id(id)
        .send()
        .await
        .expect("GetStages");
    for stage in stages.item() {
        let dims = [
            ("ApiName", name.as_str()),
            ("Stage", stage.stage_name().unwrap_or_default()),
        ];
        for (metric, values, unit) in [
            ("Count", vec![1.0, 1.0, 1.0, 1.0], StandardUnit::Count),
            ("4XXError", vec![0.0, 0.0, 0.0, 1.0], StandardUnit::Count),
            ("5XXError", vec![0.0, 0.0, 0.0, 0.0], StandardUnit::Count),
            (
                "Latency",
                vec![20.0, 25.0, 40.0, 300.0],
                StandardUnit::Milliseconds,
            ),
            (
                "IntegrationLatency",
                vec![15.0, 20.0, 30.0, 250.0],
                StandardUnit::Milliseconds,
            ),
        ] {
            put(c, "AWS/ApiGateway", metric, &dims, &values, unit).await;
        }
    }
}

async fn delivery(c: &Clients, name: &str) {
    let dims = [("DeliveryStreamName", name)];
    for (metric, value, unit) in [
        (
            "DataReadFromKinesisStream.Records",
            15.0,
            StandardUnit::Count,
        ),
        (
            "DataReadFromKinesisStream.Bytes",
            900.0,
            StandardUnit::Bytes,
        ),
        ("ThrottledGetRecords", 0.0, StandardUnit::Count),
        ("DeliveryToS3.Records", 15.0, StandardUnit::Count),
        ("DeliveryToS3.Bytes", 900.0, StandardUnit::Bytes),
        ("DeliveryToS3.Success", 1.0, StandardUnit::Count),
        ("DeliveryToS3.DataFreshness", 42.0, StandardUnit::Seconds),
    ] {
        put(c, "AWS/Firehose", metric, &dims, &[value], unit).await;
    }
}

async fn queue(c: &Clients, url: &str) {
    c.sqs
        .send_message()
        .queue_url(url)
        .message_body("{\"drill\":true}")
        .send()
        .await
        .expect("SendMessage");
    c.sqs
        .receive_message()
        .queue_url(url)
        .send()
        .await
        .expect("ReceiveMessage");
}
