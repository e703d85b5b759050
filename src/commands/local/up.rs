//! `streamkit local up`: checks the port, builds the stack's code for this
//! machine (dev profile, host architecture; skipped for stacks without
//! assets), starts the emulator, bootstraps, deploys with the manifest's
//! network and local parameters, points at the outputs, buckets and log
//! groups, then follows the stack (see [`super::follow`]) until Ctrl-C, its
//! first output objects (`--until-output`), or `--timeout`.

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::follow::{self, Ended, FollowOptions};
use super::setup;
use crate::args::parse_key_value;
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::io::Report;
use crate::local::outputs::OutputObject;
use crate::local::process;
use crate::local::signals::Signals;
use crate::local::state::{is_emulator, StateDir};

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Pattern id, as in `streamkit patterns` (single-region stacks).
    #[arg(long, default_value = "2")]
    pub pattern: String,
    /// Port of the emulator on 127.0.0.1 (1-65535: a fixed port, so `local down --port` finds it again; 0 is refused).
    #[arg(long, default_value_t = 4566, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Leave the emulator running when `local up` ends by itself (right after the deploy, or after the first output with --until-output); stop it with `streamkit local down`.
    #[arg(long)]
    pub keep: bool,
    /// Stop once the stack's first output objects are written, and print them with their row counts.
    #[arg(long)]
    pub until_output: bool,
    /// Stop after this long following the stack; with --until-output, fail (exit 3) if no output came by then (default 600 with --until-output, else none).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Seconds between two summary lines.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub interval: u64,
    /// With --until-output: also save the output objects as DIR/<bucket>/<key>.
    #[arg(long, value_name = "DIR", requires = "until_output")]
    pub save: Option<PathBuf>,
    /// IAM enforced by the emulator (every request and what services do with their roles), as on AWS; `off`: every caller may do everything.
    #[arg(long, value_enum, default_value_t = IamMode::On)]
    pub iam: IamMode,
    /// Template parameter, Key=Value (repeatable), over the local defaults.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub parameters: Vec<(String, String)>,
}

/// `--iam on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IamMode {
    On,
    Off,
}

/// How `local up` ended (JSON: one object, `"event": "result"` like every
/// result that follows an event stream).
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename = "result")]
pub struct UpReport {
    pub stack: String,
    pub region: String,
    pub endpoint: String,
    pub pid: u32,
    #[serde(rename = "outcome")]
    pub ended: Ended,
    /// The emulator still runs (`--keep`).
    pub kept: bool,
    /// The state file `local down` reads (when kept).
    pub state_file: Option<PathBuf>,
    /// The output objects written, with their rows (`--until-output`).
    pub objects: Vec<OutputObject>,
}

