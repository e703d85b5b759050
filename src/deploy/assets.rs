//! Artifact buckets (`bootstrap`) and uploads (`publish`, large templates).
//!
//! Buckets: `BASE` for global assets (templates) and `BASE-<region>` for
//! regional ones (code), each encrypted, versioned, public access blocked,
//! TLS-only, with old versions expiring. Every upload carries S3's own
//! SHA-256 checksum (`ChecksumAlgorithm::Sha256`: S3 refuses a body that does
//! not match it) and the hex sha256 as metadata; an object is skipped only
//! when the checksum S3 stored for it (HeadObject with `ChecksumMode`) equals
//! the file's, so an object altered under the same key is uploaded again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    ChecksumAlgorithm, ChecksumMode, CreateBucketConfiguration, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, VersioningConfiguration,
};
use serde::Serialize;

use crate::aws::Aws;
use crate::bucket::{BucketState, Ensured};
use crate::dist::archive::sha256_hex;
use crate::dist::manifest::DistManifest;
use crate::dist::verify::base64_of_hex;
use crate::dist::{GLOBAL_DIR, REGIONAL_DIR};
use crate::error::{Error, Result};

/// Metadata key holding an object's sha256 (hex).
pub const SHA_KEY: &str = "sha256";
/// Uploads in flight at once.
pub const PARALLEL: usize = 4;

/// Creates one artifact bucket with streamkit's settings, or reports how an
/// existing one differs from them (never changing it).
pub async fn ensure_bucket(aws: &Aws, bucket: &str) -> Result<Ensured> {
    let s3 = aws.s3();
    let mut create = s3.create_bucket().bucket(bucket);
    if aws.region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(aws.region.as_str()))
                .build(),
        );
    }
    // us-east-1 answers 200 to a CreateBucket of a bucket you already own:
    // ask first, so a second bootstrap says "exists". A bucket that exists is never changed: its settings are compared
    // with streamkit's and each difference reported (bucket_settings).
    let plain_http = aws
        .endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("http://"));
    let owned = s3.head_bucket().bucket(bucket).send().await.is_ok();
    let created = !owned
        && match create.send().await {
            Ok(_) => true,
            Err(e) => match e.code().unwrap_or_default() {
                "BucketAlreadyOwnedByYou" => false,
                "BucketAlreadyExists" => {
                    return Err(Error::BadInput(format!(
                        "bucket {bucket} belongs to another account; choose another --bucket-base"
                    )))
                }
                _ => return Err(aws.error("s3", "CreateBucket", e)),
            },
        };
    if created {
        return configure(aws, bucket, plain_http).await;
    }
    let found = super::bucket_settings::inspect(aws, bucket, !plain_http).await?;
    Ok(Ensured {
        state: BucketState::Exists,
        tls_only: found.tls_only,
        differences: found.differences,
    })
}

/// Applies streamkit's settings to a bucket this run created.
async fn configure(aws: &Aws, bucket: &str, plain_http: bool) -> Result<Ensured> {
    let s3 = aws.s3();
    let state = BucketState::Created;
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .build()
                        .map_err(|e| Error::Aws(e.to_string()))?,
                )
                .build(),
        )
        .build()
        .map_err(|e| Error::Aws(e.to_string()))?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(sse)
        .send()
        .await
        .map_err(s3_error(aws, "PutBucketEncryption"))?;
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .block_public_policy(true)
                .ignore_public_acls(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(s3_error(aws, "PutPublicAccessBlock"))?;
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(s3_error(aws, "PutBucketVersioning"))?;
    let rule = LifecycleRule::builder()
        .id(super::bucket_settings::RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(super::bucket_settings::NONCURRENT_DAYS)
                .build(),
        )
        .build()
        .map_err(|e| Error::Aws(e.to_string()))?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|e| Error::Aws(e.to_string()))?,
        )
        .send()
        .await
        .map_err(s3_error(aws, "PutBucketLifecycleConfiguration"))?;
    if plain_http {
        // A TLS-only policy would lock out the plain-HTTP endpoint in use (a local emulator).
        return Ok(Ensured {
            state,
            tls_only: false,
            differences: Vec::new(),
        });
    }
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        }]
    });
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(s3_error(aws, "PutBucketPolicy"))?;
    Ok(Ensured {
        state,
        tls_only: true,
        differences: Vec::new(),
    })
}

/// Maps an S3 SDK error of `operation`.
fn s3_error<'a, E, R>(
    aws: &'a Aws,
    operation: &'static str,
) -> impl Fn(SdkError<E, R>) -> Error + 'a
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    move |e| aws.error("s3", operation, e)
}

/// Creates the bucket (as [`ensure_bucket`]) only when it does not exist yet.
pub async fn ensure_exists(aws: &Aws, bucket: &str) -> Result<()> {
    if aws.s3().head_bucket().bucket(bucket).send().await.is_err() {
        ensure_bucket(aws, bucket).await?;
    }
    Ok(())
}

