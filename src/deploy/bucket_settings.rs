//! An artifact bucket that already exists is never changed (issue 26, item
//! 2): `bootstrap` reads its settings and reports each one that differs from
//! what streamkit sets on a bucket it creates, one line each, and leaves it.
//! Stronger encryption than streamkit's (SSE-KMS) is a difference reported as
//! kept, never "fixed" down to SSE-S3.
//!
//! What streamkit sets (see [`super::assets::ensure_bucket`]): default
//! encryption SSE-S3 (AES256), all four public access block flags, versioning
//! enabled, one lifecycle rule expiring noncurrent versions after
//! [`NONCURRENT_DAYS`] days, and (on an HTTPS endpoint) a policy denying
//! requests without TLS (`aws:SecureTransport` false).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{BucketVersioningStatus, ExpirationStatus, ServerSideEncryption};

use crate::aws::Aws;
use crate::error::Result;

/// Days after which streamkit's lifecycle rule expires noncurrent versions.
pub const NONCURRENT_DAYS: i32 = 30;
/// Id of streamkit's lifecycle rule.
pub const RULE_ID: &str = "expire-old-versions";

/// What an existing bucket has, as far as streamkit's settings go.
#[derive(Debug, Default)]
pub struct Found {
    /// One line per setting that differs from streamkit's.
    pub differences: Vec<String>,
    /// It has a statement denying requests without TLS.
    pub tls_only: bool,
}

/// Reads `bucket`'s settings (read-only calls) and compares them with
/// streamkit's; `check_tls` when streamkit would set the TLS-only policy.
pub async fn inspect(aws: &Aws, bucket: &str, check_tls: bool) -> Result<Found> {
    let s3 = aws.s3();
    let mut found = Found::default();
    let diff = &mut found.differences;

    let enc = s3.get_bucket_encryption().bucket(bucket).send().await;
    match absent(enc, aws, "GetBucketEncryption")? {
        None => diff.push("encryption: none (streamkit sets SSE-S3, AES256)".into()),
        Some(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            match rule {
                None => diff.push("encryption: none (streamkit sets SSE-S3, AES256)".into()),
                Some(d) if d.sse_algorithm() == &ServerSideEncryption::Aes256 => {}
                Some(d) => {
                    let key = d
                        .kms_master_key_id()
                        .map(|k| format!(", key {}", crate::error::cut(k)))
                        .unwrap_or_default();
                    diff.push(format!(
                        "encryption: {}{key} (streamkit sets SSE-S3, AES256; kept: it is not weakened)",
                        d.sse_algorithm().as_str()
                    ));
                }
            }
        }
    }

    let pab = s3.get_public_access_block().bucket(bucket).send().await;
    match absent(pab, aws, "GetPublicAccessBlock")? {
        None => diff.push("public access block: none (streamkit blocks all four)".into()),
        Some(out) => {
            let c = out.public_access_block_configuration();
            let flags = [
                ("BlockPublicAcls", c.and_then(|c| c.block_public_acls())),
                ("IgnorePublicAcls", c.and_then(|c| c.ignore_public_acls())),
                ("BlockPublicPolicy", c.and_then(|c| c.block_public_policy())),
                (
                    "RestrictPublicBuckets",
                    c.and_then(|c| c.restrict_public_buckets()),
                ),
            ];
            let off: Vec<&str> = flags
                .iter()
                .filter(|(_, on)| *on != Some(true))
                .map(|(name, _)| *name)
                .collect();
            if !off.is_empty() {
                diff.push(format!(
                    "public access block: {} off (streamkit blocks all four)",
                    off.join(", ")
                ));
            }
        }
    }

    let versioning = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| aws.error("s3", "GetBucketVersioning", e))?;
    if versioning.status() != Some(&BucketVersioningStatus::Enabled) {
        let now = versioning
            .status()
            .map_or("never enabled", |s| s.as_str())
            .to_lowercase();
        diff.push(format!("versioning: {now} (streamkit enables it)"));
    }

    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await;
    let want = format!(
        "streamkit sets one rule, {RULE_ID}: noncurrent versions expire after {NONCURRENT_DAYS} days"
    );
    match absent(lifecycle, aws, "GetBucketLifecycleConfiguration")? {
        None => diff.push(format!("lifecycle: no rules ({want})")),
        Some(out) => {
            let ours = |r: &aws_sdk_s3::types::LifecycleRule| {
                r.status() == &ExpirationStatus::Enabled
                    && r.noncurrent_version_expiration()
                        .and_then(|n| n.noncurrent_days())
                        == Some(NONCURRENT_DAYS)
                    && r.expiration().is_none()
                    && r.transitions().is_empty()
            };
            let rules = out.rules();
            if !(rules.len() == 1 && ours(&rules[0])) {
                let ids: Vec<&str> = rules.iter().map(|r| r.id().unwrap_or("(no id)")).collect();
                diff.push(format!("lifecycle: rules {} ({want})", ids.join(", ")));
            }
        }
    }

    if check_tls {
        let policy = s3.get_bucket_policy().bucket(bucket).send().await;
        let text = absent(policy, aws, "GetBucketPolicy")?
            .and_then(|p| p.policy().map(str::to_string))
            .unwrap_or_default();
        found.tls_only = denies_plain_http(&text);
        if !found.tls_only {
            diff.push(
                "bucket policy: no statement denying requests without TLS (streamkit adds DenyInsecureTransport)"
                    .into(),
            );
        }
    }
    Ok(found)
}

/// A successful read, `None` when S3 says the setting is not configured
/// (`NoSuch...`, `...NotFoundError`), else the error.
fn absent<T, E, R>(
    result: std::result::Result<T, SdkError<E, R>>,
    aws: &Aws,
    operation: &'static str,
) -> Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let code = e.code().unwrap_or_default();
            if code.starts_with("NoSuch") || code.ends_with("NotFoundError") {
                Ok(None)
            } else {
                Err(aws.error("s3", operation, e))
            }
        }
    }
}

/// The policy has a Deny statement for requests with `aws:SecureTransport` false.
fn denies_plain_http(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    statements.iter().any(|s| {
        s["Effect"] == "Deny"
            && s["Condition"]["Bool"]["aws:SecureTransport"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_only_statement_is_found() {
        let ours = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(denies_plain_http(ours));
        let single = r#"{"Statement":{"Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":"False"}}}}"#;
        assert!(denies_plain_http(single));
        let allow = r#"{"Statement":[{"Effect":"Allow","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(!denies_plain_http(allow));
        assert!(!denies_plain_http("not json"));
    }
}
