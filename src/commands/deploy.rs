//! `streamkit deploy`: render, check parameters (before any AWS call),
//! publish code for stacks that have it, then change set -> guard -> confirm
//! -> execute -> watch -> outputs, in one region or several in parallel.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use futures::stream::{self, StreamExt};
use serde_json::json;

use crate::aws::{self, Aws};
use crate::catalog::{self, Manifest};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::config::{self, StackArgs};
use crate::deploy::assets::{self, Manifest as DistManifest};
use crate::deploy::events::Poll;
use crate::deploy::ui::Ui;
use crate::deploy::{self, params, DeployRequest, DeployResult};
use crate::error::{Error, Result};
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
}

pub fn run(global: &GlobalArgs, args: &DeployArgs, out: &mut dyn Write) -> Result<()> {
    run_with(global, args, false, out)
}

/// Deploys, or with `plan_only` shows the change set and deletes it (`diff`).
pub(crate) fn run_with(
    global: &GlobalArgs,
    args: &DeployArgs,
    plan_only: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let resolved = config::resolve(global, &args.stack)?;
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
    params::check(&rendered.template, &st.parameters, &manifest.id)?;
    if !plan_only {
        crate::cost::estimate(&manifest.id, &rendered.template, &st.parameters)
            .report(global.output == OutputFormat::Json, out)?;
    }
    let regions = targets(&manifest, st, resolved.aws.region.as_deref())?;
    let json = global.output == OutputFormat::Json;
    let mut tags = vec![("streamkit:pattern".to_string(), manifest.id.clone())];
    tags.extend(st.tags.iter().cloned());

    aws::block_on(async {
        let base = Aws::load(&resolved.aws).await?;
        let regions: Vec<String> = if regions.is_empty() {
            vec![base.region.clone()]
        } else {
            regions
        };
        if let Some(dist) = dist.as_ref().filter(|_| !plan_only) {
            publish_code(&base, args, dist, &regions, st, json, out).await?;
        }
        let requests: Vec<(Aws, DeployRequest)> = regions
            .iter()
            .enumerate()
            .map(|(i, region)| {
                let mut parameters = st.parameters.clone();
                if manifest.id == "cross-region" {
                    parameters.extend(cross_region_parameters(&regions, i));
                }
                let bucket_base = st
                    .bucket_base
                    .clone()
                    .or(dist.as_ref().map(|d| d.bucket_base.clone()));
                let req = DeployRequest {
                    stack: stack_name.clone(),
                    template: rendered.template.clone(),
                    parameters,
                    tags: tags.clone(),
                    allow_replacement: args.allow_replacement,
                    skip_resources: args.skip_resources.clone(),
                    template_bucket: bucket_base.map(|b| (format!("{b}-{region}"), key_prefix(st))),
                    poll: Poll::default(),
                    plan_only,
                };
                (base.in_region(region), req)
            })
            .collect();
        let results = if requests.len() == 1 {
            let (aws, req) = &requests[0];
            vec![deploy::deploy(aws, req, &mut Ui::new(out, json, args.yes)).await]
        } else {
            stream::iter(requests.iter())
                .map(|(aws, req)| async move {
                    let mut stdout = std::io::stdout();
                    let mut ui = Ui::new(&mut stdout, json, args.yes).labelled(&aws.region);
                    deploy::deploy(aws, req, &mut ui).await
                })
                .buffered(REGION_PARALLELISM)
                .collect()
                .await
        };
        let deployed = results.iter().all(Result::is_ok);
        report(results, json, out)?;
        if manifest.id == "cross-region" && deployed && !plan_only {
            seed_active_region(&resolved.aws, &stack_name, &regions, json, out).await?;
        }
        Ok(())
    })
}

/// After the cross-region stack is up in both regions: the active-region
/// config item exists (primary = the first of `--regions`), without ever
/// overwriting one that is already there.
async fn seed_active_region(
    opts: &aws::AwsOptions,
    stack_name: &str,
    regions: &[String],
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let xr = crate::replication::XrStack::resolve(opts, stack_name, regions).await?;
    let (current, wrote, warnings) = xr.seed_config(&regions[0]).await?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let text = if json {
        json!({ "event": "active_region", "stack": stack_name, "active_region": current.active_region, "seeded": wrote }).to_string()
    } else if wrote {
        format!(
            "{stack_name}: active region {} (config item seeded in {})",
            current.active_region, xr.config_table
        )
    } else {
        format!(
            "{stack_name}: active region {} (existing config item kept; change it with `streamkit failover`)",
            current.active_region
        )
    };
    crate::commands::emit(out, &text)
}

/// Prints each region's result; the first failure becomes the error.
fn report(results: Vec<Result<DeployResult>>, json: bool, out: &mut dyn Write) -> Result<()> {
    let mut first_err = None;
    for r in results {
        match r {
            Ok(res) => {
                let text = if json {
                    json!({ "event": "result", "result": res }).to_string()
                } else {
                    res.to_string().trim_end().to_string()
                };
                crate::commands::emit(out, &text)?;
            }
            Err(e) if first_err.is_none() => first_err = Some(e),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Regions to deploy to: `--regions`, else the one region. The cross-region
/// stack needs exactly two (primary first).
fn targets(manifest: &Manifest, st: &StackArgs, region: Option<&str>) -> Result<Vec<String>> {
    let mut regions = st.regions.clone();
    if regions.is_empty() {
        regions.extend(region.map(str::to_string));
    }
    if manifest.id == "cross-region" && regions.len() != 2 {
        return Err(Error::BadInput(
            "the cross-region stack needs --regions PRIMARY,SECONDARY (two different regions)"
                .into(),
        ));
    }
    Ok(regions)
}

fn cross_region_parameters(regions: &[String], index: usize) -> Vec<(String, String)> {
    let role = if index == 0 { "primary" } else { "secondary" };
    vec![
        ("RegionRole".into(), role.into()),
        ("PeerRegion".into(), regions[1 - index.min(1)].clone()),
    ]
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
        bucket_base: st
            .bucket_base
            .clone()
            .unwrap_or_else(|| d.bucket_base.clone()),
        key_prefix: d.key_prefix(),
        files: d
            .assets
            .iter()
            .map(|a| (a.name.clone(), a.file.clone()))
            .collect(),
        architecture: d.architecture.clone().unwrap_or_else(|| "arm64".into()),
    }
}

/// Uploads the stack's code to each region's artifact bucket (hash-skipping).
async fn publish_code(
    base: &Aws,
    args: &DeployArgs,
    dist: &DistManifest,
    regions: &[String],
    st: &StackArgs,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let bucket_base = st
        .bucket_base
        .clone()
        .unwrap_or_else(|| dist.bucket_base.clone());
    assets::ensure_exists(base, &bucket_base).await?;
    for region in regions {
        assets::ensure_exists(&base.in_region(region), &format!("{bucket_base}-{region}")).await?;
    }
    let mut ui = Ui::new(out, json, true);
    let mut lines = Vec::new();
    assets::publish(
        base,
        &args.dist_dir,
        dist,
        regions,
        &bucket_base,
        &mut |p| {
            lines.push(format!("{} s3://{}/{}", p.state, p.bucket, p.key));
        },
    )
    .await?;
    for l in lines {
        ui.info(&l);
    }
    Ok(())
}
