//! `streamkit publish`: upload a `build-dist` output, templates to `BASE`
//! and code to `BASE-<region>` for each region, skipping unchanged objects.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackArgs};
use crate::deploy::assets::{self, Manifest};
use crate::error::Result;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The `build-dist` output directory.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
    /// Artifact bucket base (default: the one the output was built for).
    #[arg(long)]
    pub bucket_base: Option<String>,
    /// Regions whose code bucket receives the code, comma-separated (default: the current region).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
}

pub fn run(global: &GlobalArgs, args: &PublishArgs, out: &mut dyn Write) -> Result<()> {
    let flags = StackArgs {
        bucket_base: args.bucket_base.clone(),
        regions: args.regions.clone(),
        ..StackArgs::default()
    };
    let resolved = config::resolve(global, &flags)?;
    let manifest = Manifest::load(&args.dist_dir)?;
    let base = resolved
        .stack
        .bucket_base
        .clone()
        .unwrap_or_else(|| manifest.bucket_base.clone());
    let json = global.output == OutputFormat::Json;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let mut regions = resolved.stack.regions.clone();
        if regions.is_empty() {
            regions.push(aws.region.clone());
        }
        let mut lines = Vec::new();
        let results = assets::publish(&aws, &args.dist_dir, &manifest, &regions, &base, &mut |p| {
            if !json {
                eprintln!(
                    "{:<9} s3://{}/{} ({} bytes)",
                    p.state, p.bucket, p.key, p.bytes
                );
            }
            lines.push(json!({ "event": "object", "object": p }).to_string());
        })
        .await?;
        let uploaded = results.iter().filter(|p| p.state == "uploaded").count();
        if json {
            for l in lines {
                emit(out, &l)?;
            }
            let summary = json!({ "event": "result", "uploaded": uploaded, "unchanged": results.len() - uploaded });
            return emit(out, &summary.to_string());
        }
        emit(
            out,
            &format!(
                "published {} objects: {uploaded} uploaded, {} unchanged",
                results.len(),
                results.len() - uploaded
            ),
        )
    })
}
