//! DynamoDB tables a stack retains (`DeletionPolicy: Retain`, e.g. the
//! cross-region stack's two global tables holding the active region and the
//! replication checkpoints): found for `destroy`, which names them, and
//! deleted with `--delete-data`, replicas first (deletion protection off in
//! every replica region, each other replica removed from the table's home
//! region, then the table itself); and found before a deploy that would
//! create a table of the same name.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{DeleteReplicationGroupMemberAction, ReplicationGroupUpdate};
use serde_json::Value;

use crate::aws::Aws;
use crate::error::{Error, Result};
use crate::io::Progress;

use super::events::Poll;

/// How long a replica removal may take before destroy gives up.
const REPLICA_DEADLINE: Duration = Duration::from_secs(600);

/// The table types a stack can retain.
pub const TABLE_TYPES: [&str; 2] = ["AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"];

/// A table as DescribeTable sees it: absent, or present with its replica regions.
pub async fn replicas(aws: &Aws, name: &str) -> Result<Option<Vec<String>>> {
    let ddb = aws_sdk_dynamodb::Client::new(&aws.config);
    match ddb.describe_table().table_name(name).send().await {
        Ok(out) => Ok(Some(
            out.table()
                .map(|t| {
                    t.replicas()
                        .iter()
                        .filter_map(|r| r.region_name().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        )),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(aws.error("dynamodb", "DescribeTable", e)),
    }
}

/// Deletes a table and all its replicas; `aws` is the table's home region
/// (the stack's). Its items are gone afterwards.
pub async fn delete(aws: &Aws, name: &str, poll: Poll, progress: &Progress<'_>) -> Result<()> {
    let Some(regions) = replicas(aws, name).await? else {
        return Ok(());
    };
    let others: Vec<&String> = regions.iter().filter(|r| **r != aws.region).collect();
    for region in regions.iter().chain(std::iter::once(&aws.region)) {
        let regional = aws.in_region(region);
        let ddb = aws_sdk_dynamodb::Client::new(&regional.config);
        if let Err(e) = ddb
            .update_table()
            .table_name(name)
            .deletion_protection_enabled(false)
            .send()
            .await
        {
            if !e
                .as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                return Err(regional.error("dynamodb", "UpdateTable", e));
            }
        }
    }
    let ddb = aws_sdk_dynamodb::Client::new(&aws.config);
    for region in &others {
        progress.message(format!("deleting table {name}'s replica in {region}"));
        let update = ReplicationGroupUpdate::builder()
            .delete(
                DeleteReplicationGroupMemberAction::builder()
                    .region_name(region.as_str())
                    .build()
                    .map_err(|e| Error::Aws(e.to_string()))?,
            )
            .build();
        ddb.update_table()
            .table_name(name)
            .replica_updates(update)
            .send()
            .await
            .map_err(|e| aws.error("dynamodb", "UpdateTable", e))?;
    }
    // A replica takes minutes to go on AWS; the table can be deleted after.
    let started = Instant::now();
    for delay in poll.delays() {
        tokio::time::sleep(delay).await;
        let left = replicas(aws, name).await?.unwrap_or_default();
        if !left.iter().any(|r| others.contains(&r)) {
            break;
        }
        if started.elapsed() > REPLICA_DEADLINE {
            return Err(Error::Aws(format!(
                "table {name}: replicas {left:?} still present after {} s; run destroy again later",
                REPLICA_DEADLINE.as_secs()
            )));
        }
    }
    progress.message(format!("deleting table {name} in {}", aws.region));
    match ddb.delete_table().table_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(aws.error("dynamodb", "DeleteTable", e)),
    }
}

/// The names of the retained tables a template creates, with parameter
/// values applied (for the check before a first deploy).
pub fn retained_names(
    template: &Value,
    params: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let scope = super::guard::Scope { template, params };
    let Some(resources) = template["Resources"].as_object() else {
        return Vec::new();
    };
    resources
        .iter()
        .filter(|(_, r)| TABLE_TYPES.contains(&r["Type"].as_str().unwrap_or_default()))
        .filter(|(_, r)| r["DeletionPolicy"] == "Retain")
        .filter(|(_, r)| {
            r["Condition"]
                .as_str()
                .is_none_or(|c| scope.condition(c) != Some(false))
        })
        .filter_map(|(id, _)| scope.property(id, "TableName").as_str().map(str::to_string))
        .collect()
}

/// Retained tables left by an earlier stack that a first deploy of `req`
/// would create again (CloudFormation would fail on "already exists" with
/// one region created): their names, with the parameters their names derive
/// from. Empty when the stack exists (`deployed`) or nothing is left.
pub async fn leftovers(
    aws: &Aws,
    req: &super::DeployRequest,
    deployed: bool,
) -> Result<Vec<(String, Vec<String>)>> {
    if deployed {
        return Ok(Vec::new());
    }
    let params = super::params::effective(&req.template, &req.parameters, None);
    let mut out = Vec::new();
    for name in retained_names(&req.template, &params) {
        if replicas(aws, &name).await?.is_some() {
            out.push((name, name_parameters(&req.template)));
        }
    }
    Ok(out)
}

/// Parameters that table names are made of (`${Param}` in a `TableName`).
fn name_parameters(template: &Value) -> Vec<String> {
    let declared = &template["Parameters"];
    let mut out: Vec<String> = Vec::new();
    for r in template["Resources"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        let Some(sub) = r["Properties"]["TableName"]["Fn::Sub"].as_str() else {
            continue;
        };
        for part in sub.split("${").skip(1) {
            let p = part.split('}').next().unwrap_or_default();
            if declared.get(p).is_some() && !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// Before any region starts: retained tables a first deploy would collide
/// with are refused in one line, or with `allow_replacement` deleted (every
/// replica) so the stack creates them anew.
pub async fn clear_leftovers<'a>(
    requests: impl Iterator<Item = (&'a (Aws, super::DeployRequest), bool)>,
    allow_replacement: bool,
    progress: &Progress<'_>,
) -> Result<()> {
    let mut found = Vec::new();
    let mut stack = String::new();
    for ((aws, req), deployed) in requests {
        stack.clone_from(&req.stack);
        for (table, from) in leftovers(aws, req, deployed).await? {
            found.push((aws.clone(), table, from));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    if !allow_replacement {
        return Err(leftover_error(&stack, &found));
    }
    for (aws, table, _) in &found {
        progress.message(format!(
            "deleting retained table {table} ({}) left by an earlier {stack} (--allow-replacement)",
            aws.region
        ));
        delete(aws, table, Poll::default(), progress).await?;
    }
    Ok(())
}

/// One line naming the retained tables a first deploy would collide with,
/// and the two ways out.
fn leftover_error(stack: &str, found: &[(Aws, String, Vec<String>)]) -> Error {
    let names: Vec<String> = found
        .iter()
        .map(|(aws, t, _)| format!("{t} ({})", aws.region))
        .collect();
    let mut params: Vec<&str> = Vec::new();
    for p in found.iter().flat_map(|(_, _, p)| p.iter()) {
        if !params.contains(&p.as_str()) {
            params.push(p);
        }
    }
    let rename = if params.is_empty() {
        String::new()
    } else {
        format!(", or choose another {}", params.join("/"))
    };
    Error::BadInput(format!(
        "cannot create {stack}: tables {} remain with their items from an earlier {stack} (destroy keeps them); pass --allow-replacement to delete them (every replica) and create them anew{rename}; nothing was changed",
        names.join(", ")
    ))
}
