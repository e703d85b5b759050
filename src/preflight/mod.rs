//! The IAM preflight: before any change set, asks IAM whether the caller
//! (or the `--role-arn` service role) may do everything the planned change
//! needs ([`plan`]), with `iam:SimulatePrincipalPolicy` ([`simulate`]).
//!
//! A denied action refuses the deploy (exit 2, nothing created); an action a
//! handler lists only for an optional feature of another service warns; a
//! caller IAM cannot simulate (root, federated sessions, no
//! `iam:SimulatePrincipalPolicy`) gets one warning and the deploy goes on.

pub mod plan;
mod simulate;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::aws::Aws;
use crate::error::{Error, Result};
use plan::{Actor, Need, Side, Target};
pub use simulate::Decision;

/// What to check.
pub struct Request<'a> {
    pub stack: &'a str,
    pub template: &'a Value,
    /// The parameter values the stack will have.
    pub params: &'a BTreeMap<String, String>,
    /// The deployed template and its parameter values (an update).
    pub deployed: Option<(&'a Value, &'a BTreeMap<String, String>)>,
    /// Objects the deploy uploads: (bucket, key).
    pub artifacts: Vec<(String, String)>,
    /// `--role-arn`: the service role CloudFormation acts with.
    pub role_arn: Option<&'a str>,
}

/// How the preflight ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Denied,
    /// IAM could not simulate the caller; `warnings` says why.
    NotRun,
}

/// One action IAM would refuse.
#[derive(Debug, Clone, Serialize)]
pub struct Denied {
    pub logical_id: String,
    pub resource_type: String,
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// The principal simulated.
    pub principal: String,
    /// The policies IAM names as deciding (an explicit deny's statement).
    pub statements: Vec<String>,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by = if self.statements.is_empty() {
            String::new()
        } else {
            format!(" by {}", self.statements.join(", "))
        };
        write!(
            f,
            "{} ({}): {} on {} is denied for {} ({}{by})",
            self.logical_id,
            self.resource_type,
            self.action,
            self.resource,
            self.principal,
            self.decision
        )
    }
}

/// The preflight's result (`streamkit preflight`, and a line of `deploy`).
#[derive(Debug, Clone, Serialize)]
pub struct PreflightReport {
    pub stack: String,
    pub region: String,
    #[serde(rename = "outcome")]
    pub result: Verdict,
    /// Who the credentials are (`sts:GetCallerIdentity`).
    pub caller: String,
    /// The principal simulated (`null` when IAM could not simulate the caller).
    pub principal: Option<String>,
    pub service_role: Option<String>,
    /// Distinct (action, resource) pairs simulated.
    pub actions: usize,
    /// Resources the change creates, updates or deletes.
    pub resources: usize,
    pub denied: Vec<Denied>,
    /// Denials of actions a handler needs only for optional features.
    pub warnings: Vec<String>,
    pub seconds: f64,
}

impl PreflightReport {
    /// `Err` with one line per denied action when anything is denied.
    pub fn into_result(self) -> Result<PreflightReport> {
        if self.result == Verdict::Denied {
            let mut lines: Vec<String> = self
                .denied
                .iter()
                .map(|d| format!("preflight: {d}"))
                .collect();
            lines.push(format!(
                "preflight: {} denied action(s) for {}; nothing was changed. Grant them, deploy with --role-arn of a role that has them, or pass --skip-preflight",
                self.denied.len(),
                self.stack
            ));
            return Err(Error::Invalid(lines));
        }
        Ok(self)
    }
}

impl fmt::Display for PreflightReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<String> = self
            .warnings
            .iter()
            .map(|w| format!("preflight: warning: {w}"))
            .collect();
        match self.result {
            // The warning says why.
            Verdict::NotRun => {}
            Verdict::Allowed => lines.push(format!(
                "preflight: {} actions for {} resources allowed ({} in {}, {:.1}s)",
                self.actions, self.resources, self.stack, self.region, self.seconds
            )),
            Verdict::Denied => {
                lines.extend(self.denied.iter().map(|d| format!("preflight: {d}")));
                lines.push(format!(
                    "preflight: {} of {} actions denied for {} in {}",
                    self.denied.len(),
                    self.actions,
                    self.stack,
                    self.region
                ));
            }
        }
        f.write_str(&lines.join("\n"))
    }
}

