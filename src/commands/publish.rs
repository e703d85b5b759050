//! `streamkit publish`: upload a `build-dist` output, templates to `BASE`
//! and code to `BASE-<region>` for each region, skipping unchanged objects.
//! Every file is checked against `manifest.json` first: a mismatch uploads
//! nothing.

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::config::BucketArgs;
use crate::deploy::assets::{self, ObjectState};
use crate::dist::manifest::DistManifest;
use crate::dist::verify;
use crate::error::Result;
use crate::io::Report;
use crate::progress::Event;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The `build-dist` output directory.
    #[arg(long, default_value = "deployment", value_name = "DIR")]
    pub dist_dir: PathBuf,
    #[command(flatten)]
    pub buckets: BucketArgs,
}

/// How many objects were sent; each one was an `object` event before.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename = "result")]
pub struct PublishReport {
    pub uploaded: usize,
    pub unchanged: usize,
}

pub fn run(ctx: &Context<'_>, args: &PublishArgs) -> Result<PublishReport> {
    let resolved = ctx.resolve(&args.buckets.to_args())?;
    let manifest = DistManifest::load(&args.dist_dir)?;
    verify::verify(&args.dist_dir, &manifest, None)?;
    let base = crate::bucket::base_or_default(
        resolved.stack.bucket_base.as_deref(),
        Some(&manifest.bucket_base),
    );
    let progress = ctx.io.progress();
    aws::block_on(async {
        let aws = Aws::load(&resolved.aws).await?;
        let regions = resolved.regions_or(&aws.region);
        let results = assets::publish(
            &aws,
            &args.dist_dir,
            &manifest,
            &regions,
            &base,
            None,
            &mut |p| progress.emit(Event::Object { object: p.clone() }),
        )
        .await?;
        let uploaded = results
            .iter()
            .filter(|p| p.state == ObjectState::Uploaded)
            .count();
        Ok(PublishReport {
            uploaded,
            unchanged: results.len() - uploaded,
        })
    })
}

impl fmt::Display for PublishReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "published {} objects: {} uploaded, {} unchanged",
            self.uploaded + self.unchanged,
            self.uploaded,
            self.unchanged
        )
    }
}

impl Report for PublishReport {}
