//! `streamkit bootstrap`: the artifact buckets, `BASE` (templates) and
//! `BASE-<region>` (code) for each region; idempotent.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::bucket::{self, Ensured};
use crate::config::BucketArgs;
use crate::error::Result;
use crate::io::{write_lines, JsonForm, Report};
use crate::render::AssetBinding;

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub buckets: BucketArgs,
}

/// One line per bucket; JSON: one object per bucket per line.
#[derive(Debug, Serialize)]
pub struct BootstrapReport(pub Vec<BucketLine>);

#[derive(Debug, Serialize)]
pub struct BucketLine {
    pub bucket: String,
    pub region: String,
    #[serde(flatten)]
    pub ensured: Ensured,
}

pub fn run(ctx: &Context<'_>, args: &BootstrapArgs) -> Result<BootstrapReport> {
    let resolved = ctx.resolve(&args.buckets.to_args())?;
    let base = resolved
        .stack
        .bucket_base
        .clone()
        .unwrap_or_else(|| AssetBinding::default().bucket_base);
    bucket::check_base("--bucket-base", &base)?;
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let regions = resolved.regions_or(&aws.region);
        let mut targets = vec![(aws.clone(), base.clone())];
        targets.extend(
            regions
                .iter()
                .map(|r| (aws.in_region(r), format!("{base}-{r}"))),
        );
        let mut lines = Vec::new();
        for (aws, bucket) in targets {
            let ensured = crate::deploy::assets::ensure_bucket(&aws, &bucket).await?;
            lines.push(BucketLine {
                bucket,
                region: aws.region,
                ensured,
            });
        }
        Ok(BootstrapReport(lines))
    })
}

impl fmt::Display for BootstrapReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.0, |f, b| {
            let tls = if b.ensured.tls_only {
                ", TLS only"
            } else {
                " (no TLS-only policy: plain-HTTP endpoint)"
            };
            write!(
                f,
                "{:<8} s3://{} ({}): encrypted, versioned, public access blocked{tls}",
                b.ensured.state, b.bucket, b.region
            )
        })
    }
}

impl Report for BootstrapReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
