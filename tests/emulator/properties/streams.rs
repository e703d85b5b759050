//! The properties that matter of Kinesis Data Streams, Firehose and Managed Flink resources, read back through
//! their own service's API and compared with the template.

use super::{stream_ref, Resource};
use crate::support::check::num;
use crate::support::scalar;

pub(super) async fn verify(r: &Resource<'_>) {
    match r.ty {
        "AWS::Kinesis::Stream" => stream(r).await,
        "AWS::Kinesis::StreamConsumer" => stream_consumer(r).await,
        "AWS::KinesisFirehose::DeliveryStream" => delivery_stream(r).await,
        "AWS::KinesisAnalyticsV2::Application" => application(r).await,
        _ => {}
    }
}

/// `AWS::Kinesis::Stream`.
async fn stream(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let s = c
        .kinesis
        .describe_stream_summary()
        .stream_name(id)
        .send()
        .await
        .unwrap();
    let s = s.stream_description_summary().unwrap();
    let enc = &props["StreamEncryption"];
    assert_eq!(
        s.encryption_type().map(|e| e.as_str()),
        Some("KMS"),
        "{ctx}: encrypted"
    );
    assert_eq!(
        s.key_id(),
        Some("alias/aws/kinesis"),
        "{ctx}: AWS-managed key"
    );
    assert_eq!(scalar(&enc["KeyId"]), "alias/aws/kinesis", "{ctx}");
    let mode = d
        .literal(&props["StreamModeDetails"]["StreamMode"])
        .expect("stream mode");
    assert_eq!(
        s.stream_mode_details().map(|m| m.stream_mode().as_str()),
        Some(scalar(&mode).as_str()),
        "{ctx}: stream mode"
    );
    if let Some(hours) = d.literal(&props["RetentionPeriodHours"]) {
        assert_eq!(
            s.retention_period_hours() as f64,
            num(&hours),
            "{ctx}: retention"
        );
    }
    if scalar(&mode) == "PROVISIONED" {
        if let Some(shards) = d.literal(&props["ShardCount"]["Fn::If"][2]) {
            assert_eq!(s.open_shard_count() as f64, num(&shards), "{ctx}: shards");
        }
    }
}

/// `AWS::Kinesis::StreamConsumer`.
async fn stream_consumer(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let out = c
        .kinesis
        .describe_stream_consumer()
        .consumer_arn(id)
        .send()
        .await
        .unwrap();
    let cons = out.consumer_description().unwrap();
    assert_eq!(cons.consumer_status().as_str(), "ACTIVE", "{ctx}");
    let stream_logical =
        stream_ref(&props["StreamARN"]).expect("consumer's StreamARN refers to a stream");
    let stream = d.physical(&stream_logical);
    assert!(
        cons.stream_arn().ends_with(&format!("/{stream}")),
        "{ctx}: registered on {stream}"
    );
    let listed = c
        .kinesis
        .list_stream_consumers()
        .stream_arn(cons.stream_arn())
        .send()
        .await
        .unwrap();
    assert!(
        listed.consumers().iter().any(|x| x.consumer_arn() == id),
        "{ctx}: listed"
    );
}

/// `AWS::KinesisFirehose::DeliveryStream`.
async fn delivery_stream(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let out = c
        .firehose
        .describe_delivery_stream()
        .delivery_stream_name(id)
        .send()
        .await
        .unwrap();
    let ds = out.delivery_stream_description().unwrap();
    let src = ds
        .source()
        .and_then(|s| s.kinesis_stream_source_description())
        .expect("Kinesis source");
    let stream_logical = stream_ref(&props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"])
        .expect("source is the stack's stream");
    assert!(
        src.kinesis_stream_arn()
            .unwrap()
            .ends_with(&format!("/{}", d.physical(&stream_logical))),
        "{ctx}: source"
    );
    let dest = ds.destinations()[0]
        .extended_s3_destination_description()
        .expect("extended S3 destination");
    let cfg = &props["ExtendedS3DestinationConfiguration"];
    if let Some(prefix) = d.literal(&cfg["Prefix"]) {
        assert_eq!(
            dest.prefix(),
            Some(scalar(&prefix).as_str()),
            "{ctx}: prefix"
        );
    } else {
        assert!(
            dest.prefix().is_some_and(|p| !p.is_empty()),
            "{ctx}: prefix"
        );
    }
    if let Some(prefix) = d.literal(&cfg["ErrorOutputPrefix"]) {
        assert_eq!(
            dest.error_output_prefix(),
            Some(scalar(&prefix).as_str()),
            "{ctx}: error prefix"
        );
    }
    assert!(
        dest.error_output_prefix()
            .is_some_and(|p| p.contains("!{firehose:error-output-type}")),
        "{ctx}: error prefix"
    );
    let compression = d.literal(&cfg["CompressionFormat"]).expect("compression");
    assert_eq!(
        dest.compression_format().as_str(),
        scalar(&compression),
        "{ctx}: compression"
    );
    let bucket_logical = cfg["BucketARN"]["Fn::GetAtt"][0]
        .as_str()
        .expect("BucketARN GetAtt");
    assert_eq!(
        dest.bucket_arn(),
        format!("arn:aws:s3:::{}", d.physical(bucket_logical)),
        "{ctx}: bucket"
    );
    assert!(
        dest.cloud_watch_logging_options().and_then(|l| l.enabled()) == Some(true),
        "{ctx}: error logging"
    );
    if let Some(hints) = dest.buffering_hints() {
        if let Some(size) = d.literal(&cfg["BufferingHints"]["SizeInMBs"]) {
            assert_eq!(
                hints.size_in_mbs().unwrap() as f64,
                num(&size),
                "{ctx}: buffer size"
            );
        }
    }
}

/// `AWS::KinesisAnalyticsV2::Application`.
async fn application(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let out = c
        .flink
        .describe_application()
        .application_name(id)
        .send()
        .await
        .unwrap();
    let app = out.application_detail().unwrap();
    let runtime = scalar(&d.literal(&props["RuntimeEnvironment"]).expect("runtime"));
    assert_eq!(app.runtime_environment().as_str(), runtime, "{ctx}");
    assert!(
        runtime.as_str() >= "FLINK-1_20",
        "{ctx}: runtime FLINK-1_20 or newer"
    );
    let cfg = app
        .application_configuration_description()
        .expect("configuration");
    assert!(
        cfg.application_code_configuration_description().is_some(),
        "{ctx}: code location"
    );
    let flink = cfg
        .flink_application_configuration_description()
        .expect("flink configuration");
    assert!(
        flink.monitoring_configuration_description().is_some(),
        "{ctx}: monitoring"
    );
}
