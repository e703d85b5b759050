//! Lambda entry point of the cross-region replicator.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use streamkit_core::runtime::init_failed;
use streamkit_replicator::{lambda, Clients, Replicator, ReplicatorConfig};

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamkit_core::aws::init_json_logging();
    let config = match ReplicatorConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            // Reported through /runtime/init/error, then a non-zero exit.
            init_failed(&e.to_string());
            std::process::exit(2);
        }
    };
    let sdk = streamkit_core::aws::sdk_config(None).await;
    let replicator = Replicator::new(
        Clients::from_sdk_config(&sdk, &config.target_region),
        config,
    );
    let replicator = &replicator;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        lambda::handle(event.payload, replicator)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "batch not replicated");
                Error::from(e)
            })
    }))
    .await
}
