//! Checks on `build-dist` inputs, done before any work so that bad input fails
//! fast, on one line, with nothing written.

use crate::error::{Error, Result};

/// Longest asset bucket base name: 63 (S3 limit) minus room for the `-<region>`
/// suffix. Matches the `AssetBucketBase` AllowedPattern in
/// `templates/common/assets.yaml` (`^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$`).
pub const BUCKET_BASE_MAX: usize = 42;

/// Checks a bucket base name against the S3 bucket naming rules, leaving room
/// for the region suffix.
pub fn bucket_base(base: &str) -> Result<()> {
    let fail = |why: &str| {
        Err(Error::BadInput(format!(
            "--bucket '{base}' is not a valid asset bucket base name: {why}; use 3-{BUCKET_BASE_MAX} \
             lower-case letters, digits, '.' or '-' (the region is appended: {base}-us-east-1)"
        )))
    };
    if base.len() < 3 {
        return fail("shorter than 3 characters");
    }
    if base.len() > BUCKET_BASE_MAX {
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

/// Checks a solution name or version, which become S3 key segments.
pub fn key_segment(flag: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value != "."
        && value != ".."
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadInput(format!(
            "{flag} '{value}' is not allowed in an S3 key segment: use 1-128 letters, digits, \
             '.', '_' or '-' (no '/')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bases() {
        for ok in ["abc", "my-solution-assets", "a.b-c", &"a".repeat(42)] {
            assert!(bucket_base(ok).is_ok(), "{ok}");
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
            let err = bucket_base(bad).unwrap_err().to_string();
            assert!(
                !err.contains('\n') && err.contains("--bucket"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bucket_limit_matches_the_template_parameter() {
        let fragment = include_str!("../../templates/common/assets.yaml");
        let pattern = format!("{{1,{}}}", BUCKET_BASE_MAX - 2);
        assert!(
            fragment.contains(&pattern),
            "AssetBucketBase AllowedPattern no longer allows {BUCKET_BASE_MAX} characters"
        );
    }

    #[test]
    fn key_segments() {
        assert!(key_segment("--version", "v1.2.0-rc_1").is_ok());
        for bad in ["", "v1/2", "..", "a b", "ü"] {
            assert!(key_segment("--version", bad).is_err(), "{bad}");
        }
    }
}
