//! Lambda entry point of the pattern 4 enrichment processor.
//!
//! Environment: `FARE_API_URL`, `FARE_API_KEY`, `OUTPUT_BUCKET`, optional
//! `OUTPUT_PREFIX`, `FARE_API_TIMEOUT_SECONDS` (30).

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::time::Duration;
use streamkit_core::StreamRecord;
use streamkit_enrichment::{enrich, EnrichConfig, FareClient};

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| {
        Error::from(format!(
            "missing environment variable {name}: set it in the function configuration"
        ))
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamkit_core::aws::init_json_logging();
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region configured")?;
    let credentials = sdk
        .credentials_provider()
        .ok_or("no AWS credentials provider")?;
    let timeout = std::env::var("FARE_API_TIMEOUT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let fare = FareClient::new(
        &env("FARE_API_URL")?,
        &env("FARE_API_KEY")?,
        &region,
        credentials,
        Duration::from_secs(timeout),
    );
    let mut cfg = EnrichConfig::new(&env("OUTPUT_BUCKET")?);
    if let Ok(p) = std::env::var("OUTPUT_PREFIX") {
        cfg.prefix = p;
    }
    let s3 = enrich::s3_client(&sdk);
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let (fare, cfg, s3, cw) = (&fare, &cfg, &s3, &cw);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KinesisEvent>| async move {
            let records: Vec<StreamRecord> = event
                .payload
                .records
                .iter()
                .map(StreamRecord::from_lambda)
                .collect();
            let summary = enrich::enrich_records(&records, fare, s3, cfg).await;
            tracing::info!(summary = ?summary, "batch enriched");
            enrich::publish_metrics(cw, &cfg.metric_namespace, &summary).await;
            if summary.write_failures > 0 {
                // Deterministic keys: retrying the batch rewrites the same objects.
                return Err(Error::from(format!(
                    "{} enriched events could not be written to S3",
                    summary.write_failures
                )));
            }
            Ok(KinesisEventResponse::default())
        },
    ))
    .await
}
