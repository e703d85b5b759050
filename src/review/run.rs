//! The two reviews end to end: fetch, then draw (`--render`) or judge
//! (`--check`); and where `--render` writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::future::{join_all, try_join_all};

use super::body::{self, Kind};
use super::check;
use super::fetch::Fetcher;
use super::model::Window;
use super::render::{self, Rendered};
use super::report::{self, CheckReport};
use crate::error::{Error, Result};

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
