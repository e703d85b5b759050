//! `streamkit destroy [--regions A,B] [--delete-data] [--yes]`: delete a
//! stack (in each region of a pair); data buckets and retained tables stay,
//! named in the result, unless `--delete-data`.

use std::fmt;

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::aws::{self, Aws};
use crate::config::StackRef;
use crate::deploy::destroy::{self, DestroyOutcome, Destroyed};
use crate::deploy::events::Poll;
use crate::deploy::retained;
use crate::deploy::stack;
use crate::error::{Error, Result};
use crate::io::{write_lines, JsonForm, Report};

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub stack: StackRef,
    /// Regions the stack is deployed in, comma-separated (a region pair: both); default: the current region.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub regions: Vec<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Also delete the data the stack retains: empty and delete its data buckets, delete its retained tables with every replica.
    #[arg(long)]
    pub delete_data: bool,
}

/// The stack is gone in every region; what stayed and what was deleted, per
/// region (JSON: one result line per region).
#[derive(Debug)]
pub struct DestroyReport {
    pub regions: Vec<Destroyed>,
}

/// JSON: `{"event":"result","result":"deleted"|"already_deleted"|"nothing_to_delete",...}` per region.
impl Serialize for DestroyReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "event", rename = "result")]
        struct Line<'a> {
            #[serde(flatten)]
            destroyed: &'a Destroyed,
        }
        let lines: Vec<Line<'_>> = self
            .regions
            .iter()
            .map(|destroyed| Line { destroyed })
            .collect();
        lines.serialize(s)
    }
}

pub fn run(ctx: &Context<'_>, args: &DestroyArgs) -> Result<DestroyReport> {
    let mut wanted = args.stack.to_args();
    wanted.regions = args.regions.clone();
    let resolved = ctx.resolve(&wanted)?;
    aws::block_on(async {
        let name = resolved.stack.stack_name()?;
        let home = Aws::load(&resolved.aws).await?;
        let regions = if args.regions.is_empty() {
            vec![home.region.clone()]
        } else {
            args.regions.clone()
        };
        // Every region's stack (or what a deleted one retained) is looked up
        // before anything is deleted.
        let mut stacks = Vec::new();
        for region in &regions {
            let aws = home.in_region(region);
            let (found, data) = match stack::describe(&aws.cloudformation(), &aws, &name).await? {
                Some(found) => {
                    let data = destroy::data(&aws, &found).await?;
                    (Some(found), data)
                }
                None => (None, retained::left_by_deleted(&aws, &name).await?),
            };
            stacks.push((aws, found, data));
        }
        // A protected stack: refused before anything is emptied or deleted.
        let protected: Vec<String> = stacks
            .iter()
            .filter(|(_, found, _)| found.as_ref().is_some_and(|s| s.termination_protection))
            .map(|(aws, _, _)| {
                format!(
                    "stack {name} in {} has termination protection; nothing was deleted. Turn it off first: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {name} --region {}",
                    aws.region, aws.region
                )
            })
            .collect();
        if !protected.is_empty() {
            return Err(Error::Invalid(protected));
        }
        let retained = |list: &[destroy::StackBucket]| {
            list.iter()
                .filter(|r| r.retained)
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
        };
        let (mut buckets, mut tables) = (Vec::new(), Vec::new());
        for (_, found, data) in &stacks {
            if found.is_some() || args.delete_data {
                buckets.extend(retained(&data.buckets));
                tables.extend(retained(&data.tables));
            }
        }
        let mut kept = Vec::new();
        if !buckets.is_empty() {
            kept.push(format!("data buckets {}", buckets.join(", ")));
        }
        if !tables.is_empty() {
            kept.push(format!("tables {} (every replica)", tables.join(", ")));
        }
        let live: Vec<&str> = stacks
            .iter()
            .filter(|(_, found, _)| found.is_some())
            .map(|(aws, _, _)| aws.region.as_str())
            .collect();
        let question = if live.is_empty() {
            (args.delete_data && !kept.is_empty()).then(|| {
                format!(
                    "Stack {name} is already deleted; DELETE the data it retained in {}?",
                    kept.join(" and ")
                )
            })
        } else {
            let data = match (args.delete_data, kept.is_empty()) {
                (_, true) => String::new(),
                (true, false) => format!(" and DELETE the data in {}", kept.join(" and ")),
                (false, false) => format!("; {} are kept", kept.join(" and ")),
            };
            Some(format!(
                "Delete stack {name} in {}{data}?",
                live.join(" and ")
            ))
        };
        let progress = ctx.io.progress();
        if let Some(question) = question {
            if !args.yes && !progress.confirm(&question)? {
                return Err(Error::BadInput(format!(
                    "destroy of {name} cancelled; nothing was changed"
                )));
            }
        }
        let mut regions = Vec::new();
        for (aws, info, data) in &stacks {
            let progress = if stacks.len() > 1 {
                ctx.io.progress().labelled(&aws.region)
            } else {
                ctx.io.progress()
            };
            let destroyed = match info {
                Some(info) => {
                    destroy::destroy(
                        aws,
                        info,
                        data,
                        args.delete_data,
                        Poll::default(),
                        &progress,
                    )
                    .await?
                }
                None if data.is_empty() => {
                    Destroyed::new(&name, aws, DestroyOutcome::NothingToDelete)
                }
                None => {
                    let mut d = Destroyed::new(&name, aws, DestroyOutcome::AlreadyDeleted);
                    destroy::retained(
                        aws,
                        data,
                        args.delete_data,
                        Poll::default(),
                        &progress,
                        &mut d,
                    )
                    .await?;
                    d
                }
            };
            regions.push(destroyed);
        }
        Ok(DestroyReport { regions })
    })
}

impl fmt::Display for DestroyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.regions, |f, d| {
            match d.result {
                DestroyOutcome::Deleted => write!(f, "{} ({}): deleted", d.stack, d.region)?,
                DestroyOutcome::AlreadyDeleted => {
                    write!(f, "{} ({}): already deleted", d.stack, d.region)?
                }
                DestroyOutcome::NothingToDelete => write!(
                    f,
                    "{} ({}): nothing to delete (no such stack, and nothing retained by one deleted before)",
                    d.stack, d.region
                )?,
            }
            for b in &d.kept {
                write!(f, "\n  kept bucket {b} with its data (retained; `destroy --delete-data` removes data buckets too)")?;
            }
            for t in &d.kept_tables {
                write!(f, "\n  kept table {t} with its items in every replica region (retained; `destroy --delete-data` removes it too)")?;
            }
            for b in &d.deleted {
                write!(f, "\n  deleted bucket {b}")?;
            }
            for t in &d.deleted_tables {
                write!(f, "\n  deleted table {t} with every replica")?;
            }
            Ok(())
        })
    }
}

impl Report for DestroyReport {
    fn json_form(&self) -> JsonForm {
        JsonForm::Lines
    }
}
