//! `streamkit bootstrap`: the artifact buckets, `BASE` (templates) and
//! `BASE-<region>` (code) for each region; idempotent.

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::bucket::{self, Ensured};
use crate::config::BucketArgs;
use crate::dist::manifest::DistManifest;
use crate::error::Result;
use crate::io::{write_lines, JsonForm, Report};

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub buckets: BucketArgs,
    /// build-dist output whose bucket base is the default (when it exists), as for publish and deploy.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
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
    let dist = if args.dist_dir.join(crate::dist::MANIFEST_FILE).exists() {
        Some(DistManifest::load(&args.dist_dir)?)
    } else {
        None
    };
    let base = bucket::base_or_default(
        resolved.stack.bucket_base.as_deref(),
        dist.as_ref().map(|d| d.bucket_base.as_str()),
    );
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
            let e = &b.ensured;
            if !e.differences.is_empty() {
                write!(
                    f,
                    "{:<8} s3://{} ({}): left as it is; {} setting(s) differ from streamkit's:",
                    e.state,
                    b.bucket,
                    b.region,
                    e.differences.len()
                )?;
                for d in &e.differences {
                    write!(f, "\n  s3://{} {d}", b.bucket)?;
                }
                return Ok(());
            }
            let tls = if e.tls_only {
                ", TLS only"
            } else {
                " (no TLS-only policy: plain-HTTP endpoint)"
            };
            write!(
                f,
                "{:<8} s3://{} ({}): encrypted, versioned, public access blocked{tls}",
                e.state, b.bucket, b.region
            )
        })
    }
}

impl Report for BootstrapReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
