//! Dashboard review without the console: `streamkit dashboard --render`
//! draws a deployed CloudWatch dashboard into one self-contained HTML file,
//! `streamkit dashboard --check` tells, for every metric of every widget and
//! alarm, whether CloudWatch has it with exactly those dimensions and data.
//!
//! Nothing here prints. [`body`] parses the dashboard body, [`fetch`] reads
//! CloudWatch (and Kinesis, for enhanced fan-out consumers) through the SDK
//! clients it is given, [`check`] and [`render`] are pure functions from
//! what was fetched to a typed report or an HTML string ([`chart`] draws one
//! graph with `plotters`, [`facts`] holds what AWS publishes).

pub mod body;
pub mod chart;
pub mod check;
pub mod facts;
pub mod fetch;
pub mod render;
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::future::{join_all, try_join_all};
use serde::Serialize;

use crate::error::{Error, Result};
use body::Kind;
use fetch::Fetcher;

pub use check::Verdict;
pub use render::Rendered;
pub use report::CheckReport;

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

/// Reads dashboard `name` and everything its widgets show, and draws the page.
pub async fn render_dashboard(fetcher: &Fetcher, name: &str, window: Window) -> Result<Rendered> {
    let widgets = widgets(fetcher, name).await?;
    let fetches = widgets.iter().map(|w| async move {
        match &w.kind {
            Kind::Metric(m) => Some(fetcher.widget(m, window).await.map_err(|e| e.to_string())),
            _ => None,
        }
    });
    let data = join_all(fetches).await;
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in &widgets {
        if let Kind::Alarm { alarms, .. } = &w.kind {
            for arn in alarms {
                let parts: Vec<&str> = arn.split(':').collect();
                if let (Some(region), Some(name)) = (parts.get(3), parts.get(6)) {
                    wanted
                        .entry((*region).to_string())
                        .or_default()
                        .push((*name).to_string());
                }
            }
        }
    }
    let found = try_join_all(
        wanted
            .iter()
            .map(|(region, names)| fetcher.alarms(region, names)),
    )
    .await?;
    let alarms = found
        .into_iter()
        .flatten()
        .map(|a| (a.arn.clone(), a))
        .collect();
    Ok(render::page(
        name,
        fetcher.home(),
        window,
        &widgets,
        &data,
        &alarms,
    ))
}

/// Checks every metric of dashboard `name` and of the alarms `alarm_names`.
pub async fn check_dashboard(
    fetcher: &Fetcher,
    stack: &str,
    name: &str,
    alarm_names: &[String],
    window: Window,
) -> Result<CheckReport> {
    let widgets = widgets(fetcher, name).await?;
    let alarms = fetcher.alarms(fetcher.home(), alarm_names).await?;
    let targets = check::targets(&widgets, &alarms, fetcher.home());
    let seen = fetcher.observe(&targets, window).await?;
    let checked: Vec<_> = targets.into_iter().zip(seen).collect();
    Ok(report::report(stack, name, window.seconds(), &checked))
}

async fn widgets(fetcher: &Fetcher, name: &str) -> Result<Vec<body::Widget>> {
    let text = fetcher.dashboard(name).await?;
    body::parse(&text).map_err(|e| Error::Aws(format!("dashboard {name}: {e}")))
}

/// Where `--render` writes: `--out`, else `<dashboard>.html` in `dir`.
/// The directory must exist (checked before any AWS call when `--out` is given).
pub fn output_path(out: Option<&Path>, dashboard: &str, dir: &Path) -> Result<PathBuf> {
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => dir.join(format!("{}.html", safe_file_name(dashboard))),
    };
    check_out(&path)?;
    Ok(path)
}

/// `--out` must name a file in an existing directory.
pub fn check_out(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.is_dir() || !parent.is_dir() {
        return Err(Error::BadInput(format!(
            "cannot write --out {}: it must name a file in an existing directory",
            path.display()
        )));
    }
    Ok(())
}

fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
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

    #[test]
    fn the_default_output_is_named_after_the_dashboard() {
        let dir = tempfile::tempdir().unwrap();
        let path = output_path(None, "stack-us-east-1", dir.path()).unwrap();
        assert_eq!(path, dir.path().join("stack-us-east-1.html"));
        let missing = dir.path().join("nope/x.html");
        assert_eq!(
            output_path(Some(&missing), "d", dir.path())
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
