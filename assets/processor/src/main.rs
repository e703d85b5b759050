//! Lambda entry point of the pattern 2 processor.
//!
//! Environment (set by the template): `OUTPUT_BUCKET`, `OUTPUT_PREFIX`,
//! `WINDOW_SECONDS`, `METRICS_NAMESPACE`, `STACK_NAME`.

use aws_lambda_events::event::kinesis::KinesisTimeWindowEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use streamkit_processor::{lambda, ProcessorConfig};

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamkit_core::aws::init_json_logging();
    let cfg = ProcessorConfig::from_env()?;
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let s3 = streamkit_processor::s3_client(&sdk);
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let (s3, cw, cfg) = (&s3, &cw, &cfg);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KinesisTimeWindowEvent>| async move {
            lambda::handle_and_publish(event.payload, s3, cw, cfg)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "window batch failed");
                    Error::from(e)
                })
        },
    ))
    .await
}
