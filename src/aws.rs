//! AWS access: one `SdkConfig` per region, built once from `--profile`,
//! `--region` and `--endpoint-url` (or `AWS_ENDPOINT_URL`), handed to every
//! client; SDK errors mapped to typed errors (access problems exit 3).

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Error, Result};

/// Where and as whom streamkit talks to AWS, for one region.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub region: String,
    /// The endpoint override, if any (applied to every client and to template URLs).
    pub endpoint: Option<String>,
}

/// The inputs the SDK config is built from (flags, env vars, config file, merged).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    /// Credentials to use instead of the standard chain (in-process tests).
    pub credentials: Option<SharedCredentialsProvider>,
}

/// Error codes that mean the credentials themselves were refused (unknown,
/// expired or mis-signed keys): bad input, exit 2, like a missing profile.
const REJECTED_CREDENTIALS: [&str; 8] = [
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "MissingAuthenticationToken",
    "AuthFailure",
];

/// Error codes that mean "you may not" rather than "this request is wrong".
const ACCESS_CODES: [&str; 2] = ["AccessDenied", "AccessDeniedException"];

impl Aws {
    /// Loads the SDK config (standard credential chain) and checks that
    /// credentials resolve, so a missing profile fails before any change.
    pub async fn load(opts: &AwsOptions) -> Result<Aws> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(streamkit_core::aws::https_client())
            .retry_config(
                // Throttling and transient errors are retried with jittered backoff.
                RetryConfig::standard()
                    .with_max_attempts(6)
                    .with_initial_backoff(Duration::from_millis(300))
                    .with_max_backoff(Duration::from_secs(10)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .build(),
            );
        if let Some(profile) = &opts.profile {
            if let Some(problem) = crate::profile::problem(profile) {
                return Err(Error::BadInput(problem));
            }
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &opts.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint) = &opts.endpoint {
            if let Some(problem) = crate::validate::input::endpoint_url(endpoint).pop() {
                return Err(Error::BadInput(problem));
            }
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(credentials) = &opts.credentials {
            loader = loader.credentials_provider(credentials.clone());
        }
        let config = loader.load().await;
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            Error::BadInput(
                "no AWS region: pass --region, set AWS_REGION, or set `region` in streamkit.toml"
                    .into(),
            )
        })?;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| no_credentials(opts, ""))?;
        provider.provide_credentials().await.map_err(|e| {
            let detail = match e {
                CredentialsError::CredentialsNotLoaded(_) => String::new(),
                other => chain(&other),
            };
            no_credentials(opts, &detail)
        })?;
        Ok(Aws {
            config,
            region,
            endpoint: opts.endpoint.clone(),
        })
    }

    /// The same identity and endpoint in another region.
    pub fn in_region(&self, region: &str) -> Aws {
        Aws {
            config: self
                .config
                .to_builder()
                .region(Region::new(region.to_string()))
                .build(),
            region: region.to_string(),
            endpoint: self.endpoint.clone(),
        }
    }

    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.config)
    }

    /// S3 client; path-style addressing when an endpoint override is set
    /// (local emulators do not resolve `BUCKET.host` names).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(self.endpoint.is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// URL of an S3 object as CloudFormation should fetch it: path-style under
    /// the endpoint override when there is one.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        match &self.endpoint {
            Some(ep) => format!("{}/{bucket}/{key}", ep.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{}.amazonaws.com/{key}", self.region),
        }
    }

    /// The endpoint a service call goes to, for error messages.
    pub fn endpoint_of(&self, service: &str) -> String {
        match &self.endpoint {
            Some(ep) => ep.clone(),
            None => format!("https://{service}.{}.amazonaws.com", self.region),
        }
    }

    /// Maps an SDK error from `operation` on `service` to a typed error.
    pub fn error<E, R>(&self, service: &str, operation: &str, err: SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        let endpoint = self.endpoint_of(service);
        let detail = chain(&err);
        let status = http_status(&format!("{err:?}"));
        match &err {
            SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => unreachable(&endpoint, operation),
            SdkError::TimeoutError(_) => unreachable(&endpoint, operation),
            SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
                if detail.to_lowercase().contains("credential") =>
            {
                Error::AwsAccess(format!(
                    "{operation}: no usable AWS credentials: {detail}; set AWS_PROFILE or --profile, or run `aws configure`"
                ))
            }
            _ => {
                let code = err.code().unwrap_or_default().to_string();
                let message = err.message().unwrap_or(&detail).to_string();
                let forbidden = code.is_empty() && status == Some(403);
                if REJECTED_CREDENTIALS.contains(&code.as_str()) {
                    Error::BadInput(format!(
                        "{operation} on {endpoint}: the credentials were rejected ({code}): {}; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or the profile (--profile, AWS_PROFILE), or run `aws configure`",
                        cut_message(&message)
                    ))
                } else if ACCESS_CODES.contains(&code.as_str()) || forbidden {
                    let code = if forbidden { "HTTP 403".to_string() } else { code };
                    let message = if forbidden { "access denied".to_string() } else { message };
                    Error::AwsAccess(format!(
                        "{operation} on {endpoint} was denied ({code}): {message}; check the credentials, IAM permissions and resource (e.g. bucket) policies in play"
                    ))
                } else if let (true, Some(status)) = (code.is_empty(), status) {
                    // Not an AWS error document: something else answers there.
                    Error::AwsAccess(format!(
                        "{operation} on {endpoint} answered HTTP {status} without an AWS error; it is not the {service} API (or an emulator of it): check --endpoint-url / AWS_ENDPOINT_URL"
                    ))
                } else if code.is_empty() {
                    Error::Aws(format!("{operation} on {endpoint} failed: {detail}"))
                } else {
                    Error::Aws(format!("{operation} failed ({code}): {}", cut_message(&message)))
                }
            }
        }
    }
}

fn unreachable(endpoint: &str, operation: &str) -> Error {
    Error::AwsAccess(format!(
        "cannot reach {endpoint} ({operation}); check --endpoint-url / AWS_ENDPOINT_URL and the network, then run the command again"
    ))
}

/// An SDK error's own text and its sources' (`Display`, never the `Debug`
/// dump `DisplayErrorContext` ends with), on one line of at most
/// [`MAX_DETAIL`] characters.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    let text = parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    cut_message(text.trim_end_matches(['.', ':', ' ']))
}

/// Longest SDK detail quoted in a message.
const MAX_DETAIL: usize = 200;

fn cut_message(text: &str) -> String {
    if text.chars().count() <= MAX_DETAIL {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX_DETAIL).collect();
    format!("{head}...")
}

/// The HTTP status of a raw response, from the SDK error's debug form
/// (`StatusCode(404)`), when there was a response.
fn http_status(debug: &str) -> Option<u16> {
    let at = debug.find("StatusCode(")? + "StatusCode(".len();
    debug[at..].split(')').next()?.parse().ok()
}

fn no_credentials(opts: &AwsOptions, detail: &str) -> Error {
    let profile = opts
        .profile
        .as_deref()
        .map(|p| format!(" for profile '{p}'"))
        .unwrap_or_default();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    };
    Error::AwsAccess(format!(
        "no AWS credentials found{profile}{detail} (looked in the environment, the shared config and credentials files, web identity, ECS and instance metadata); set AWS_PROFILE or --profile, export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure`"
    ))
}

/// Runs an async command body on a fresh multi-threaded runtime.
pub fn block_on<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Aws(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(fut)
}
