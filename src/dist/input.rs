//! Checks on `build-dist` inputs, done before any work so that bad input fails
//! fast, on one line, with nothing written.

use crate::error::{Error, Result};

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
    fn key_segments() {
        assert!(key_segment("--version", "v1.2.0-rc_1").is_ok());
        for bad in ["", "v1/2", "..", "a b", "ü"] {
            assert!(key_segment("--version", bad).is_err(), "{bad}");
        }
    }
}
