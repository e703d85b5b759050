//! Lambda entry point of the pattern 1 consumer.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use streamkit_core::KinesisEvent;

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamkit_core::aws::init_json_logging();
    lambda_runtime::run(service_fn(|event: LambdaEvent<KinesisEvent>| async move {
        Ok::<_, Error>(streamkit_consumer::process(&event.payload).0)
    }))
    .await
}