/// Runs the preflight for one region.
pub async fn check(aws: &Aws, req: &Request<'_>) -> Result<PreflightReport> {
    let started = Instant::now();
    if let Some(role) = req.role_arn {
        check_role_arn(role)?;
    }
    let caller = simulate::caller(aws).await?;
    let target = Target {
        stack: req.stack.to_string(),
        region: aws.region.clone(),
        account: caller.account.clone(),
        partition: caller.partition.clone(),
    };
    let old = req
        .deployed
        .map(|(template, params)| Side { template, params });
    let plan = plan::plan(
        &target,
        &Side {
            template: req.template,
            params: req.params,
        },
        old.as_ref(),
        &req.artifacts,
        req.role_arn,
    );
    let mut report = PreflightReport {
        stack: req.stack.to_string(),
        region: aws.region.clone(),
        result: Verdict::Allowed,
        caller: caller.arn.clone(),
        principal: caller.principal.as_ref().ok().cloned(),
        service_role: req.role_arn.map(str::to_string),
        actions: plan
            .needs
            .iter()
            .map(|n| (&n.action, &n.resource))
            .collect::<BTreeSet<_>>()
            .len(),
        resources: plan.resources,
        denied: Vec::new(),
        warnings: plan
            .unknown_types
            .iter()
            .map(|t| format!("no handler permissions known for {t}; its actions were not checked"))
            .collect(),
        seconds: 0.0,
    };
    let principal = match &caller.principal {
        Ok(p) => p.clone(),
        Err(why) => return Ok(not_run(report, why, started)),
    };
    for (actor, who) in [
        (Actor::Caller, Some(principal.as_str())),
        (Actor::ServiceRole, req.role_arn),
    ] {
        let Some(who) = who else { continue };
        let mine: Vec<&Need> = plan.needs.iter().filter(|n| n.actor == actor).collect();
        let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for n in &mine {
            groups
                .entry(n.resource.clone())
                .or_default()
                .insert(n.action.clone());
        }
        let verdicts = match simulate::simulate(aws, who, &groups).await? {
            Ok(v) => v,
            Err(simulate::CannotSimulate(why)) => return Ok(not_run(report, &why, started)),
        };
        let mut seen = BTreeSet::new();
        for n in mine {
            let Some(v) = verdicts.get(&(n.action.clone(), n.resource.clone())) else {
                continue;
            };
            if v.decision == Decision::Allowed
                || !seen.insert((&n.action, &n.resource, n.conditional))
            {
                continue;
            }
            if n.conditional {
                report.warnings.push(format!(
                    "{} ({}) may need {} ({}; its handler uses it only for some settings)",
                    n.logical_id, n.resource_type, n.action, v.decision
                ));
                continue;
            }
            report.denied.push(Denied {
                logical_id: n.logical_id.clone(),
                resource_type: n.resource_type.clone(),
                action: n.action.clone(),
                resource: n.resource.clone(),
                decision: v.decision,
                principal: who.to_string(),
                statements: v.statements.clone(),
            });
        }
    }
    if !report.denied.is_empty() {
        report.result = Verdict::Denied;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The report for a stack with an operation in progress: its template is
/// about to change, so what this deploy changes is not known yet (the deploy
/// waits for the operation, then goes on).
pub fn busy(stack: &str, region: &str, status: &str) -> PreflightReport {
    let report = PreflightReport {
        stack: stack.to_string(),
        region: region.to_string(),
        result: Verdict::NotRun,
        caller: String::new(),
        principal: None,
        service_role: None,
        actions: 0,
        resources: 0,
        denied: Vec::new(),
        warnings: Vec::new(),
        seconds: 0.0,
    };
    not_run(
        report,
        &format!("{stack} is {status}, so what this deploy changes is not known until that operation ends (run `streamkit preflight` then)"),
        Instant::now(),
    )
}

fn not_run(mut report: PreflightReport, why: &str, started: Instant) -> PreflightReport {
    report.result = Verdict::NotRun;
    report.warnings.push(format!(
        "the IAM preflight could not run: {why}; going on without it (a missing permission shows up during the deploy)"
    ));
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// `--role-arn` must be an IAM role ARN.
pub fn check_role_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|r| !r.is_empty() && !r.ends_with('/'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadInput(format!(
            "--role-arn: '{}' is not an IAM role ARN; expected arn:aws:iam::123456789012:role/NAME",
            crate::error::cut(arn)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/cfn").is_ok());
        assert!(check_role_arn("arn:aws:iam::123456789012:role/path/cfn").is_ok());
        for bad in [
            "cfn",
            "arn:aws:iam::123456789012:user/cfn",
            "arn:aws:iam::1234:role/cfn",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:123456789012:role/cfn",
        ] {
            let e = check_role_arn(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.to_string().contains("--role-arn"), "{e}");
        }
    }
}
