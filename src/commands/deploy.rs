//! `streamkit deploy`: render, check parameters (before any AWS call),
//! publish code for stacks that have it, then change set -> guard -> confirm
//! -> execute -> watch -> outputs, in one region or several in parallel.

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::catalog::{self, Manifest};
use crate::config::StackArgs;
use crate::deploy::events::Poll;
use crate::deploy::{self, assets, params, tables, DeployRequest, DeployResult};
use crate::dist::manifest::DistManifest;
use crate::error::{Error, Result};
use crate::io::{write_lines, JsonForm, Progress, Report};
use crate::preflight::{self, PreflightReport};
use crate::progress::Event;
use crate::render::{self, AssetBinding, RenderOptions};

/// Regions deployed at once with `--regions`.
const REGION_PARALLELISM: usize = 4;

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Allow replacing or deleting a stream, bucket or table (their data is lost).
    #[arg(long)]
    pub allow_replacement: bool,
    /// Resources to skip when continuing a rollback from UPDATE_ROLLBACK_FAILED.
    #[arg(long, value_delimiter = ',', value_name = "ID,ID")]
    pub skip_resources: Vec<String>,
    /// `build-dist` output with the code of stacks that have code.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
    /// The CloudFormation service role to deploy with (passed to
    /// CreateChangeSet; the preflight simulates it for the resources' actions).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Skip the IAM preflight (the simulation of every permission the change needs).
    #[arg(long)]
    pub skip_preflight: bool,
    /// Stop after the IAM preflight (`streamkit preflight`).
    #[arg(skip)]
    pub preflight_only: bool,
    /// Create the change set and leave it for review instead of executing it (prints how to execute it).
    #[arg(long)]
    pub no_execute: bool,
    /// Turn on termination protection once deployed (DeleteStack then fails; `destroy` refuses the stack and says how to turn it off).
    #[arg(long)]
    pub termination_protection: bool,
}

/// Each region's result, then (region pairs) the active region.
#[derive(Debug, Default)]
pub struct DeployReport {
    /// `streamkit preflight`: each region's preflight (nothing else ran).
    pub preflight: Vec<PreflightReport>,
    pub results: Vec<DeployResult>,
    pub active_region: Option<ActiveRegion>,
    /// The first region that failed (the others were `error` events).
    pub failure: Option<Error>,
}

/// The active region of a region pair after a deploy.
#[derive(Debug, Serialize)]
pub struct ActiveRegion {
    pub stack: String,
    pub active_region: String,
    /// This deploy wrote the config item (it was absent).
    pub seeded: bool,
    #[serde(skip)]
    pub config_table: String,
}

pub fn run(ctx: &Context<'_>, args: &DeployArgs) -> Result<DeployReport> {
    run_with(ctx, args, false)
}

