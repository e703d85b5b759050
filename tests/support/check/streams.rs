//! Whether a resource of Kinesis Data Streams, Firehose and Managed Flink exists, asked of its own service.

use super::super::{Clients, Deployed, StackResource};

/// `None` for a type of another service.
pub(super) async fn exists(c: &Clients, d: &Deployed, r: &StackResource, id: &str) -> Option<bool> {
    Some(match r.resource_type.as_str() {
        "AWS::Kinesis::Stream" => c
            .kinesis
            .describe_stream_summary()
            .stream_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::Kinesis::StreamConsumer" => c
            .kinesis
            .describe_stream_consumer()
            .consumer_arn(id)
            .send()
            .await
            .is_ok(),
        "AWS::KinesisFirehose::DeliveryStream" => c
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::KinesisAnalyticsV2::Application" => c
            .flink
            .describe_application()
            .application_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption" => {
            let app = d.def(&r.logical_id)["Properties"]["ApplicationName"]["Ref"]
                .as_str()
                .map(|l| d.physical(l).to_string())
                .expect("logging option names its application with Ref");
            match c
                .flink
                .describe_application()
                .application_name(app)
                .send()
                .await
            {
                Ok(o) => o.application_detail().is_some_and(|a| {
                    a.cloud_watch_logging_option_descriptions()
                        .iter()
                        .any(|l| l.cloud_watch_logging_option_id() == Some(id))
                }),
                Err(_) => false,
            }
        }
        _ => return None,
    })
}
