//! What a review is about: the time window (`--since`) and the alarms as
//! DescribeAlarms reports them.

use serde::Serialize;

use super::body;
use crate::error::{Error, Result};

/// Default `--since`: the console's default time range.
pub const DEFAULT_SINCE: &str = "3h";
const MIN_SECONDS: i64 = 5 * 60;
const MAX_SECONDS: i64 = 15 * 86_400;

/// The time range drawn or checked: `seconds` back from `end` (epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    /// Parses `--since` (`30m`, `3h`, `2d`: minutes, hours or days, 5m to 15d).
    pub fn parse(since: Option<&str>, now: i64) -> Result<Window> {
        let text = since.unwrap_or(DEFAULT_SINCE);
        let bad = || {
            Error::BadInput(format!(
                "invalid --since '{text}': use minutes, hours or days such as 30m, 3h or 2d (from 5m to 15d)"
            ))
        };
        let (digits, unit) = text.split_at(text.len().saturating_sub(1));
        let count: i64 = digits.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "m" => count * 60,
            "h" => count * 3600,
            "d" => count * 86_400,
            _ => return Err(bad()),
        };
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            return Err(bad());
        }
        Ok(Window {
            start: now - seconds,
            end: now,
        })
    }

    pub fn seconds(&self) -> i64 {
        self.end - self.start
    }
}

/// An alarm as the review needs it (from DescribeAlarms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmInfo {
    pub name: String,
    pub arn: String,
    pub region: String,
    pub state: String,
    pub reason: String,
    /// When the state last changed (epoch seconds).
    pub updated: Option<i64>,
    pub description: String,
    /// The metrics it evaluates (one, or the inputs of its metric math).
    #[serde(skip)]
    pub metrics: Vec<body::MetricRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_minutes_hours_or_days_within_bounds() {
        assert_eq!(Window::parse(None, 10_000_000).unwrap().seconds(), 3 * 3600);
        assert_eq!(
            Window::parse(Some("30m"), 10_000_000).unwrap().seconds(),
            1800
        );
        assert_eq!(
            Window::parse(Some("2d"), 10_000_000).unwrap().seconds(),
            172_800
        );
        for bad in ["", "3", "h", "1x", "-3h", "1m", "16d", "3 h", "1.5h"] {
            let err = Window::parse(Some(bad), 10_000_000).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid --since '{bad}'")),
                "{err}"
            );
        }
    }
}
