//! The steps of `local up` before the stack runs: the emulator's Python (installed
//! on first use), the host-architecture dev build of the stack's code, the
//! emulator started and its state file written, then bootstrap and deploy in
//! process (the same functions as `streamkit bootstrap` and `deploy --yes`),
//! against the emulator with its test credentials.

use std::path::{Path, PathBuf};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;

use crate::args::GlobalArgs;
use crate::aws::{self, Aws};
use crate::catalog::Manifest;
use crate::commands::bootstrap::{self, BootstrapArgs};
use crate::commands::deploy::{self, DeployArgs};
use crate::commands::Context;
use crate::config::{BucketArgs, StackArgs};
use crate::dist::arch::{Arch, CargoProfile};
use crate::dist::build::{self as dist_build, DistOptions};
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::local::emulator::Emulator;
use crate::local::python::{self, Python};
use crate::local::signals::Signals;
use crate::local::stack;
use crate::local::state::{State, StateDir};
use crate::progress::Event;

/// Artifact bucket base on the emulator (`BASE` and `BASE-<region>`).
pub const BUCKET_BASE: &str = "streamkit-local";
/// Solution and version of the code `local up` builds (`streamkit/local/...`).
const SOLUTION: &str = "streamkit";
const VERSION: &str = "local";
/// Region when neither --region nor AWS_REGION names one.
const DEFAULT_REGION: &str = "us-east-1";

/// The emulator `local up` started, and the flags that point commands at it.
pub struct Up {
    pub emulator: Emulator,
    pub global: GlobalArgs,
    pub dir: StateDir,
    pub state: State,
}

impl Up {
    /// A command context against the emulator with its test credentials.
    fn context<'a>(&'a self, ctx: &Context<'a>) -> Context<'a> {
        let credentials = Credentials::new("testing", "testing", None, None, "streamkit-local");
        Context {
            io: ctx.io,
            global: &self.global,
            credentials: Some(SharedCredentialsProvider::new(credentials)),
        }
    }
}

/// The interpreter for the emulator, installing its packages on first use.
pub fn python(workspace: &Path, dir: &StateDir, progress: &Progress<'_>) -> Result<PathBuf> {
    match python::find(workspace)? {
        Python::Ready(p) => Ok(p),
        Python::Missing { venv, requirements } => {
            let log = dir.dir.join("pip.log");
            progress.message(format!(
                "installing the emulator's pinned packages (emulator/requirements.txt) into {} (first use; pip log: {})",
                venv.display(),
                log.display()
            ));
            python::install(workspace, &venv, &requirements, &log)
        }
    }
}

/// Builds the stack's code for this machine into `out`; nothing for a stack
/// whose manifest lists no assets.
pub fn build(
    ctx: &Context<'_>,
    manifest: &Manifest,
    workspace: &Path,
    out: &Path,
    progress: &Progress<'_>,
) -> Result<()> {
    if manifest.assets.is_empty() {
        progress.message(format!("{}: no code to build", manifest.name));
        return Ok(());
    }
    let opts = DistOptions {
        bucket_base: BUCKET_BASE.into(),
        solution: SOLUTION.into(),
        version: VERSION.into(),
        arch: host_arch()?,
        out: out.to_path_buf(),
        skip_build: false,
        profile: CargoProfile::Dev,
        patterns: vec![manifest.id.to_string()],
        workspace: workspace.to_path_buf(),
        target_dir: None,
        quiet_cargo: ctx.io.terminal().stderr || ctx.io.json(),
    };
    let built = dist_build::build(&opts, &|event| progress.emit(event));
    progress.emit(Event::OperationEnd);
    built.map(|_| ())
}

/// This machine's architecture, as `build-dist --arch` names it.
fn host_arch() -> Result<Arch> {
    match std::env::consts::ARCH {
        "x86_64" => Ok(Arch::X86_64),
        "aarch64" => Ok(Arch::Arm64),
        other => Err(Error::BadInput(format!(
            "`local up` runs the stack's Lambda binaries natively, on x86_64 or aarch64 Linux; this machine is {other}"
        ))),
    }
}

