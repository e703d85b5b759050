//! `streamkit dashboard`: the console URL of the stack's CloudWatch dashboard;
//! with `--render`, the dashboard drawn into one HTML file; with `--check`,
//! whether every metric of its widgets and of the stack's alarms exists
//! (the work is in `crate::review`).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws;
use crate::config::StackRef;
use crate::deploy::stack;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::review::{self, fetch::Fetcher, CheckReport, Rendered, Window};

#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Draw the deployed dashboard (grid, markdown, graphs from GetMetricData,
    /// alarm states) into one self-contained HTML file.
    #[arg(long, conflicts_with = "check")]
    pub render: bool,
    /// The HTML file --render writes (default: <dashboard name>.html here).
    #[arg(long, value_name = "FILE", requires = "render")]
    pub out: Option<PathBuf>,
    /// Time range of --render and --check, back from now: minutes, hours or
    /// days such as 30m, 3h, 2d (5m to 15d) [default: 3h].
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Check that every metric of every widget and alarm exists with exactly
    /// its dimensions and has data; exit 1 if one does not exist.
    #[arg(long)]
    pub check: bool,
}

/// The URL (text: the URL), the file `--render` wrote, or `--check`'s table.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DashboardReport {
    Url {
        stack: String,
        region: String,
        dashboard: String,
        url: String,
    },
    Rendered {
        #[serde(flatten)]
        rendered: Rendered,
        stack: String,
        file: String,
    },
    Checked {
        #[serde(flatten)]
        report: CheckReport,
        region: String,
    },
}

pub fn run(ctx: &Context<'_>, args: &DashboardArgs) -> Result<DashboardReport> {
    let now = chrono::Utc::now().timestamp();
    if args.since.is_some() && !args.render && !args.check {
        return Err(Error::BadInput(
            "--since applies to --render and --check; add one of them".into(),
        ));
    }
    let window = Window::parse(args.since.as_deref(), now)?;
    if let Some(path) = &args.out {
        review::check_out(path)?;
    }
    aws::block_on(async {
        let (aws, info) = super::deployed(ctx, &args.stack).await?;
        let name = info.name.clone();
        let resources = stack::resources(&aws.cloudformation(), &aws, &info.id).await?;
        let dashboard = info
            .outputs
            .iter()
            .find(|o| o.key == "DashboardName")
            .map(|o| o.value.clone())
            .or_else(|| {
                resources
                    .iter()
                    .find(|(_, ty, _)| ty == "AWS::CloudWatch::Dashboard")
                    .map(|(_, _, physical)| physical.clone())
            })
            .ok_or_else(|| {
                Error::BadInput(format!(
                    "stack {name} has no CloudWatch dashboard; is it a streamkit stack?"
                ))
            })?;
        let fetcher = Fetcher::new(&aws);
        if args.render {
            let path = review::output_path(args.out.as_deref(), &dashboard, Path::new("."))?;
            let rendered = review::render_dashboard(&fetcher, &dashboard, window).await?;
            write_atomically(&path, &rendered.html)?;
            return Ok(DashboardReport::Rendered {
                rendered,
                stack: name,
                file: path.display().to_string(),
            });
        }
        if args.check {
            let alarms: Vec<String> = resources
                .iter()
                .filter(|(_, ty, _)| ty == "AWS::CloudWatch::Alarm")
                .map(|(_, _, physical)| physical.clone())
                .collect();
            let report =
                review::check_dashboard(&fetcher, &name, &dashboard, &alarms, window).await?;
            return Ok(DashboardReport::Checked {
                report,
                region: aws.region.clone(),
            });
        }
        Ok(DashboardReport::Url {
            url: url(&aws.region, &dashboard),
            region: aws.region.clone(),
            stack: name,
            dashboard,
        })
    })
}

/// Writes through a temporary file in the same directory, so a failure leaves nothing half-written.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let failed = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let readable = std::fs::Permissions::from_mode(0o644);
        file.as_file().set_permissions(readable).map_err(failed)?;
    }
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// Console URL of a CloudWatch dashboard.
pub fn url(region: &str, dashboard: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard}")
}

impl fmt::Display for DashboardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DashboardReport::Url { url, .. } => f.write_str(url),
            DashboardReport::Rendered { rendered, file, .. } => write!(
                f,
                "wrote {file} ({} widgets, {} series, {} datapoints)",
                rendered.widgets, rendered.series, rendered.datapoints
            ),
            DashboardReport::Checked { report, .. } => write!(f, "{report}"),
        }
    }
}

impl Report for DashboardReport {
    /// `--check` with a metric that does not exist: exit 1 after the table.
    fn outcome(self) -> Result<()> {
        match self {
            DashboardReport::Checked { report, .. } if !report.passed => Err(Error::template(
                format!("dashboard {}", report.dashboard),
                "check",
                format!(
                    "{} metric(s) do not exist (rows marked 'does not exist'); fix their names or dimensions in the template",
                    report.missing()
                ),
            )),
            _ => Ok(()),
        }
    }
}
