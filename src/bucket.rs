//! Artifact buckets: the one check on a bucket base name (every command that
//! takes one uses it), and what `bootstrap` found or made of a bucket.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result};

/// The bucket base when neither the flag, the config file nor a build-dist
/// output names one.
pub const DEFAULT_BASE: &str = "streamkit-assets";

/// The one bucket-base default of every command: `--bucket-base` (or
/// `bucket_base` in streamkit.toml), else the base the build-dist output was
/// built for, else [`DEFAULT_BASE`].
pub fn base_or_default(configured: Option<&str>, dist_base: Option<&str>) -> String {
    configured.or(dist_base).unwrap_or(DEFAULT_BASE).to_string()
}

/// Longest asset bucket base name: 63 (S3 limit) minus room for the `-<region>`
/// suffix. Matches the `AssetBucketBase` AllowedPattern in
/// `templates/common/assets.yaml` (`^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$`).
pub const BASE_MAX: usize = 42;

/// Checks a bucket base name (given with `flag`) against the S3 bucket naming
/// rules, leaving room for the region suffix.
pub fn check_base(flag: &str, base: &str) -> Result<()> {
    let fail = |why: &str| {
        Err(Error::BadInput(format!(
            "{flag} '{base}' is not a valid asset bucket base name: {why}; use 3-{BASE_MAX} \
             lower-case letters, digits, '.' or '-' (the region is appended: {base}-us-east-1)"
        )))
    };
    if base.len() < 3 {
        return fail("shorter than 3 characters");
    }
    if base.len() > BASE_MAX {
        return fail(&format!(
            "{} characters leave no room for the region suffix",
            base.len()
        ));
    }
    if let Some(c) = base
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return fail(&format!("'{c}' is not allowed"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(base.chars().next()) || !alnum(base.chars().last()) {
        return fail("it must start and end with a letter or digit");
    }
    if base.contains("..") || base.contains(".-") || base.contains("-.") {
        return fail("'..', '.-' and '-.' are not allowed");
    }
    if base.split('.').count() == 4 && base.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return fail("it must not look like an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if base.starts_with(prefix) {
            return fail(&format!("the prefix '{prefix}' is reserved"));
        }
    }
    Ok(())
}

/// Whether `bootstrap` created the bucket or found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketState {
    Created,
    Exists,
}

impl fmt::Display for BucketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            BucketState::Created => "created",
            BucketState::Exists => "exists",
        })
    }
}

/// An artifact bucket created with streamkit's settings (encrypted,
/// versioned, private, old versions expiring), or one that existed and was
/// left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ensured {
    #[serde(rename = "outcome")]
    pub state: BucketState,
    /// A TLS-only bucket policy is in place (not on a plain-HTTP endpoint,
    /// whose clients it would lock out).
    pub tls_only: bool,
    /// An existing bucket's settings that differ from streamkit's, one line
    /// each (left unchanged); empty for a created bucket.
    pub differences: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bases() {
        for ok in ["abc", "my-solution-assets", "a.b-c", &"a".repeat(42)] {
            assert!(check_base("--bucket", ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(43),
            "My-Bucket",
            "my_bucket",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "sthree-abc",
        ] {
            let err = check_base("--bucket-base", bad).unwrap_err().to_string();
            assert!(
                !err.contains('\n') && err.starts_with("--bucket-base '"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bucket_limit_matches_the_template_parameter() {
        let fragment = include_str!("../templates/common/assets.yaml");
        let pattern = format!("{{1,{}}}", BASE_MAX - 2);
        assert!(
            fragment.contains(&pattern),
            "AssetBucketBase AllowedPattern no longer allows {BASE_MAX} characters"
        );
    }
}