/// One object publish handled.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub bucket: String,
    pub key: String,
    pub state: ObjectState,
    pub bytes: u64,
}

/// Whether an object was sent or already there with the same sha256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectState {
    Uploaded,
    Unchanged,
}

impl std::fmt::Display for ObjectState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            ObjectState::Uploaded => "uploaded",
            ObjectState::Unchanged => "unchanged",
        })
    }
}

/// Uploads every file of the manifest: templates to `BASE`, code to
/// `BASE-<region>` for each of `regions`, at most [`PARALLEL`] at a time,
/// skipping objects whose stored checksum matches. With `only` (a stack's
/// asset names), just those assets and no templates. `progress` sees each result.
pub async fn publish(
    aws: &Aws,
    dir: &Path,
    manifest: &DistManifest,
    regions: &[String],
    bucket_base: &str,
    only: Option<&[String]>,
    progress: &mut dyn FnMut(&Published),
) -> Result<Vec<Published>> {
    let prefix = &manifest.key_prefix;
    let mut jobs: Vec<(Aws, String, String, PathBuf, String)> = Vec::new();
    for t in manifest.templates.iter().filter(|_| only.is_none()) {
        let path = dir.join(GLOBAL_DIR).join(&t.file);
        let key = format!("{prefix}{}", file_name(&t.file));
        jobs.push((
            aws.clone(),
            bucket_base.to_string(),
            key,
            path,
            t.sha256.clone(),
        ));
    }
    for region in regions {
        let regional = aws.in_region(region);
        let wanted = manifest
            .assets
            .iter()
            .filter(|a| only.is_none_or(|names| names.contains(&a.name)));
        for a in wanted {
            let path = dir.join(REGIONAL_DIR).join(&a.file);
            let key = format!("{prefix}{}", file_name(&a.file));
            jobs.push((
                regional.clone(),
                format!("{bucket_base}-{region}"),
                key,
                path,
                a.sha256.clone(),
            ));
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut set = tokio::task::JoinSet::new();
    for (aws, bucket, key, path, sha) in jobs {
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            put_if_changed(&aws, &bucket, &key, &path, &sha).await
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        let item = joined.map_err(|e| Error::Aws(format!("upload task failed: {e}")))??;
        progress(&item);
        out.push(item);
    }
    out.sort_by(|a, b| (&a.bucket, &a.key).cmp(&(&b.bucket, &b.key)));
    Ok(out)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

async fn put_if_changed(
    aws: &Aws,
    bucket: &str,
    key: &str,
    path: &Path,
    sha: &str,
) -> Result<Published> {
    let s3 = aws.s3();
    let checksum = base64_of_hex(sha).ok_or_else(|| {
        Error::BadInput(format!(
            "manifest.json: sha256 of {} is not 64 hex digits; rerun `streamkit build-dist`",
            path.display()
        ))
    })?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| {
            Error::BadInput(format!(
                "{}: {e}; run `streamkit build-dist` again",
                path.display()
            ))
        })?
        .len();
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await;
    if let Ok(head) = head {
        if head.checksum_sha256() == Some(checksum.as_str()) {
            return Ok(Published {
                bucket: bucket.into(),
                key: key.into(),
                state: ObjectState::Unchanged,
                bytes,
            });
        }
    }
    let body = ByteStream::from_path(path)
        .await
        .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .metadata(SHA_KEY, sha)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .checksum_sha256(&checksum)
        .body(body)
        .send()
        .await
        .map_err(|e| missing_bucket(aws.error("s3", "PutObject", e), bucket))?;
    Ok(Published {
        bucket: bucket.into(),
        key: key.into(),
        state: ObjectState::Uploaded,
        bytes,
    })
}

fn missing_bucket(err: Error, bucket: &str) -> Error {
    if err.to_string().contains("NoSuchBucket") {
        Error::BadInput(format!(
            "bucket {bucket} does not exist; run `streamkit bootstrap` first"
        ))
    } else {
        err
    }
}

/// Uploads a template body too large to pass inline; returns the URL for CloudFormation.
pub async fn upload_template(
    aws: &Aws,
    bucket: &str,
    prefix: &str,
    stack: &str,
    body: &str,
) -> Result<String> {
    let sha = sha256_hex(body.as_bytes());
    let key = format!("{prefix}templates/{stack}-{}.json", &sha[..16]);
    aws.s3()
        .put_object()
        .bucket(bucket)
        .key(&key)
        .metadata(SHA_KEY, &sha)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .set_checksum_sha256(base64_of_hex(&sha))
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .map_err(|e| missing_bucket(aws.error("s3", "PutObject", e), bucket))?;
    Ok(aws.object_url(bucket, &key))
}
