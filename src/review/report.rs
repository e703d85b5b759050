//! The `--check` report: one row per metric with its verdict, as a table
//! (`Display`) or one JSON object (`Serialize`).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::check::{judge, Observation, Origin, Target, Verdict};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub origin: Origin,
    /// The widget title or alarm name.
    pub name: String,
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    pub region: String,
    pub stat: String,
    pub period: i32,
    pub verdict: Verdict,
    pub reason: String,
}

/// The `--check` report (`--output json` prints it as one object).
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub stack: String,
    pub dashboard: String,
    pub window_seconds: i64,
    pub rows: Vec<Row>,
    /// False when a metric does not exist (the command then exits 1); JSON
    /// `outcome`: `passed` or `failed`.
    #[serde(rename = "outcome", serialize_with = "crate::io::outcome::passed")]
    pub passed: bool,
}
/// The report from targets and what was observed for each (same order).
pub fn report(
    stack: &str,
    dashboard: &str,
    window_seconds: i64,
    checked: &[(Target, Observation)],
) -> CheckReport {
    let rows: Vec<Row> = checked
        .iter()
        .map(|(t, seen)| {
            let (verdict, reason) = judge(&t.metric, seen);
            Row {
                origin: t.origin,
                name: t.name.clone(),
                namespace: t.metric.namespace.clone(),
                metric: t.metric.name.clone(),
                dimensions: t.metric.dimensions.iter().cloned().collect(),
                region: t.region.clone(),
                stat: t.metric.stat.clone(),
                period: t.metric.period,
                verdict,
                reason,
            }
        })
        .collect();
    let passed = rows.iter().all(|r| r.verdict != Verdict::DoesNotExist);
    CheckReport {
        stack: stack.into(),
        dashboard: dashboard.into(),
        window_seconds,
        rows,
        passed,
    }
}

impl CheckReport {
    pub fn missing(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::DoesNotExist)
            .count()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<[String; 4]> = self
            .rows
            .iter()
            .map(|r| {
                let who = match r.origin {
                    Origin::Widget => format!("widget: {}", r.name),
                    Origin::Alarm => format!("alarm: {}", r.name),
                };
                let dims = r
                    .dimensions
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",");
                let verdict = if r.reason.is_empty() {
                    r.verdict.text().to_string()
                } else {
                    format!("{}: {}", r.verdict.text(), r.reason)
                };
                [who, format!("{} {}", r.namespace, r.metric), dims, verdict]
            })
            .collect();
        let head = ["WIDGET / ALARM", "METRIC", "DIMENSIONS", "VERDICT"];
        let widths: Vec<usize> = (0..3)
            .map(|i| {
                cells
                    .iter()
                    .map(|c| c[i].chars().count())
                    .chain([head[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |f: &mut fmt::Formatter<'_>, c: [&str; 4]| {
            writeln!(
                f,
                "{:<w0$}  {:<w1$}  {:<w2$}  {}",
                c[0],
                c[1],
                c[2],
                c[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
        };
        line(f, head)?;
        for c in &cells {
            line(f, [&c[0], &c[1], &c[2], &c[3]])?;
        }
        let ok = self
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Ok)
            .count();
        write!(
            f,
            "{} metrics: {ok} ok, {} do not exist, {} other (window {} s)",
            self.rows.len(),
            self.missing(),
            self.rows.len() - ok - self.missing(),
            self.window_seconds
        )
    }
}