pub fn run(ctx: &Context<'_>, args: &UpArgs) -> Result<UpReport> {
    let manifest = crate::catalog::find(&args.pattern)?;
    if manifest.spans_regions() {
        return Err(Error::BadInput(format!(
            "--pattern {}: a stack spanning two regions cannot run under `local up`; deploy it to an emulator with `streamkit deploy --regions A,B` (see the README)",
            manifest.id
        )));
    }
    check_input(&manifest, args)?;
    let dir = StateDir::for_port(args.port)?;
    check_port(&dir, args.port)?;
    if args.interval == 0 {
        return Err(Error::BadInput(
            "--interval must be at least 1 second".into(),
        ));
    }
    let signals = Signals::watch();
    let progress = ctx.io.progress();
    let workspace = crate::commands::build_dist::find_workspace()?;
    dir.create()?;
    let python = setup::python(&workspace, &dir, &progress)?;
    let dist = tempfile::Builder::new()
        .prefix("streamkit-local-dist-")
        .tempdir()
        .map_err(|source| Error::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    let dist_dir = dist.path().join("dist");
    setup::build(ctx, &manifest, &workspace, &dist_dir, &progress)?;
    if signals.interrupted() {
        return Err(interrupted(None));
    }
    let mut up = setup::start(
        ctx,
        &python,
        &workspace,
        &dir,
        setup::Serve {
            port: args.port,
            iam: args.iam == IamMode::On,
        },
        &signals,
        &progress,
    )?;
    let pid = up.emulator.pid();
    let deployed = setup::deploy(
        ctx,
        &mut up,
        &manifest,
        &args.parameters,
        &dist_dir,
        &progress,
    );
    drop(dist);
    let (stack, aws) = match deployed {
        Ok(v) => v,
        Err(e) => return Err(fail(&dir, signals.interrupted(), pid, e)),
    };
    signals.stop_on_signal(None);
    let opts = FollowOptions {
        until_output: args.until_output,
        keep: args.keep,
        timeout: args.timeout.or(args.until_output.then_some(600)),
        interval: args.interval,
        save: args.save.as_deref(),
        iam: args.iam == IamMode::On,
    };
    let followed = crate::aws::block_on(follow::follow(
        &aws,
        &stack,
        &opts,
        &progress,
        &|| signals.interrupted(),
        &up.emulator.log,
    ));
    let (ended, objects) = match followed {
        Ok(v) => v,
        Err(e) => return Err(fail(&dir, signals.interrupted(), pid, e)),
    };
    let kept = args.keep && ended != Ended::Interrupted;
    let endpoint = up.emulator.endpoint();
    if kept {
        up.emulator.keep();
    } else {
        up.emulator.stop();
        dir.remove();
    }
    Ok(UpReport {
        stack,
        region: aws.region,
        endpoint,
        pid,
        ended,
        kept,
        state_file: kept.then(|| dir.state_file()),
        objects,
    })
}

/// A second `local up` on the same port, or a port another program holds.
fn check_port(dir: &StateDir, port: u16) -> Result<()> {
    if let Some(state) = dir.read() {
        if is_emulator(state.pid, port) {
            return Err(Error::BadInput(format!(
                "`local up` already runs on port {port} (emulator pid {}); stop it with `streamkit local down --port {port}` or pass another --port",
                state.pid
            )));
        }
    }
    dir.remove();
    if !process::port_free(port) {
        return Err(Error::BadInput(format!(
            "port {port} on 127.0.0.1 is in use by another program; pass --port with a free port (e.g. --port {})",
            port.saturating_add(1)
        )));
    }
    Ok(())
}

/// After the emulator started: its state file goes (the emulator itself
/// stops when its handle drops); after Ctrl-C the error says so.
fn fail(dir: &StateDir, interrupted_now: bool, pid: u32, e: Error) -> Error {
    dir.remove();
    if interrupted_now {
        interrupted(Some(pid))
    } else {
        e
    }
}

fn interrupted(pid: Option<u32>) -> Error {
    let stopped = pid
        .map(|p| format!("; stopped the emulator (pid {p}) and everything it ran"))
        .unwrap_or_default();
    Error::Interrupted(format!(
        "interrupted before the stack was up{stopped}; run `streamkit local up` again"
    ))
}

impl fmt::Display for UpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.objects {
            let rows = o
                .rows
                .map(|r| format!("{r} rows"))
                .unwrap_or_else(|| "rows unknown".into());
            writeln!(f, "s3://{}/{}  {rows} ({} bytes)", o.bucket, o.key, o.bytes)?;
        }
        if !self.objects.is_empty() {
            let rows: u64 = self.objects.iter().filter_map(|o| o.rows).sum();
            writeln!(f, "{} output objects, {rows} rows", self.objects.len())?;
        }
        let why = match self.ended {
            Ended::Output => "first output written",
            Ended::Interrupted => "stopped on Ctrl-C",
            Ended::Timeout => "--timeout reached",
            Ended::Deployed => "deployed",
        };
        if self.kept {
            write!(
                f,
                "{}: {why}; emulator left running on {} (pid {}); stop it with `streamkit local down --port {}`",
                self.stack,
                self.endpoint,
                self.pid,
                port_of(&self.endpoint)
            )
        } else {
            write!(
                f,
                "{}: {why}; emulator stopped (pid {})",
                self.stack, self.pid
            )
        }
    }
}

fn port_of(endpoint: &str) -> &str {
    endpoint.rsplit(':').next().unwrap_or(endpoint)
}

impl Report for UpReport {}

/// Before the emulator starts (issue 26, item 10): the `--parameter`s are
/// checked against the stack's template, and `--until-output` is refused for
/// a stack that writes no output objects (its only buckets receive access
/// logs), instead of waiting for the whole timeout.
fn check_input(manifest: &crate::catalog::Manifest, args: &UpArgs) -> Result<()> {
    let rendered = crate::render::render(manifest, &Default::default())?;
    let mut problems =
        crate::deploy::params::problems(&rendered.template, &args.parameters, manifest.id.as_str());
    if args.until_output && !writes_objects(&rendered.template) {
        problems.push(format!(
            "--until-output: pattern {} writes no output objects (no data bucket); run without it (--timeout N stops after N seconds)",
            manifest.id
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// The template has an S3 bucket that is not another bucket's access-log target.
fn writes_objects(template: &serde_json::Value) -> bool {
    let Some(resources) = template["Resources"].as_object() else {
        return false;
    };
    let buckets: Vec<&String> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::S3::Bucket")
        .map(|(id, _)| id)
        .collect();
    let log_targets: Vec<&str> = resources
        .values()
        .filter_map(|r| {
            r["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"].as_str()
        })
        .collect();
    buckets.iter().any(|b| !log_targets.contains(&b.as_str()))
}
