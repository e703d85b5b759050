//! Lambda entry point of the pattern 4 enrichment processor.
//!
//! Environment (set by the template, see [`streamkit_enrichment::config`]):
//! `API_URL`, `API_KEY_SECRET` (name of the Secrets Manager secret holding the
//! API key, read once at cold start), `OUTPUT_BUCKET`, `OUTPUT_PREFIX`,
//! `SAMPLE_EVERY`, `MAX_IN_FLIGHT`, `API_TIMEOUT_SECONDS`,
//! `METRICS_NAMESPACE`, `STACK_NAME`.

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use streamkit_core::StreamRecord;
use streamkit_enrichment::{enrich, metrics, secret, FareClient, Settings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamkit_core::aws::init_json_logging();
    let settings = Settings::from_env()?;
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region configured")?;
    let credentials = sdk
        .credentials_provider()
        .ok_or("no AWS credentials provider")?;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let api_key = secret::fetch_api_key(&secrets, &settings.api_key_secret).await?;
    let fare = FareClient::new(
        &settings.api_url,
        &api_key,
        &region,
        credentials,
        settings.api_timeout,
    );
    let s3 = enrich::s3_client(&sdk);
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let (fare, cfg, s3, cw) = (&fare, &settings.enrich, &s3, &cw);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KinesisEvent>| async move {
            let records: Vec<StreamRecord> = event
                .payload
                .records
                .iter()
                .map(StreamRecord::from_lambda)
                .collect();
            let summary = enrich::enrich_records(&records, fare, s3, cfg).await;
            tracing::info!(
                records = summary.records,
                malformed = summary.malformed,
                sampled = summary.sampled,
                api_calls = summary.api_calls,
                enriched = summary.enriched,
                api_failures = ?summary.api_failures,
                write_failures = summary.write_failures,
                "batch enriched"
            );
            metrics::publish(cw, &cfg.metric_namespace, &cfg.stack_name, &summary).await;
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
