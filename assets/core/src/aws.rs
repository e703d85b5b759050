//! SDK configuration and logging setup shared by every entry point.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Loads the SDK configuration from the environment (credentials chain,
/// `AWS_REGION`, and `AWS_ENDPOINT_URL`, which the SDK honours natively);
/// `region`, when given, wins over the environment.
pub async fn sdk_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// The same configuration (credentials, endpoint override) for another region.
pub fn for_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// Structured JSON logs on stderr (the Lambda runtime forwards them to
/// CloudWatch Logs); the level comes from `RUST_LOG`, default `info`.
/// Calling it twice is harmless.
pub fn init_json_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .with_writer(std::io::stderr)
        .try_init();
}
