//! Lambda entry point of the pattern 2 processor.

use aws_lambda_events::event::kinesis::KinesisTimeWindowEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use streamkit_processor::{lambda, ProcessorConfig};

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamkit_core::aws::init_json_logging();
    let cfg = ProcessorConfig::from_env()?;
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let s3 = streamkit_processor::s3_client(&sdk);
    let (s3, cfg) = (&s3, &cfg);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KinesisTimeWindowEvent>| async move {
            lambda::handle(event.payload, s3, cfg).await.map_err(|e| {
                tracing::error!(error = %e, "window batch failed");
                Error::from(e)
            })
        },
    ))
    .await
}
