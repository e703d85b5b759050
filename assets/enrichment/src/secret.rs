//! The fare API key, read once per container from Secrets Manager.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("cannot read secret {secret}: {message}")]
    Read { secret: String, message: String },
    #[error("secret {0} has no string value (the API key must be stored as SecretString)")]
    NotAString(String),
    #[error("secret {0} is empty")]
    Empty(String),
}

/// The API key stored (as a plain string) in `secret_id`, the secret's name or ARN.
pub async fn fetch_api_key(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, SecretError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| SecretError::Read {
            secret: secret_id.to_string(),
            message: streamkit_core::error::sdk_message(&e),
        })?;
    let key = out
        .secret_string()
        .ok_or_else(|| SecretError::NotAString(secret_id.to_string()))?
        .trim();
    if key.is_empty() {
        return Err(SecretError::Empty(secret_id.to_string()));
    }
    Ok(key.to_string())
}
