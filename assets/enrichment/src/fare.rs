//! The fare API client: `GET {api}/predictFare?ride_request_id=N`, SigV4
//! signed for `execute-api`, with the `x-api-key` header.

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::value::RawValue;
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// Why a fare could not be had.
#[derive(Debug, Error)]
pub enum FareError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("cannot reach the fare API: {0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    BadBody(String),
    #[error("cannot sign the request: {0}")]
    Signing(String),
}

impl FareError {
    /// Whether another attempt may succeed: timeouts, 5xx, 429 and
    /// transport errors; not 4xx answers, bodies or signing.
    pub fn retryable(&self) -> bool {
        match self {
            FareError::Timeout(_) | FareError::Transport(_) => true,
            FareError::Status(s) => *s >= 500 || *s == 429,
            FareError::BadBody(_) | FareError::Signing(_) => false,
        }
    }

    /// A short label for counting (`timeout`, `http_500`, ...).
    pub fn reason(&self) -> String {
        match self {
            FareError::Timeout(_) => "timeout".into(),
            FareError::Status(s) => format!("http_{s}"),
            FareError::Transport(_) => "transport".into(),
            FareError::BadBody(_) => "bad_body".into(),
            FareError::Signing(_) => "signing".into(),
        }
    }
}

/// A fare as the API answered it: the number's JSON text, kept as is (the
/// enriched event carries this text), and its value.
#[derive(Clone, Debug)]
pub struct Fare {
    text: Box<RawValue>,
    value: f64,
}

impl Fare {
    /// The `expected_fare` member of an answer body; it must be a finite JSON number.
    pub fn from_answer(body: &[u8]) -> Result<Fare, FareError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            expected_fare: Box<RawValue>,
        }
        let bad = || FareError::BadBody(String::from_utf8_lossy(body).into_owned());
        let answer: Answer = serde_json::from_slice(body).map_err(|_| bad())?;
        let text = answer.expected_fare;
        let number = text
            .get()
            .starts_with(|c: char| c == '-' || c.is_ascii_digit());
        let value = match serde_json::from_str::<f64>(text.get()) {
            Ok(v) if number && v.is_finite() => v,
            _ => return Err(bad()),
        };
        Ok(Fare { text, value })
    }

    /// The number as the API wrote it.
    pub fn text(&self) -> &RawValue {
        &self.text
    }

    pub fn value(&self) -> f64 {
        self.value
    }
}

/// Calls the fare API; cheap to clone, build once per container.
#[derive(Clone, Debug)]
pub struct FareClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    region: String,
    credentials: SharedCredentialsProvider,
    timeout: Duration,
}

impl FareClient {
    /// `base_url` is the stage URL (`https://id.execute-api.region.amazonaws.com/prod`).
    pub fn new(
        base_url: &str,
        api_key: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
        timeout: Duration,
    ) -> FareClient {
        // rustls' provider, for the process: ring (reqwest is built without
        // one; see the workspace Cargo.toml). Already installed is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        FareClient {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            region: region.to_string(),
            credentials,
            timeout,
        }
    }

    /// The per-call timeout this client was built with.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The fare estimate for a ride request (one call, the client's timeout).
    pub async fn predict_fare(&self, ride_request_id: u64) -> Result<Fare, FareError> {
        self.predict_fare_within(ride_request_id, self.timeout)
            .await
    }

    /// One call with its own timeout (a retry near the end of the budget).
    pub async fn predict_fare_within(
        &self,
        ride_request_id: u64,
        timeout: Duration,
    ) -> Result<Fare, FareError> {
        let url = format!(
            "{}/predictFare?ride_request_id={ride_request_id}",
            self.base_url
        );
        let creds = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| FareError::Signing(e.to_string()))?;
        let identity: Identity = creds.into();
        let settings = SigningSettings::default();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| FareError::Signing(e.to_string()))?
            .into();
        let headers = [("x-api-key", self.api_key.as_str())];
        let signable =
            SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
                .map_err(|e| FareError::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| FareError::Signing(e.to_string()))?
            .into_parts();
        let mut req = self
            .http
            .get(&url)
            .timeout(timeout)
            .header("x-api-key", &self.api_key);
        for (name, value) in instructions.headers() {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(|e| self.transport(e, timeout))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(FareError::Status(status));
        }
        let bytes = resp.bytes().await.map_err(|e| self.transport(e, timeout))?;
        Fare::from_answer(&bytes)
    }

    fn transport(&self, e: reqwest::Error, timeout: Duration) -> FareError {
        if e.is_timeout() {
            FareError::Timeout(timeout)
        } else if e.is_decode() {
            FareError::BadBody(e.to_string())
        } else {
            FareError::Transport(streamkit_core::error::sdk_message(&e))
        }
    }
}