/// Deploys, or with `plan_only` shows the change set and deletes it (`diff`).
pub(crate) fn run_with(
    ctx: &Context<'_>,
    args: &DeployArgs,
    plan_only: bool,
) -> Result<DeployReport> {
    let resolved = ctx.resolve_unchecked(&args.stack)?;
    let st = &resolved.stack;
    let pattern = st.pattern.as_deref().ok_or_else(|| {
        Error::BadInput(
            "--pattern is required (or `pattern` in the streamkit.toml environment)".into(),
        )
    })?;
    let manifest = catalog::find(pattern)?;
    let stack_name = st.stack_name()?;
    let dist = if manifest.assets.is_empty() {
        None
    } else {
        Some(DistManifest::load(&args.dist_dir)?)
    };
    let rendered = render::render(
        &manifest,
        &RenderOptions {
            settings: st.settings.clone(),
            assets: binding(dist.as_ref(), st),
        },
    )?;
    // One validation pass before any AWS call: every problem at once.
    let mut problems = resolved.problems();
    // Both would leave one of them unused (the deploy went to --regions only).
    if let (Some(region), false) = (&ctx.global.region, st.regions.is_empty()) {
        problems.push(format!(
            "--region {region} with --regions {}: give the regions in --regions alone (--region is the region of a single-region deploy)",
            st.regions.join(",")
        ));
    }
    if let Some(role) = &args.role_arn {
        if let Err(e) = preflight::check_role_arn(role) {
            problems.push(e.to_string());
        }
    }
    problems.extend(params::problems(
        &rendered.template,
        &st.parameters,
        manifest.id.as_str(),
    ));
    if let Some(dist) = dist.as_ref() {
        problems.extend(dist.missing_for(&args.dist_dir, &manifest));
    }
    if let Some(dist) = dist.as_ref().filter(|_| !plan_only) {
        match crate::dist::verify::verify(&args.dist_dir, dist, Some(&manifest.assets)) {
            Ok(()) => {}
            Err(Error::Invalid(found)) => problems.extend(found),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let progress = ctx.io.progress();
    let regions = targets(&manifest, st, resolved.aws.region.as_deref())?;
    let mut tags = vec![(
        crate::validate::input::PATTERN_TAG.to_string(),
        manifest.id.to_string(),
    )];
    tags.extend(st.tags.iter().cloned());

    aws::block_on(async {
        let base = Aws::load(&resolved.aws).await?;
        let regions: Vec<String> = if regions.is_empty() {
            vec![base.region.clone()]
        } else {
            regions
        };
        let bucket_base = st
            .bucket_base
            .clone()
            .or(dist.as_ref().map(|d| d.bucket_base.clone()));
        let requests: Vec<(Aws, DeployRequest)> = regions
            .iter()
            .enumerate()
            .map(|(i, region)| {
                let mut parameters = st.parameters.clone();
                parameters.extend(manifest.region_parameters(&regions, i));
                let req = DeployRequest {
                    stack: stack_name.clone(),
                    template: rendered.template.clone(),
                    parameters,
                    tags: tags.clone(),
                    remove_tags: st.remove_tags.clone(),
                    allow_replacement: args.allow_replacement,
                    yes: args.yes,
                    skip_resources: args.skip_resources.clone(),
                    template_bucket: bucket_base
                        .as_ref()
                        .map(|b| (format!("{b}-{region}"), key_prefix(st))),
                    poll: Poll::default(),
                    plan_only,
                    role_arn: args.role_arn.clone(),
                    no_execute: args.no_execute,
                    termination_protection: args.termination_protection,
                };
                (base.in_region(region), req)
            })
            .collect();
        // Read-only: every missing parameter, before any bucket or upload.
        let mut deployed = Vec::new();
        for (aws, req) in &requests {
            deployed.push(deploy::preflight(aws, req).await?);
        }
        if !plan_only && !args.preflight_only {
            // On an update, parameters not given keep their deployed values:
            // priced as they will be (the first region's, as the stack's).
            let pairs = params::given_or_deployed(
                &rendered.template,
                &st.parameters,
                deployed.first().and_then(Option::as_ref),
            );
            let estimate = crate::cost::estimate::estimate(&manifest, &rendered.template, &pairs);
            progress.emit(Event::CostEstimate { estimate });
        }
        // After the estimate, before anything is changed (tables, uploads, change sets).
        if !plan_only && !args.skip_preflight {
            let mut reports = Vec::new();
            for ((aws, req), previous) in requests.iter().zip(&deployed) {
                let artifacts = artifacts(
                    dist.as_ref(),
                    &manifest,
                    bucket_base.as_deref(),
                    st,
                    &aws.region,
                );
                let report = iam_preflight(aws, req, previous.as_ref(), artifacts).await?;
                if args.preflight_only {
                    reports.push(report);
                    continue;
                }
                progress.emit(Event::Preflight {
                    report: Box::new(report.clone()),
                });
                report.into_result()?;
            }
            if args.preflight_only {
                return Ok(DeployReport {
                    preflight: reports,
                    ..DeployReport::default()
                });
            }
        }
        if !plan_only {
            let pairs = requests.iter().zip(deployed.iter().map(Option::is_some));
            tables::clear_leftovers(pairs, args.allow_replacement, &progress).await?;
        }
        if let Some(dist) = dist.as_ref().filter(|_| !plan_only) {
            let code = Code {
                dist,
                assets: &manifest.assets,
            };
            publish_code(&base, args, &code, &regions, st, &progress).await?;
        }
        let results = if requests.len() == 1 {
            let (aws, req) = &requests[0];
            vec![deploy::deploy(aws, req, &progress).await]
        } else {
            stream::iter(requests.iter())
                .map(|(aws, req)| async move {
                    let progress = ctx.io.progress().labelled(&aws.region);
                    deploy::deploy(aws, req, &progress).await
                })
                .buffered(REGION_PARALLELISM)
                .collect()
                .await
        };
        let mut report = DeployReport::default();
        for r in results {
            match r {
                Ok(res) => report.results.push(res),
                Err(e) if report.failure.is_none() => report.failure = Some(e),
                Err(e) => progress.emit(Event::Error {
                    message: e.to_string(),
                }),
            }
        }
        let seed = manifest
            .deployment
            .region_pair
            .as_ref()
            .is_some_and(|p| p.seed_active_region);
        if seed && report.failure.is_none() && !plan_only {
            report.active_region =
                Some(seed_active_region(&resolved.aws, &stack_name, &regions, &progress).await?);
        }
        Ok(report)
    })
}

/// The IAM preflight of one region's deploy: the deployed template (an
/// update) is read so only what changes is simulated.
async fn iam_preflight(
    aws: &Aws,
    req: &DeployRequest,
    previous: Option<&std::collections::BTreeMap<String, String>>,
    artifacts: Vec<(String, String)>,
) -> Result<PreflightReport> {
    let cfn = aws.cloudformation();
    if let Some(s) = deploy::stack::describe(&cfn, aws, &req.stack).await? {
        if s.status.in_progress() {
            return Ok(preflight::busy(&req.stack, &aws.region, s.status.as_str()));
        }
    }
    let deployed = match previous {
        Some(_) => Some(deploy::stack::template(&cfn, aws, &req.stack).await?),
        None => None,
    };
    let params = params::effective(&req.template, &req.parameters, previous);
    preflight::check(
        aws,
        &preflight::Request {
            stack: &req.stack,
            template: &req.template,
            params: &params,
            deployed: deployed.as_ref().zip(previous),
            artifacts,
            role_arn: req.role_arn.as_deref(),
        },
    )
    .await
}

/// The code objects a deploy uploads into a region's artifact bucket.
fn artifacts(
    dist: Option<&DistManifest>,
    manifest: &Manifest,
    bucket_base: Option<&str>,
    st: &StackArgs,
    region: &str,
) -> Vec<(String, String)> {
    let Some(dist) = dist else {
        return Vec::new();
    };
    let base = crate::bucket::base_or_default(
        st.bucket_base.as_deref().or(bucket_base),
        Some(&dist.bucket_base),
    );
    dist.assets
        .iter()
        .filter(|a| manifest.assets.contains(&a.name))
        .map(|a| {
            (
                format!("{base}-{region}"),
                format!("{}{}", dist.key_prefix, a.file),
            )
        })
        .collect()
}

/// After a region pair is up in both regions: the active-region config item
/// exists (primary = the first of `--regions`), without ever overwriting one
/// that is already there.
async fn seed_active_region(
    opts: &aws::AwsOptions,
    stack_name: &str,
    regions: &[String],
    progress: &Progress<'_>,
) -> Result<ActiveRegion> {
    let xr = crate::replication::XrStack::resolve(opts, stack_name, regions).await?;
    let (current, wrote, warnings) = xr.seed_config(&regions[0]).await?;
    for message in warnings {
        progress.emit(Event::Warning { message });
    }
    Ok(ActiveRegion {
        stack: stack_name.to_string(),
        active_region: current.active_region,
        seeded: wrote,
        config_table: xr.config_table,
    })
}

/// Regions to deploy to: `--regions`, else the one region. A region pair
/// needs exactly two (in the order of its roles).
fn targets(manifest: &Manifest, st: &StackArgs, region: Option<&str>) -> Result<Vec<String>> {
    let mut regions = st.regions.clone();
    if regions.is_empty() {
        regions.extend(region.map(str::to_string));
    }
    if let Some(pair) = &manifest.deployment.region_pair {
        if regions.len() != pair.roles.len() {
            let roles: Vec<String> = pair.roles.iter().map(|r| r.to_uppercase()).collect();
            return Err(Error::BadInput(format!(
                "the {} stack needs --regions {} (two different regions)",
                manifest.id,
                roles.join(",")
            )));
        }
    }
    Ok(regions)
}

fn key_prefix(st: &StackArgs) -> String {
    format!(
        "{}/{}/",
        st.solution.as_deref().unwrap_or("streamkit"),
        st.version.as_deref().unwrap_or("dev")
    )
}

/// Where the template's code locations point: the `build-dist` output when
/// the stack has code, else the defaults.
fn binding(dist: Option<&DistManifest>, st: &StackArgs) -> AssetBinding {
    let Some(d) = dist else {
        return AssetBinding::default();
    };
    AssetBinding {
        bucket_base: crate::bucket::base_or_default(
            st.bucket_base.as_deref(),
            Some(&d.bucket_base),
        ),
        key_prefix: d.key_prefix.clone(),
        files: d
            .assets
            .iter()
            .map(|a| (a.name.clone(), a.file.clone()))
            .collect(),
        architecture: d.architecture.name().to_string(),
    }
}

/// The `build-dist` output and the names of the stack's own assets in it.
struct Code<'a> {
    dist: &'a DistManifest,
    assets: &'a [String],
}

/// Uploads the stack's own code (its assets only, no templates) to each
/// region's artifact bucket (checksum-skipping).
async fn publish_code(
    base: &Aws,
    args: &DeployArgs,
    code: &Code<'_>,
    regions: &[String],
    st: &StackArgs,
    progress: &Progress<'_>,
) -> Result<()> {
    let bucket_base =
        crate::bucket::base_or_default(st.bucket_base.as_deref(), Some(&code.dist.bucket_base));
    for region in regions {
        assets::ensure_exists(&base.in_region(region), &format!("{bucket_base}-{region}")).await?;
    }
    assets::publish(
        base,
        &args.dist_dir,
        code.dist,
        regions,
        &bucket_base,
        Some(code.assets),
        &mut |p| progress.emit(Event::Object { object: p.clone() }),
    )
    .await?;
    Ok(())
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.preflight, |f, r| write!(f, "{r}"))?;
        write_lines(f, &self.results, |f, r| {
            write!(f, "{}", r.to_string().trim_end())
        })?;
        if let Some(a) = &self.active_region {
            if !self.results.is_empty() {
                writeln!(f)?;
            }
            if a.seeded {
                write!(
                    f,
                    "{}: active region {} (config item seeded in {})",
                    a.stack, a.active_region, a.config_table
                )?;
            } else {
                write!(
                    f,
                    "{}: active region {} (existing config item kept; change it with `streamkit failover`)",
                    a.stack, a.active_region
                )?;
            }
        }
        Ok(())
    }
}

/// JSON: `{"event":"result","result":{...}}` per region, then `{"event":"active_region",...}`.
impl Serialize for DeployReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "event", rename_all = "snake_case")]
        enum Line<'a> {
            Preflight(&'a PreflightReport),
            Result(&'a DeployResult),
            ActiveRegion(&'a ActiveRegion),
        }
        let mut lines: Vec<Line<'_>> = self.preflight.iter().map(Line::Preflight).collect();
        lines.extend(self.results.iter().map(Line::Result));
        lines.extend(self.active_region.iter().map(Line::ActiveRegion));
        lines.serialize(s)
    }
}

impl Report for DeployReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }

    fn outcome(self) -> Result<()> {
        for report in self.preflight {
            report.into_result()?;
        }
        self.failure.map_or(Ok(()), Err)
    }
}
