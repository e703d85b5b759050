//! One file per subcommand. Each owns its clap argument struct (`///` is its
//! `--help`), one `run` function and one report type.
//!
//! # Adding a command
//!
//! 1. `src/commands/<name>.rs`: `pub struct <Name>Args` (`clap::Args`), and
//!    `pub fn run(ctx: &Context, args: &<Name>Args) -> Result<<Name>Report>`.
//! 2. The report: a struct or enum that is `Serialize` (its `--output json`
//!    form) and `Display` (its text form), with `impl Report for ...` (override
//!    `json_form` for one JSON line per element, `outcome` for a failure that
//!    comes after the output). Document its JSON shape in the README's
//!    "JSON output" table.
//! 3. Progress: take `let progress = ctx.io.progress();` and emit
//!    [`crate::progress::Event`]s (add a variant there, with its text line,
//!    when none fits). Never write to stdout or stderr yourself: the I/O object
//!    draws events (live view, plain lines or NDJSON) and writes the report.
//! 4. Confirmations: `progress.confirm(question)` (fails naming `--yes` when
//!    stdin is not a terminal).
//! 5. Register it in `cli.rs` (`Command` variant with examples in
//!    `after_help`, and one arm in `Cli::run`), list it in the README, and add
//!    an in-process test with its expected text and JSON under
//!    `tests/cli/expected/`.
//!
//! A command never imports `cli` (which imports every command); what they
//! share lives in `args` and `config`.

pub mod bootstrap;
pub mod build_dist;
pub mod dashboard;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod docs;
pub mod drift;
pub mod estimate;
pub mod failover;
pub mod list;
pub mod local;
pub mod logs;
pub mod outputs;
pub mod patterns;
pub mod preflight;
pub mod publish;
pub mod redrive;
pub mod replay;
pub mod replication;
pub mod scale;
pub mod status;
pub mod synth;
pub mod validate;

use aws_credential_types::provider::SharedCredentialsProvider;

use crate::args::GlobalArgs;
use crate::aws::Aws;
use crate::config::{self, Resolved, StackArgs, StackRef};
use crate::deploy::stack::{self, StackInfo};
use crate::error::Result;
use crate::io::Io;
use crate::replication::XrStack;

/// What every command runs with: the I/O object and the global flags.
pub struct Context<'a> {
    pub io: &'a Io,
    pub global: &'a GlobalArgs,
    /// Credentials to use instead of the standard chain (in-process tests);
    /// `None` in the CLI.
    pub credentials: Option<SharedCredentialsProvider>,
}

impl<'a> Context<'a> {
    pub fn new(io: &'a Io, global: &'a GlobalArgs) -> Context<'a> {
        Context {
            io,
            global,
            credentials: None,
        }
    }

    /// Merges the config file, environment and `flags` (see [`config::resolve`])
    /// and checks the stack name, regions and tags (all problems at once, exit 2).
    pub fn resolve(&self, flags: &StackArgs) -> Result<Resolved> {
        let resolved = self.resolve_unchecked(flags)?;
        let problems = resolved.problems();
        if problems.is_empty() {
            Ok(resolved)
        } else {
            Err(crate::error::Error::Invalid(problems))
        }
    }

    /// [`Context::resolve`] without the checks, for a command that reports
    /// [`Resolved::problems`] together with its own.
    pub fn resolve_unchecked(&self, flags: &StackArgs) -> Result<Resolved> {
        let mut resolved = config::resolve(self.global, flags)?;
        resolved.aws.credentials = self.credentials.clone();
        Ok(resolved)
    }
}

/// The stack a read or delete command names (`--stack-name`/`--pattern`, or
/// the config file), as deployed: a missing stack is bad input.
pub(crate) async fn deployed(ctx: &Context<'_>, stack: &StackRef) -> Result<(Aws, StackInfo)> {
    let resolved = ctx.resolve(&stack.to_args())?;
    let name = resolved.stack.stack_name()?;
    let aws = Aws::load(&resolved.aws).await?;
    let info = stack::require(&aws.cloudformation(), &aws, &name).await?;
    Ok((aws, info))
}

/// A deployed region pair (`--stack-name`, `--regions A,B` or `--region` and
/// the stack's peer region), for the cross-region commands.
pub(crate) async fn region_pair(
    ctx: &Context<'_>,
    stack_name: &str,
    regions: &[String],
) -> Result<XrStack> {
    let resolved = ctx.resolve(&StackArgs::default())?;
    XrStack::resolve(&resolved.aws, stack_name, regions).await
}
