//! Cross-region operations: find a replication stack's stream and tables in
//! both regions, read and flip the active-region config item, report
//! replication progress per region and shard, and run the replicator locally.
//!
//! The config and checkpoint tables are DynamoDB global tables: every region
//! has its own replica, and streamkit reads each region's replica. A flip is
//! written to every reachable replica (conditionally), so it takes effect
//! even where table replication is slow or absent (the local emulator).

pub mod deployed;
mod retry;
pub mod runner;
pub mod status;
pub mod takeover;
pub mod tally;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::aws::{Aws, AwsOptions};
use crate::deploy::stack;
use crate::error::{Error, Result};

/// Attribute of the config item: when the current active region took over
/// (seconds since the epoch). Records that arrived in that region's stream
/// before this instant came from the other region and are never sent back.
pub const ACTIVE_SINCE: &str = "activeSince";

/// A deployed cross-region stack: names and one AWS handle per region.
#[derive(Debug, Clone)]
pub struct XrStack {
    pub stack_name: String,
    pub stream: String,
    pub config_table: String,
    pub checkpoint_table: String,
    /// The two regions, the one the stack was found in first.
    pub regions: Vec<String>,
    pub aws: Vec<Aws>,
}

/// The active-region config item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActiveConfig {
    pub active_region: String,
    /// When it became active (seconds since the epoch), if recorded.
    pub active_since: Option<f64>,
}

impl XrStack {
    /// Finds the stack: `regions` (A,B) when given, else the `--region` and
    /// the stack's `PeerRegion` parameter. Stream and table names come from
    /// the stack's `StreamName` output (tables are `<stream>-replication-*`).
    pub async fn resolve(
        opts: &AwsOptions,
        stack_name: &str,
        regions: &[String],
    ) -> Result<XrStack> {
        for r in regions {
            check_region_name(r)?;
        }
        if regions.len() > 2 || (regions.len() == 2 && regions[0] == regions[1]) {
            return Err(Error::BadInput(format!(
                "--regions takes the stack's two regions, A,B (got {})",
                regions.join(",")
            )));
        }
        let mut opts = opts.clone();
        if let Some(first) = regions.first() {
            opts.region = Some(first.clone());
        }
        let base = Aws::load(&opts).await?;
        // With both regions named, the peer stack is looked up at the same time.
        let named_peer = regions.get(1).map(|r| base.in_region(r));
        let peer_lookup: futures::future::OptionFuture<_> = named_peer
            .as_ref()
            .map(|other| async move {
                stack::describe(&other.cloudformation(), other, stack_name).await
            })
            .into();
        let cfn = base.cloudformation();
        let (info, peer_found) = tokio::join!(stack::require(&cfn, &base, stack_name), peer_lookup);
        let info = info?;
        let output = |k: &str| {
            info.outputs
                .iter()
                .find(|o| o.key == k)
                .map(|o| o.value.clone())
        };
        let stream = output("StreamName")
            .or_else(|| info.parameters.get("StreamName").cloned())
            .ok_or_else(|| {
                Error::BadInput(format!(
                    "stack {stack_name} in {} is not a cross-region replication stack (no StreamName output)",
                    base.region
                ))
            })?;
        let peer = info.parameters.get("PeerRegion").cloned().ok_or_else(|| {
            Error::BadInput(format!(
                "stack {stack_name} in {} has no PeerRegion parameter: not a cross-region replication stack",
                base.region
            ))
        })?;
        if let Some(second) = regions.get(1) {
            if *second != peer {
                return Err(Error::BadInput(format!(
                    "region {second} is not one of stack {stack_name}'s two regions ({}, {peer})",
                    base.region
                )));
            }
        }
        let other = named_peer.unwrap_or_else(|| base.in_region(&peer));
        // The peer stack must exist; an unreachable peer region is tolerated
        // (failing over away from a lost region is the point).
        let peer_found = match peer_found {
            Some(found) => found,
            None => stack::describe(&other.cloudformation(), &other, stack_name).await,
        };
        if let Ok(None) = peer_found {
            return Err(Error::BadInput(format!(
                "stack {stack_name} does not exist in {peer}, the PeerRegion of the stack in {}",
                base.region
            )));
        }
        Ok(XrStack {
            stack_name: stack_name.to_string(),
            config_table: format!("{stream}-replication-config"),
            checkpoint_table: format!("{stream}-replication-checkpoints"),
            stream,
            regions: vec![base.region.clone(), peer],
            aws: vec![base, other],
        })
    }

    pub fn aws_of(&self, region: &str) -> Result<&Aws> {
        self.regions
            .iter()
            .position(|r| r == region)
            .map(|i| &self.aws[i])
            .ok_or_else(|| {
                Error::BadInput(format!(
                    "region {region} is not one of stack {}'s two regions ({})",
                    self.stack_name,
                    self.regions.join(", ")
                ))
            })
    }

    pub fn other_region(&self, region: &str) -> &str {
        if self.regions[0] == region {
            &self.regions[1]
        } else {
            &self.regions[0]
        }
    }

