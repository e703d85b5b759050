//! `streamkit estimate`: the monthly cost estimate `deploy` prints, without
//! deploying. Parameters not given take their template defaults, or with
//! `--deployed` the deployed stack's values (one DescribeStacks call), so the
//! figure for an update is the one of the stack as it will really be.

use std::collections::BTreeMap;
use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::catalog;
use crate::config::StackArgs;
use crate::cost::estimate::{estimate, Comparison};
use crate::deploy::{params, stack};
use crate::error::{Error, Result};
use crate::io::Report;
use crate::render::{self, RenderOptions};

#[derive(Debug, Args)]
pub struct EstimateArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Take parameters not given from the deployed stack (else the template defaults).
    #[arg(long)]
    pub deployed: bool,
}

/// The estimate and the parameter values it was computed with.
#[derive(Debug, Serialize)]
pub struct EstimateReport {
    /// The region whose list prices the estimate uses (`cost::PRICES_REGION`).
    pub region: &'static str,
    pub estimate: Comparison,
    pub parameters: BTreeMap<String, String>,
    /// Whether deployed values were used (`--deployed` and the stack exists).
    pub deployed: bool,
}

pub fn run(ctx: &Context<'_>, args: &EstimateArgs) -> Result<EstimateReport> {
    let resolved = ctx.resolve_unchecked(&args.stack)?;
    let st = &resolved.stack;
    let pattern = st.pattern.as_deref().ok_or_else(|| {
        Error::BadInput(
            "--pattern is required (or `pattern` in the streamkit.toml environment)".into(),
        )
    })?;
    let manifest = catalog::find(pattern)?;
    let rendered = render::render(
        &manifest,
        &RenderOptions {
            settings: st.settings.clone(),
            assets: Default::default(),
        },
    )?;
    let mut problems = resolved.problems();
    problems.extend(unused_flags(&args.stack));
    problems.extend(params::problems(
        &rendered.template,
        &st.parameters,
        manifest.id.as_str(),
    ));
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let previous = if args.deployed {
        let name = st.stack_name()?;
        aws::block_on(async {
            let aws = Aws::load(&resolved.aws).await?;
            let info = stack::describe(&aws.cloudformation(), &aws, &name).await?;
            Ok::<_, Error>(info.map(|s| s.parameters))
        })?
    } else {
        None
    };
    let parameters = params::effective(&rendered.template, &st.parameters, previous.as_ref());
    // What the cost model reads: values given or deployed (defaults are its
    // own), exactly as `deploy` passes them for the same input.
    let pairs = params::given_or_deployed(&rendered.template, &st.parameters, previous.as_ref());
    Ok(EstimateReport {
        region: crate::cost::PRICES_REGION,
        estimate: estimate(&manifest, &rendered.template, &pairs),
        parameters,
        deployed: previous.is_some(),
    })
}

/// Flags `estimate` would ignore (it prices one stack from its template and
/// parameters): refused rather than accepted and dropped.
fn unused_flags(flags: &StackArgs) -> Vec<String> {
    let given = [
        ("--regions", !flags.regions.is_empty()),
        ("--tag", !flags.tags.is_empty()),
        ("--remove-tag", !flags.remove_tags.is_empty()),
        ("--bucket-base", flags.bucket_base.is_some()),
        ("--solution", flags.solution.is_some()),
        ("--solution-version", flags.version.is_some()),
    ];
    given
        .iter()
        .filter(|(_, set)| *set)
        .map(|(flag, _)| {
            format!("{flag}: estimate does not use it (prices come from the pattern, --set and --parameter); leave it out")
        })
        .collect()
}

impl fmt::Display for EstimateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.estimate.summary())?;
        let used: Vec<String> = self
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        write!(
            f,
            "parameters ({}): {}",
            if self.deployed {
                "given, else deployed, else default"
            } else {
                "given, else default"
            },
            used.join(", ")
        )
    }
}

impl Report for EstimateReport {}
