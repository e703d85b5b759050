//! Reading a function's settings from its environment, the same way in
//! every function: one name per setting (the constants below are shared by
//! the functions that read them), a required variable must be non-blank, a
//! numeric one must parse and lie within the template parameter's bounds.
//! Any problem is a [`ConfigError`] the caller reports through
//! [`crate::runtime::init_failed`] (the Runtime API's `/runtime/init/error`)
//! before exiting: a bad setting never falls back to a default silently.

use thiserror::Error;

/// Settings read by more than one function, one name each.
pub const OUTPUT_BUCKET: &str = "OUTPUT_BUCKET";
pub const OUTPUT_PREFIX: &str = "OUTPUT_PREFIX";
pub const LATE_PREFIX: &str = "LATE_PREFIX";
pub const STATE_TABLE: &str = "STATE_TABLE";
pub const ALLOWED_LATENESS_SECONDS: &str = "ALLOWED_LATENESS_SECONDS";
pub const IDLE_SHARD_TIMEOUT_SECONDS: &str = "IDLE_SHARD_TIMEOUT_SECONDS";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const STACK_NAME: &str = "STACK_NAME";

/// A setting that cannot be used, naming the variable.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing environment variable {0}: set it in the function configuration")]
    MissingEnv(&'static str),
    #[error("environment variable {name} must be an integer from {min} to {max}, got `{value}`")]
    OutOfRange {
        name: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("environment variable {name} must be a positive integer, got `{value}`")]
    NotPositive { name: &'static str, value: String },
}

/// A variable source: the process environment, or a map in tests.
pub struct Vars<F: Fn(&str) -> Option<String>>(pub F);

/// The process environment.
pub fn env() -> Vars<impl Fn(&str) -> Option<String>> {
    Vars(|name: &str| std::env::var(name).ok())
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    /// The raw value, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }

    /// A variable that must be set and not blank.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::MissingEnv(name))
    }

    /// A text variable, `default` when unset (an empty value is kept: an
    /// empty prefix is a valid prefix).
    pub fn text(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    /// A text variable, `default` when unset or blank.
    pub fn non_blank(&self, name: &str, default: &str) -> String {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_string())
    }

    /// An integer variable, `default` when unset; `min..=max` otherwise
    /// (anything else, a blank value included, is an error).
    pub fn bounded(
        &self,
        name: &'static str,
        (default, min, max): (u64, u64, u64),
    ) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or(ConfigError::OutOfRange {
                    name,
                    value: v,
                    min,
                    max,
                }),
        }
    }

    /// A positive integer variable (no upper bound), `default` when unset.
    pub fn positive(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ConfigError::NotPositive { name, value: v }),
        }
    }

    /// [`Vars::bounded`] in seconds.
    pub fn seconds(
        &self,
        name: &'static str,
        range: (u64, u64, u64),
    ) -> Result<std::time::Duration, ConfigError> {
        self.bounded(name, range)
            .map(std::time::Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(
        pairs: &'static [(&'static str, &'static str)],
    ) -> Vars<impl Fn(&str) -> Option<String>> {
        Vars(move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn numbers_default_when_unset_and_fail_when_bad() {
        let v = vars(&[("A", "7"), ("B", "x"), ("C", "0"), ("D", " ")]);
        assert_eq!(v.bounded("A", (1, 1, 10)), Ok(7));
        assert_eq!(v.bounded("Z", (3, 1, 10)), Ok(3));
        for name in ["B", "C", "D"] {
            let e = v.bounded(name, (1, 1, 10)).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("from 1 to 10"), "{e}");
            let e = v.positive(name, 1).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("positive integer"), "{e}");
        }
        assert_eq!(v.positive("A", 1), Ok(7));
        assert_eq!(v.positive("Z", 4), Ok(4));
    }

    #[test]
    fn required_refuses_blank() {
        let v = vars(&[("A", "  "), ("B", "b")]);
        assert_eq!(v.required("A"), Err(ConfigError::MissingEnv("A")));
        assert_eq!(v.required("B").as_deref(), Ok("b"));
        assert_eq!(v.text("A", "d"), "  ");
        assert_eq!(v.non_blank("A", "d"), "d");
    }
}
