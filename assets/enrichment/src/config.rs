//! The function's settings, read from the environment the template sets:
//! `API_URL`, `API_KEY_SECRET` (the *name* of the Secrets Manager secret that
//! holds the API key; the key itself is never in the environment),
//! `OUTPUT_BUCKET`, `OUTPUT_PREFIX`, `SAMPLE_EVERY`, `MAX_IN_FLIGHT`,
//! `API_TIMEOUT_SECONDS`, `METRICS_NAMESPACE` and `STACK_NAME`.

use std::time::Duration;
use thiserror::Error;

use crate::EnrichConfig;

pub const API_URL: &str = "API_URL";
pub const API_KEY_SECRET: &str = "API_KEY_SECRET";
pub const OUTPUT_BUCKET: &str = "OUTPUT_BUCKET";
pub const OUTPUT_PREFIX: &str = "OUTPUT_PREFIX";
pub const SAMPLE_EVERY: &str = "SAMPLE_EVERY";
pub const MAX_IN_FLIGHT: &str = "MAX_IN_FLIGHT";
pub const API_TIMEOUT_SECONDS: &str = "API_TIMEOUT_SECONDS";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const STACK_NAME: &str = "STACK_NAME";

/// Every variable the function reads (the template sets exactly these).
pub const ENV_VARS: &[&str] = &[
    API_URL,
    API_KEY_SECRET,
    OUTPUT_BUCKET,
    OUTPUT_PREFIX,
    SAMPLE_EVERY,
    MAX_IN_FLIGHT,
    API_TIMEOUT_SECONDS,
    METRICS_NAMESPACE,
    STACK_NAME,
];

/// Default fare API timeout.
pub const DEFAULT_API_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the environment is unusable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing environment variable {0}: set it in the function configuration")]
    Missing(&'static str),
    #[error("environment variable {name} must be a positive integer, got `{value}`")]
    NotPositive { name: &'static str, value: String },
}

/// Everything the Lambda entry point needs besides the API key value.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Fare API stage URL (`https://id.execute-api.region.amazonaws.com/prod`).
    pub api_url: String,
    /// Name (or ARN) of the secret holding the API key; fetched once at cold start.
    pub api_key_secret: String,
    /// Per-call timeout of the fare API.
    pub api_timeout: Duration,
    /// Sampling, concurrency, output and metric settings.
    pub enrich: EnrichConfig,
}

impl Settings {
    /// From the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable source (tests pass a map). Required: `API_URL`,
    /// `API_KEY_SECRET`, `OUTPUT_BUCKET`, `STACK_NAME`; the others default to
    /// `enriched/`, 20, 20, 30 and `Streamkit/Enrichment`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let required = |name: &'static str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let positive = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(ConfigError::NotPositive { name, value: v }),
            }
        };
        let mut enrich = EnrichConfig::new(&required(OUTPUT_BUCKET)?);
        if let Some(prefix) = var(OUTPUT_PREFIX) {
            enrich.prefix = prefix;
        }
        enrich.sample_every = positive(SAMPLE_EVERY, enrich.sample_every)?;
        enrich.concurrency = positive(MAX_IN_FLIGHT, enrich.concurrency as u64)? as usize;
        if let Some(ns) = var(METRICS_NAMESPACE).filter(|v| !v.trim().is_empty()) {
            enrich.metric_namespace = ns;
        }
        enrich.stack_name = required(STACK_NAME)?;
        Ok(Settings {
            api_url: required(API_URL)?,
            api_key_secret: required(API_KEY_SECRET)?,
            api_timeout: Duration::from_secs(positive(
                API_TIMEOUT_SECONDS,
                DEFAULT_API_TIMEOUT.as_secs(),
            )?),
            enrich,
        })
    }
}
