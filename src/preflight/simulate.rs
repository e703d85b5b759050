//! Asking IAM: who the caller is (`sts:GetCallerIdentity`, an assumed-role
//! session read as its role) and whether a principal may perform actions
//! (`iam:SimulatePrincipalPolicy`, one call per resource ARN with all its
//! actions, calls run concurrently). The simulation evaluates the
//! principal's identity policies and permission boundary; service control
//! policies and session policies are invisible to it (IAM User Guide,
//! "Testing IAM policies with the IAM policy simulator").

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::aws::Aws;
use crate::error::{Error, Result};

/// Simulation calls in flight at once.
const PARALLEL: usize = 8;

/// The caller, as IAM can simulate it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `GetCallerIdentity`'s ARN.
    pub arn: String,
    pub account: String,
    pub partition: String,
    /// The ARN to simulate (a user or role), or why there is none.
    pub principal: std::result::Result<String, String>,
}

/// IAM's answer for one action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicit deny",
            Decision::ImplicitDeny => "implicit deny",
        })
    }
}

/// One evaluated (action, resource).
#[derive(Debug, Clone)]
pub struct Verdict {
    pub decision: Decision,
    /// The policies whose statements decided (IAM names them for a deny or allow).
    pub statements: Vec<String>,
}

/// Why a simulation could not be made (the preflight warns and goes on).
pub struct CannotSimulate(pub String);

/// Who the caller is.
pub async fn caller(aws: &Aws) -> Result<Caller> {
    let id = aws_sdk_sts::Client::new(&aws.config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws.error("sts", "GetCallerIdentity", e))?;
    let arn = id.arn().unwrap_or_default().to_string();
    let account = id.account().unwrap_or_default().to_string();
    let partition = arn.split(':').nth(1).unwrap_or("aws").to_string();
    let principal = principal_of(aws, &arn, &partition, &account).await;
    Ok(Caller {
        arn,
        account,
        partition,
        principal,
    })
}

/// The user or role to simulate for a caller ARN.
async fn principal_of(
    aws: &Aws,
    arn: &str,
    partition: &str,
    account: &str,
) -> std::result::Result<String, String> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    if resource == "root" {
        return Err("the caller is the account's root user, which IAM cannot simulate".into());
    }
    if resource.starts_with("user/") || resource.starts_with("role/") {
        return Ok(arn.to_string());
    }
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let role = rest.split('/').next().unwrap_or_default();
        // The role's path is not in the session ARN: ask IAM, else assume `/`.
        let full = aws_sdk_iam::Client::new(&aws.config)
            .get_role()
            .role_name(role)
            .send()
            .await
            .ok()
            .and_then(|r| r.role().map(|r| r.arn().to_string()));
        return Ok(full.unwrap_or_else(|| format!("arn:{partition}:iam::{account}:role/{role}")));
    }
    Err(format!(
        "the caller {arn} is a federated or service session, which IAM cannot simulate"
    ))
}

/// Simulates `principal` for each resource's actions; returns the verdict
/// per (action, resource).
pub async fn simulate(
    aws: &Aws,
    principal: &str,
    groups: &BTreeMap<String, BTreeSet<String>>,
) -> Result<std::result::Result<BTreeMap<(String, String), Verdict>, CannotSimulate>> {
    let iam = aws_sdk_iam::Client::new(&aws.config);
    let context = vec![
        ContextEntry::builder()
            .context_key_name("aws:SecureTransport")
            .context_key_type(ContextKeyTypeEnum::Boolean)
            .context_key_values("true")
            .build(),
        ContextEntry::builder()
            .context_key_name("aws:RequestedRegion")
            .context_key_type(ContextKeyTypeEnum::String)
            .context_key_values(aws.region.clone())
            .build(),
    ];
    let calls = groups.iter().map(|(resource, actions)| {
        let iam = iam.clone();
        let context = context.clone();
        async move {
            let mut verdicts = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let out = iam
                    .simulate_principal_policy()
                    .policy_source_arn(principal)
                    .set_action_names(Some(actions.iter().cloned().collect()))
                    .resource_arns(resource.clone())
                    .set_context_entries(Some(context.clone()))
                    .set_marker(marker.clone())
                    .send()
                    .await;
                let out = match out {
                    Ok(out) => out,
                    Err(e) => return Err(e),
                };
                for r in out.evaluation_results() {
                    let specific = r
                        .resource_specific_results()
                        .iter()
                        .find(|s| s.eval_resource_name() == resource);
                    let (decision, statements) = match specific {
                        Some(s) => (s.eval_resource_decision(), s.matched_statements()),
                        None => (r.eval_decision(), r.matched_statements()),
                    };
                    verdicts.push((
                        (r.eval_action_name().to_string(), resource.clone()),
                        Verdict {
                            decision: decision_of(decision),
                            statements: statements
                                .iter()
                                .filter_map(|s| s.source_policy_id().map(str::to_string))
                                .collect(),
                        },
                    ));
                }
                marker = out
                    .marker()
                    .map(str::to_string)
                    .filter(|_| out.is_truncated());
                if marker.is_none() {
                    return Ok(verdicts);
                }
            }
        }
    });
    let results: std::result::Result<Vec<_>, _> = stream::iter(calls)
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<_>>()
        .await;
    match results {
        Ok(all) => Ok(Ok(all.into_iter().flatten().collect())),
        Err(e) => {
            let code = e.code().unwrap_or_default().to_string();
            if matches!(code.as_str(), "AccessDenied" | "AccessDeniedException") {
                let why = e.message().unwrap_or("access denied").to_string();
                return Ok(Err(CannotSimulate(format!(
                    "iam:SimulatePrincipalPolicy was denied ({why})"
                ))));
            }
            if code == "NoSuchEntity" {
                return Err(Error::BadInput(format!(
                    "IAM does not know the principal {principal}: {}; check --role-arn or the credentials",
                    e.message().unwrap_or("no such entity")
                )));
            }
            Err(aws.error("iam", "SimulatePrincipalPolicy", e))
        }
    }
}

fn decision_of(d: &PolicyEvaluationDecisionType) -> Decision {
    match d {
        PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
        PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
        _ => Decision::ImplicitDeny,
    }
}