    /// The config item in `region`'s replica; `None` when the item is absent.
    /// A present but malformed item is bad input (exit 2).
    pub async fn read_config(&self, region: &str) -> Result<Option<ActiveConfig>> {
        let aws = self.aws_of(region)?;
        let resp = aws_sdk_dynamodb::Client::new(&aws.config)
            .get_item()
            .table_name(&self.config_table)
            .key("streamName", AttributeValue::S(self.stream.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| aws.error("dynamodb", "GetItem", e))?;
        let Some(item) = resp.item() else {
            return Ok(None);
        };
        let active = item
            .get("activeRegion")
            .and_then(|v| v.as_s().ok())
            .filter(|r| self.regions.contains(r))
            .ok_or_else(|| {
                Error::BadInput(format!(
                    "the config item of stream {} in table {} ({region}) is malformed: activeRegion must be the string {} or {}; fix it with `aws dynamodb put-item` before failing over",
                    self.stream, self.config_table, self.regions[0], self.regions[1]
                ))
            })?
            .clone();
        let since = item
            .get(ACTIVE_SINCE)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<f64>().ok());
        Ok(Some(ActiveConfig {
            active_region: active,
            active_since: since,
        }))
    }

    /// The config item, required: from the first region whose replica has it.
    /// An unreachable replica is skipped when the other one answers.
    pub async fn require_config(&self) -> Result<(String, ActiveConfig)> {
        let mut unreachable = None;
        for region in &self.regions {
            match self.read_config(region).await {
                Ok(Some(c)) => return Ok((region.clone(), c)),
                Ok(None) => {}
                Err(e @ (Error::AwsAccess(_) | Error::Aws(_))) => unreachable = Some(e),
                Err(e) => return Err(e),
            }
        }
        if let Some(e) = unreachable {
            return Err(e);
        }
        Err(Error::BadInput(format!(
            "no active-region config item for stream {} in table {} (regions {}); seed it with activeRegion = the primary region",
            self.stream,
            self.config_table,
            self.regions.join(", ")
        )))
    }

    /// Conditional flip in `region`'s replica: `activeRegion` from `from` to
    /// `to`, `activeSince` = `since`. `Ok(false)` when the condition failed.
    pub async fn flip_in(&self, region: &str, from: &str, to: &str, since: f64) -> Result<bool> {
        let aws = self.aws_of(region)?;
        let res = aws_sdk_dynamodb::Client::new(&aws.config)
            .update_item()
            .table_name(&self.config_table)
            .key("streamName", AttributeValue::S(self.stream.clone()))
            .condition_expression("activeRegion = :from")
            .update_expression(
                "SET activeRegion = :to, activeSince = :since, previousRegion = :from",
            )
            .expression_attribute_values(":from", AttributeValue::S(from.into()))
            .expression_attribute_values(":to", AttributeValue::S(to.into()))
            .expression_attribute_values(":since", AttributeValue::N(format!("{since:.3}")))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws.error("dynamodb", "UpdateItem", e)),
        }
    }
}

impl XrStack {
    /// Seeds the active-region config item after a deploy: `activeRegion` =
    /// `primary`, without `activeSince` (the primary has been active since
    /// its stream began: nothing in it came from the other region, so its
    /// replicator skips nothing, not even records written before this item
    /// existed, which it retried until now). Written to each region's replica
    /// only where the item is absent, so an existing choice (e.g. after a
    /// failover) is never overwritten. Returns the item now in force in the primary's replica
    /// and whether this call wrote it. A secondary replica that cannot be
    /// written is reported as a warning string, not an error (global-table
    /// replication fills it in AWS).
    pub async fn seed_config(&self, primary: &str) -> Result<(ActiveConfig, bool, Vec<String>)> {
        let mut wrote = false;
        let mut warnings = Vec::new();
        for (i, region) in [primary, self.other_region(primary)]
            .into_iter()
            .enumerate()
        {
            let aws = self.aws_of(region)?;
            let res = aws_sdk_dynamodb::Client::new(&aws.config)
                .put_item()
                .table_name(&self.config_table)
                .item("streamName", AttributeValue::S(self.stream.clone()))
                .item("activeRegion", AttributeValue::S(primary.to_string()))
                .condition_expression("attribute_not_exists(streamName)")
                .send()
                .await;
            match res {
                Ok(_) => wrote |= i == 0,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) if i == 0 => return Err(aws.error("dynamodb", "PutItem", e)),
                Err(e) => warnings.push(format!(
                    "could not seed the config item in {region}'s replica ({}); global-table replication will copy it",
                    aws.error("dynamodb", "PutItem", e)
                )),
            }
        }
        let current = self.read_config(primary).await?.ok_or_else(|| {
            Error::Aws(format!(
                "the config item of stream {} is missing in {primary} right after seeding it",
                self.stream
            ))
        })?;
        Ok((current, wrote, warnings))
    }
}

/// Region names look like `us-east-1`; anything else is a typo.
pub fn check_region_name(region: &str) -> Result<()> {
    let re = regex::Regex::new(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$").expect("regex");
    if re.is_match(region) {
        Ok(())
    } else {
        Err(Error::BadInput(format!(
            "unknown region '{region}': expected a region name like us-east-1"
        )))
    }
}

/// Seconds since the epoch, now.
pub fn now_secs() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

/// Maps a replicator-core error to a streamkit error (AWS failure, exit 1).
pub fn core_error(e: impl std::fmt::Display) -> Error {
    Error::Aws(e.to_string())
}
