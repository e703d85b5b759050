//! `local up` once the stack is deployed: where to look (outputs, with local
//! API URLs; output buckets; log groups; the environment to point other tools
//! at the emulator), then a summary line every `--interval` seconds until
//! Ctrl-C, the first output objects (`--until-output`), or `--timeout`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::aws::Aws;
use crate::deploy::stack as cfn_stack;
use crate::error::{Error, Result};
use crate::io::Progress;
use crate::local::denials;
use crate::local::outputs::{self, OutputObject};
use crate::local::stack::Resources;
use crate::local::summary::{self, Summary};
use crate::local_url::localize;
use crate::progress::Event;

/// Why following the stack ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The first output objects were written (`--until-output`).
    Output,
    /// Ctrl-C (or SIGTERM).
    Interrupted,
    /// `--timeout` passed (without `--until-output`).
    Timeout,
    /// `--keep` without `--until-output`: done once deployed.
    Deployed,
}

pub struct FollowOptions<'a> {
    pub until_output: bool,
    pub keep: bool,
    pub timeout: Option<u64>,
    pub interval: u64,
    pub save: Option<&'a Path>,
    /// IAM enforced: the summary counts the emulator's denials.
    pub iam: bool,
}

pub async fn follow(
    aws: &Aws,
    stack: &str,
    opts: &FollowOptions<'_>,
    progress: &Progress<'_>,
    interrupted: &dyn Fn() -> bool,
    log: &Path,
) -> Result<(Ended, Vec<OutputObject>)> {
    let resources = Resources::of(aws, stack).await?;
    point_at(aws, stack, &resources, progress).await?;
    if opts.keep && !opts.until_output {
        return Ok((Ended::Deployed, Vec::new()));
    }
    let since = SystemTime::now();
    let started = Instant::now();
    let deadline = opts.timeout.map(|t| started + Duration::from_secs(t));
    // The last summary shown, less its elapsed time: an unchanged one is not
    // printed again (a quiet stack printed the same line every --interval).
    let mut shown: Option<String> = None;
    loop {
        let seconds = started.elapsed().as_secs();
        let mut summary = summary::read(aws, &resources, stack, since, seconds).await?;
        summary.denials = opts.iam.then(|| denials::count(log));
        let objects = summary.objects();
        let content = Summary {
            seconds: 0,
            ..summary.clone()
        }
        .to_string();
        if shown.as_ref() != Some(&content) {
            shown = Some(content);
            progress.emit(Event::LocalSummary { summary });
        }
        if opts.until_output && objects > 0 {
            let written = outputs::read(aws, &resources.buckets, opts.save).await?;
            return Ok((Ended::Output, written));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            if opts.until_output {
                return Err(Error::Local(format!(
                    "no output object in {} within --timeout {}s; look at the log groups above and the emulator log {}",
                    resources.buckets.join(", "),
                    opts.timeout.unwrap_or_default(),
                    log.display()
                )));
            }
            return Ok((Ended::Timeout, Vec::new()));
        }
        let next = Instant::now() + Duration::from_secs(opts.interval);
        while Instant::now() < next {
            if interrupted() {
                return Ok((Ended::Interrupted, Vec::new()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One line per output (local form of API URLs), output bucket and log group,
/// and the environment that points the AWS CLI or SDKs at the emulator.
async fn point_at(aws: &Aws, stack: &str, r: &Resources, progress: &Progress<'_>) -> Result<()> {
    let place = |what: &str, name: &str, value: &str| {
        progress.emit(Event::LocalPlace {
            what: what.into(),
            name: name.into(),
            value: value.into(),
        })
    };
    let info = cfn_stack::require(&aws.cloudformation(), aws, stack).await?;
    let endpoint = aws.endpoint.as_deref();
    for o in &info.outputs {
        let value = localize(&o.value, endpoint);
        let what = if value != o.value { "api" } else { "output" };
        place(what, &o.key, &value);
    }
    for b in &r.buckets {
        place("bucket", "", &format!("s3://{b}"));
    }
    for g in &r.log_groups {
        place("log group", "", g);
    }
    place(
        "env",
        "",
        &format!(
            "AWS_ENDPOINT_URL={} AWS_REGION={} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
            endpoint.unwrap_or_default(),
            aws.region
        ),
    );
    // A ready command to send a record yourself (pattern 3 has no producer).
    for s in &r.streams {
        place(
            "send",
            "",
            &format!(
                "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws kinesis put-record --endpoint-url {} --region {} --stream-name {s} --partition-key demo --cli-binary-format raw-in-base64-out --data '{{\"hello\":\"streamkit\"}}'",
                endpoint.unwrap_or_default(),
                aws.region
            ),
        );
    }
    Ok(())
}
