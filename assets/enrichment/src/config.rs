//! The function's settings, read from the environment the template sets:
//! `API_URL`, `API_KEY_SECRET` (the *name* of the Secrets Manager secret that
//! holds the API key; the key itself is never in the environment),
//! `OUTPUT_BUCKET`, `OUTPUT_PREFIX`, `SAMPLE_EVERY`, `MAX_IN_FLIGHT`,
//! `API_TIMEOUT_SECONDS`, `METRICS_NAMESPACE` and `STACK_NAME`.

use std::time::Duration;
pub use streamkit_core::config::ConfigError;
use streamkit_core::config::Vars;
pub use streamkit_core::config::{METRICS_NAMESPACE, OUTPUT_BUCKET, OUTPUT_PREFIX, STACK_NAME};

use crate::EnrichConfig;

pub const API_URL: &str = "API_URL";
pub const API_KEY_SECRET: &str = "API_KEY_SECRET";
pub const SAMPLE_EVERY: &str = "SAMPLE_EVERY";
pub const MAX_IN_FLIGHT: &str = "MAX_IN_FLIGHT";
pub const API_TIMEOUT_SECONDS: &str = "API_TIMEOUT_SECONDS";

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
        let vars = Vars(var);
        let mut enrich = EnrichConfig::new(&vars.required(OUTPUT_BUCKET)?);
        enrich.prefix = vars.text(OUTPUT_PREFIX, &enrich.prefix);
        enrich.sample_every = vars.positive(SAMPLE_EVERY, enrich.sample_every)?;
        enrich.concurrency = vars.positive(MAX_IN_FLIGHT, enrich.concurrency as u64)? as usize;
        enrich.metric_namespace = vars.non_blank(METRICS_NAMESPACE, &enrich.metric_namespace);
        enrich.stack_name = vars.required(STACK_NAME)?;
        Ok(Settings {
            api_url: vars.required(API_URL)?,
            api_key_secret: vars.required(API_KEY_SECRET)?,
            api_timeout: Duration::from_secs(
                vars.positive(API_TIMEOUT_SECONDS, DEFAULT_API_TIMEOUT.as_secs())?,
            ),
            enrich,
        })
    }
}
