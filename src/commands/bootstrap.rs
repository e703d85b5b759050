//! `streamkit bootstrap`: the artifact buckets, `BASE` (templates) and
//! `BASE-<region>` (code) for each region; idempotent.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::aws::{self, Aws};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::commands::emit;
use crate::config::{self, StackArgs};
use crate::deploy::assets;
use crate::error::Result;
use crate::render::AssetBinding;

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Artifact bucket base name (default: `bucket_base` in streamkit.toml, else streamkit-assets).
    #[arg(long)]
    pub bucket_base: Option<String>,
    /// Regions that get a code bucket, comma-separated (default: the current region).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
}

pub fn run(global: &GlobalArgs, args: &BootstrapArgs, out: &mut dyn Write) -> Result<()> {
    let flags = StackArgs {
        bucket_base: args.bucket_base.clone(),
        regions: args.regions.clone(),
        ..StackArgs::default()
    };
    let resolved = config::resolve(global, &flags)?;
    let base = resolved
        .stack
        .bucket_base
        .clone()
        .unwrap_or_else(|| AssetBinding::default().bucket_base);
    assets::check_bucket_base(&base)?;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let mut regions = resolved.stack.regions.clone();
        if regions.is_empty() {
            regions.push(aws.region.clone());
        }
        let mut targets = vec![(aws.clone(), base.clone())];
        targets.extend(
            regions
                .iter()
                .map(|r| (aws.in_region(r), format!("{base}-{r}"))),
        );
        for (aws, bucket) in targets {
            let state = assets::ensure_bucket(&aws, &bucket).await?;
            let line = match global.output {
                OutputFormat::Json => {
                    json!({ "bucket": bucket, "region": aws.region, "state": state }).to_string()
                }
                OutputFormat::Text => {
                    let tls = if state.contains("TLS") {
                        ""
                    } else {
                        ", TLS only"
                    };
                    format!("{state:<8} s3://{bucket} ({}): encrypted, versioned, public access blocked{tls}", aws.region)
                }
            };
            emit(out, &line)?;
        }
        Ok(())
    })
}
