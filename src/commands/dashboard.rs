//! `streamkit dashboard`: the console URL of the stack's CloudWatch dashboard;
//! with `--render`, the dashboard drawn into one HTML file; with `--check`,
//! whether every metric of its widgets and of the stack's alarms exists
//! (the work is in `crate::review`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackRef};
use crate::deploy::stack;
use crate::error::{Error, Result};
use crate::review::{self, fetch::Fetcher, Window};

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

pub fn run(global: &GlobalArgs, args: &DashboardArgs, out: &mut dyn Write) -> Result<()> {
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
    let resolved = config::resolve(global, &args.stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let cfn = aws.cloudformation();
        let info = stack::require(&cfn, &aws, &name).await?;
        let resources = stack::resources(&cfn, &aws, &info.id).await?;
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
            let path =
                review::output_path(args.out.as_deref(), &dashboard, std::path::Path::new("."))?;
            let rendered = review::render_dashboard(&fetcher, &dashboard, window).await?;
            write_atomically(&path, &rendered.html)?;
            let line = match global.output {
                OutputFormat::Json => {
                    let mut doc = serde_json::to_value(&rendered).unwrap_or_default();
                    doc["stack"] = json!(name);
                    doc["file"] = json!(path.display().to_string());
                    doc.to_string()
                }
                OutputFormat::Text => format!(
                    "wrote {} ({} widgets, {} series, {} datapoints)",
                    path.display(),
                    rendered.widgets,
                    rendered.series,
                    rendered.datapoints
                ),
            };
            return emit(out, &line);
        }
        if args.check {
            let alarms: Vec<String> = resources
                .iter()
                .filter(|(_, ty, _)| ty == "AWS::CloudWatch::Alarm")
                .map(|(_, _, physical)| physical.clone())
                .collect();
            let report =
                review::check_dashboard(&fetcher, &name, &dashboard, &alarms, window).await?;
            let text = match global.output {
                OutputFormat::Json => serde_json::to_string(&report).unwrap_or_default(),
                OutputFormat::Text => report.to_string(),
            };
            emit(out, &text)?;
            if !report.passed {
                return Err(Error::template(
                    format!("dashboard {dashboard}"),
                    "check",
                    format!(
                        "{} metric(s) do not exist (rows marked 'does not exist'); fix their names or dimensions in the template",
                        report.missing()
                    ),
                ));
            }
            return Ok(());
        }
        let url = url(&aws.region, &dashboard);
        let line = match global.output {
            OutputFormat::Json => {
                json!({ "stack": name, "dashboard": dashboard, "url": url }).to_string()
            }
            OutputFormat::Text => url,
        };
        emit(out, &line)
    })
}

/// Writes through a temporary file in the same directory, so a failure leaves nothing half-written.
fn write_atomically(path: &std::path::Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
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