/// Where the emulator listens and whether it enforces IAM.
#[derive(Debug, Clone, Copy)]
pub struct Serve {
    pub port: u16,
    pub iam: bool,
}

/// Starts the emulator, writes the state file, and has a signal stop it.
pub fn start(
    ctx: &Context<'_>,
    python: &Path,
    workspace: &Path,
    dir: &StateDir,
    serve: Serve,
    signals: &Signals,
    progress: &Progress<'_>,
) -> Result<Up> {
    let log = dir.log_file();
    let port = serve.port;
    let emulator = Emulator::start(python, workspace, port, serve.iam, &log, &|| {
        signals.interrupted()
    })?;
    signals.stop_on_signal(Some(emulator.pid()));
    let endpoint = emulator.endpoint();
    progress.emit(Event::LocalEmulator {
        endpoint: endpoint.clone(),
        pid: emulator.pid(),
        log: log.display().to_string(),
    });
    let region = ctx
        .global
        .region()
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let state = State {
        pid: emulator.pid(),
        port,
        endpoint: endpoint.clone(),
        log,
        region: region.clone(),
        stack: None,
    };
    dir.write(&state)?;
    let global = GlobalArgs {
        region: Some(region),
        profile: None,
        endpoint_url: Some(endpoint),
        output: ctx.global.output,
        config: ctx.global.config.clone(),
        env: ctx.global.env.clone(),
    };
    Ok(Up {
        emulator,
        global,
        dir: dir.clone(),
        state,
    })
}

/// Bootstraps and deploys the stack on the emulator (`deploy --yes`); the
/// stack's name and the AWS config pointing at the emulator.
pub fn deploy(
    ctx: &Context<'_>,
    up: &mut Up,
    manifest: &Manifest,
    extra: &[(String, String)],
    dist_dir: &Path,
    progress: &Progress<'_>,
) -> Result<(String, Aws)> {
    let local = up.context(ctx);
    let buckets = BucketArgs {
        bucket_base: Some(BUCKET_BASE.into()),
        regions: Vec::new(),
    };
    let args = BootstrapArgs {
        buckets,
        dist_dir: dist_dir.to_path_buf(),
    };
    let report = bootstrap::run(&local, &args)?;
    for line in &report.0 {
        progress.message(format!(
            "bootstrap: s3://{} {}",
            line.bucket, line.ensured.state
        ));
    }
    let opts = local.resolve(&StackArgs::default())?.aws;
    let (aws, network) = aws::block_on(async {
        let aws = Aws::load(&opts).await?;
        let network = stack::network_parameters(&aws, manifest).await?;
        Ok((aws, network))
    })?;
    let mut parameters = network;
    parameters.extend(manifest.deployment.local_parameters.clone());
    parameters.extend(extra.iter().cloned());
    let args = DeployArgs {
        stack: StackArgs {
            pattern: Some(manifest.id.to_string()),
            bucket_base: Some(BUCKET_BASE.into()),
            solution: Some(SOLUTION.into()),
            version: Some(VERSION.into()),
            parameters,
            ..StackArgs::default()
        },
        yes: true,
        allow_replacement: false,
        skip_resources: Vec::new(),
        role_arn: None,
        skip_preflight: true,
        preflight_only: false,
        dist_dir: if manifest.assets.is_empty() {
            PathBuf::from("deployment")
        } else {
            dist_dir.to_path_buf()
        },
        no_execute: false,
        termination_protection: false,
    };
    let report = deploy::run(&local, &args)?;
    if let Some(e) = report.failure {
        return Err(e);
    }
    let result = report
        .results
        .into_iter()
        .next()
        .ok_or_else(|| Error::Deploy("the deploy reported no stack".into()))?;
    progress.message(format!(
        "{} ({}): {} in {:.1}s",
        result.stack, result.region, result.result, result.seconds
    ));
    up.state.stack = Some(result.stack.clone());
    up.dir.write(&up.state)?;
    Ok((result.stack, aws))
}
