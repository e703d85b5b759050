//! Least privilege proven by use (issue 24, item 3): after a stack's live
//! pipeline ran on the emulator with IAM enforced, every action a stack role
//! grants in its inline policies must have been used by that role (the
//! emulator records each allowed principal, action and resource at
//! `/_streamkit/iam/allowed`), or be listed in the pattern's manifest
//! (`least_privilege:`) with the reason; and a statement on `Resource: "*"`
//! only for actions AWS offers no resource-level permission for (Service
//! Authorization Reference: the action's "Resource types" column is empty).
//! AWS managed policies a role attaches are AWS's documents for the role's
//! purpose and are listed, not trimmed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Live;

/// Actions without resource-level permissions (Service Authorization
/// Reference: CloudWatch `PutMetricData`, X-Ray `PutTraceSegments` /
/// `PutTelemetryRecords`, Kinesis `ListStreams`).
const NO_RESOURCE_LEVEL: [&str; 4] = [
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "kinesis:ListStreams",
];

/// One role's grants and use (a row of the README's table).
#[derive(Debug)]
pub struct RoleUse {
    pub logical_id: String,
    pub granted: Vec<String>,
    pub managed: Vec<String>,
    pub used: BTreeSet<String>,
}

fn glob(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.to_lowercase(), value.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == v;
    }
    let mut rest = v.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl Live {
    /// Checks the `roles` (logical ids) of `stack` (deployed from `pattern`)
    /// against what they used in this test's pipeline; panics listing every
    /// violation. Prints and returns each role's row.
    pub async fn least_privilege(
        &self,
        stack: &str,
        pattern: &str,
        roles: &[&str],
    ) -> Vec<RoleUse> {
        self.least_privilege_in(super::REGION, stack, pattern, roles)
            .await
    }

    /// [`Live::least_privilege`] for the stack deployed in `region`.
    pub async fn least_privilege_in(
        &self,
        region: &str,
        stack: &str,
        pattern: &str,
        roles: &[&str],
    ) -> Vec<RoleUse> {
        let endpoint = self.emu.endpoint();
        let allowed = super::http(
            "GET",
            &format!("{endpoint}/_streamkit/iam/allowed"),
            &[],
            b"",
        )
        .json();
        let mut used_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in allowed["allowed"].as_array().expect("allowed: [...]") {
            let principal = entry["principal"].as_str().unwrap_or_default();
            if let Some(rest) = principal.split(":assumed-role/").nth(1) {
                let role = rest.split('/').next().unwrap_or_default().to_string();
                used_by
                    .entry(role)
                    .or_default()
                    .insert(entry["action"].as_str().unwrap_or_default().to_string());
            }
        }
        let cfg = self.emu.sdk_config(region).await;
        let cfn = aws_sdk_cloudformation::Client::new(&cfg);
        let iam = aws_sdk_iam::Client::new(&cfg);
        let resources = cfn
            .list_stack_resources()
            .stack_name(stack)
            .send()
            .await
            .expect("ListStackResources");
        let manifest = streamkit::catalog::find(pattern).expect("the pattern");
        let exempt = |role: &str, action: &str| {
            manifest
                .least_privilege
                .iter()
                .any(|g| g.role == role && g.action.eq_ignore_ascii_case(action))
        };
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for r in resources.stack_resource_summaries() {
            if r.resource_type() != Some("AWS::IAM::Role") {
                continue;
            }
            let logical = r.logical_resource_id().unwrap_or_default().to_string();
            if !roles.contains(&logical.as_str()) {
                continue;
            }
            let name = r.physical_resource_id().unwrap_or_default().to_string();
            let used = used_by.get(&name).cloned().unwrap_or_default();
            let mut granted = Vec::new();
            let inline = iam
                .list_role_policies()
                .role_name(&name)
                .send()
                .await
                .expect("ListRolePolicies");
            for policy_name in inline.policy_names() {
                let doc = iam
                    .get_role_policy()
                    .role_name(&name)
                    .policy_name(policy_name)
                    .send()
                    .await
                    .expect("GetRolePolicy");
                let text = urlencoding_decode(doc.policy_document());
                let doc: Value = serde_json::from_str(&text).expect("a policy document");
                let statements = match &doc["Statement"] {
                    Value::Array(s) => s.clone(),
                    other => vec![other.clone()],
                };
                for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
                    let star = as_list(&s["Resource"]).iter().any(|r| r == "*");
                    for action in as_list(&s["Action"]) {
                        granted.push(action.clone());
                        let is_used = used.iter().any(|u| glob(&action, u));
                        if !is_used && !exempt(&logical, &action) {
                            problems.push(format!(
                                "{stack}: {logical} grants {action}, which the live pipeline never used: remove it, or list it under least_privilege in patterns/ with the reason"
                            ));
                        }
                        if star
                            && !NO_RESOURCE_LEVEL
                                .iter()
                                .any(|a| a.eq_ignore_ascii_case(&action))
                            && !exempt(&logical, &action)
                        {
                            problems.push(format!(
                                "{stack}: {logical} grants {action} on \"*\" although the action supports resource-level permissions"
                            ));
                        }
                    }
                }
            }
            let attached = iam
                .list_attached_role_policies()
                .role_name(&name)
                .send()
                .await
                .expect("ListAttachedRolePolicies");
            let managed = attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_name().map(str::to_string))
                .collect();
            rows.push(RoleUse {
                logical_id: logical,
                granted,
                managed,
                used,
            });
        }
        for g in manifest
            .least_privilege
            .iter()
            .filter(|g| roles.contains(&g.role.as_str()))
        {
            assert!(
                rows.iter().any(|r| r.logical_id == g.role
                    && r.granted.iter().any(|a| a.eq_ignore_ascii_case(&g.action))),
                "{}: least_privilege lists {} {} which the stack does not grant",
                manifest.file,
                g.role,
                g.action
            );
        }
        assert!(
            problems.is_empty(),
            "least privilege:\n{}",
            problems.join("\n")
        );
        // The README's table rows (shown with --nocapture).
        eprintln!("{}", table(stack, &rows));
        rows
    }
}

/// The README's table rows for `stack`: role, granted, used.
pub fn table(stack: &str, rows: &[RoleUse]) -> String {
    rows.iter()
        .map(|r| {
            let mut granted = r.granted.join(", ");
            if !r.managed.is_empty() {
                granted.push_str(&format!(" + AWS managed: {}", r.managed.join(", ")));
            }
            let used: Vec<&str> = r.used.iter().map(String::as_str).collect();
            format!(
                "| {stack} | {} | {granted} | {} |",
                r.logical_id,
                used.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn urlencoding_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn action_globs_ignore_case() {
        assert!(glob("kinesis:Get*", "kinesis:GetRecords"));
        assert!(glob("s3:putobject", "s3:PutObject"));
        assert!(!glob("s3:Put*", "s3:GetObject"));
        assert!(glob("*", "sqs:SendMessage"));
    }
}
