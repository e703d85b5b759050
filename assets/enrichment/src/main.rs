//! Lambda entry point of the pattern 4 enrichment processor.
//!
//! Environment (set by the template, see [`streamkit_enrichment::config`]):
//! `API_URL`, `API_KEY_SECRET` (name of the Secrets Manager secret holding the
//! API key, read once at cold start), `OUTPUT_BUCKET`, `OUTPUT_PREFIX`,
//! `SAMPLE_EVERY`, `MAX_IN_FLIGHT`, `API_TIMEOUT_SECONDS`,
//! `METRICS_NAMESPACE`, `STACK_NAME`. A missing or bad variable, or an
//! unreadable secret, is reported through the Runtime API's init error.
//!
//! No sampled ride is lost: fare calls are retried within the invocation's
//! time; a ride still not enriched (or not written) makes its Kinesis record
//! a batch item failure, so the event source mapping retries from it
//! (bisecting), and after its retries sends the batch's shard and sequence
//! range to the failure queue for a redrive.

use aws_lambda_events::event::streams::KinesisEventResponse;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streamkit_core::runtime::{init_failed, item_failure};
use streamkit_core::KinesisEvent;
use streamkit_core::StreamRecord;
use streamkit_enrichment::{enrich, metrics, secret, FareClient, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    streamkit_core::aws::init_json_logging();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            init_failed(&e.to_string());
            return ExitCode::from(2);
        }
    };
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let (Some(region), Some(credentials)) = (
        sdk.region().map(|r| r.to_string()),
        sdk.credentials_provider(),
    ) else {
        init_failed("no AWS region or credentials provider in the environment (AWS_REGION, the execution role)");
        return ExitCode::from(2);
    };
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let api_key = match secret::fetch_api_key(&secrets, &settings.api_key_secret).await {
        Ok(k) => k,
        Err(e) => {
            init_failed(&e.to_string());
            return ExitCode::from(2);
        }
    };
    let fare = FareClient::new(
        &settings.api_url,
        &api_key,
        &region,
        credentials,
        settings.api_timeout,
    );
    let s3 = streamkit_core::aws::s3_client(&sdk);
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let (fare, cfg, s3, cw) = (&fare, &settings.enrich, &s3, &cw);
    let result = lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KinesisEvent>| async move {
            let records: Vec<StreamRecord> = event
                .payload
                .records
                .iter()
                .map(StreamRecord::from_lambda)
                .collect();
            let deadline = deadline(event.context.deadline);
            let summary = enrich::enrich_records(&records, fare, s3, cfg, deadline).await;
            tracing::info!(
                records = summary.records,
                malformed = summary.malformed,
                sampled = summary.sampled,
                api_calls = summary.api_calls,
                retries = summary.retries,
                enriched = summary.enriched,
                api_failures = ?summary.api_failures,
                write_failures = summary.write_failures,
                failed_rides = ?summary.failed_rides,
                "batch enriched"
            );
            metrics::publish(cw, &cfg.metric_namespace, &cfg.stack_name, &summary).await;
            let mut response = KinesisEventResponse::default();
            if let Some(seq) = summary.first_failure() {
                response.batch_item_failures.push(item_failure(seq));
            }
            Ok::<_, Error>(response)
        },
    ))
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// The invocation's deadline (epoch ms from the Runtime API) as an Instant.
fn deadline(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
