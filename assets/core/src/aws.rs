//! SDK configuration, clients that need endpoint-aware settings, and logging
//! setup shared by every entry point.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Loads the SDK configuration from the environment (credentials chain,
/// `AWS_REGION`, and `AWS_ENDPOINT_URL`, which the SDK honours natively);
/// `region`, when given, wins over the environment.
pub async fn sdk_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// The HTTPS client of every SDK configuration streamkit builds: rustls on
/// ring, the system's root certificates. The SDK's default client is not
/// compiled in (its aws-lc would add ~0.8 MiB to every Lambda zip), so a
/// configuration without this one has no HTTP client at all.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{tls, Builder};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The same configuration (credentials, endpoint override) for another region.
pub fn for_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// The one S3 client every crate builds: path-style addressing when an
/// endpoint override (the emulator) is set, since `bucket.127.0.0.1` does not
/// resolve; virtual-hosted style against AWS.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The tracing filter of a process, from its environment. Lambda's
/// `LoggingConfig.ApplicationLogLevel` (the templates' log-level parameter)
/// reaches the function as `AWS_LAMBDA_LOG_LEVEL` and decides; `RUST_LOG`
/// applies only when it is absent (local runs); the default is `info`.
/// Lambda's `FATAL` has no tracing level and maps to `error`.
pub fn log_filter(var: impl Fn(&str) -> Option<String>) -> String {
    if let Some(level) = var("AWS_LAMBDA_LOG_LEVEL").filter(|v| !v.trim().is_empty()) {
        return match level.trim().to_ascii_uppercase().as_str() {
            "TRACE" => "trace",
            "DEBUG" => "debug",
            "WARN" => "warn",
            "ERROR" | "FATAL" => "error",
            _ => "info",
        }
        .to_string();
    }
    var("RUST_LOG")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "info".into())
}

/// Structured JSON logs on stderr (the Lambda runtime forwards them to
/// CloudWatch Logs), filtered by [`log_filter`] of the process environment.
/// Calling it twice is harmless.
pub fn init_json_logging() {
    let wanted = log_filter(|name| std::env::var(name).ok());
    let filter = tracing_subscriber::EnvFilter::try_new(&wanted)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn filter(pairs: &[(&str, &str)]) -> String {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        log_filter(|k| env.get(k).cloned())
    }

    #[test]
    fn the_lambda_log_level_wins_over_rust_log() {
        assert_eq!(
            filter(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR"), ("RUST_LOG", "debug")]),
            "error"
        );
        assert_eq!(filter(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]), "debug");
        assert_eq!(filter(&[("AWS_LAMBDA_LOG_LEVEL", "WARN")]), "warn");
        assert_eq!(filter(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]), "error");
        assert_eq!(filter(&[("RUST_LOG", "debug")]), "debug");
        assert_eq!(filter(&[]), "info");
    }
}
