//! The stateful-resource guard: a change set that would replace or delete a
//! stream, bucket or table is refused unless `--allow-replacement`.
//!
//! CloudFormation reports replacement in the change set; streamkit also
//! compares the properties that force replacement of these types (their
//! names and key schemas) between the deployed and the new template, so the
//! guard holds where the service does not say (local emulators).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cfn::change::{Change, ChangeAction, Replacement};

/// Resource types whose replacement or deletion loses data.
pub const STATEFUL: [&str; 4] = [
    "AWS::Kinesis::Stream",
    "AWS::S3::Bucket",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
];

/// Properties whose change replaces a resource of the given type.
fn replacing_properties(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "AWS::Kinesis::Stream" => &["Name"],
        "AWS::S3::Bucket" => &["BucketName"],
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => &["TableName", "KeySchema"],
        _ => &[],
    }
}

/// Both sides of a deployment, for the client-side comparison.
pub struct Sides<'a> {
    pub old_template: &'a Value,
    pub old_params: &'a BTreeMap<String, String>,
    pub new_template: &'a Value,
    pub new_params: &'a BTreeMap<String, String>,
}

/// Marks Modify changes of stateful resources as replacements when a
/// replacing property changes value.
pub fn mark_replacements(changes: &mut [Change], sides: &Sides<'_>) {
    for c in changes.iter_mut() {
        if c.action != ChangeAction::Modify || c.replacement == Some(Replacement::True) {
            continue;
        }
        let old = &sides.old_template["Resources"][&c.logical_id]["Properties"];
        let new = &sides.new_template["Resources"][&c.logical_id]["Properties"];
        let changed = replacing_properties(&c.resource_type)
            .iter()
            .any(|p| resolve(&old[*p], sides.old_params) != resolve(&new[*p], sides.new_params));
        if changed {
            c.replacement = Some(Replacement::True);
        }
    }
}

/// Resolves `Ref` to a parameter and `Fn::Sub` of parameters; other values as-is.
fn resolve(value: &Value, params: &BTreeMap<String, String>) -> Value {
    if let Some(name) = value.get("Ref").and_then(Value::as_str) {
        if let Some(v) = params.get(name) {
            return Value::String(v.clone());
        }
    }
    if let Some(text) = value.get("Fn::Sub").and_then(Value::as_str) {
        let mut out = text.to_string();
        for (k, v) in params {
            out = out.replace(&format!("${{{k}}}"), v);
        }
        return Value::String(out);
    }
    value.clone()
}

/// The changes the guard refuses, with why.
pub fn refused(changes: &[Change]) -> Vec<(Change, &'static str)> {
    changes
        .iter()
        .filter(|c| STATEFUL.contains(&c.resource_type.as_str()))
        .filter_map(|c| match (&c.action, c.replacement) {
            (ChangeAction::Remove, _) => Some((c.clone(), "would be deleted")),
            (ChangeAction::Modify, Some(Replacement::True)) => {
                Some((c.clone(), "would be replaced"))
            }
            (ChangeAction::Modify, Some(Replacement::Conditional)) => {
                Some((c.clone(), "may be replaced"))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(action: &str, ty: &str, replacement: Option<&str>) -> Change {
        Change {
            action: action.into(),
            logical_id: "R".into(),
            resource_type: ty.into(),
            replacement: replacement.and_then(Replacement::parse),
        }
    }

    #[test]
    fn refuses_stateful_deletes_and_replacements_only() {
        let changes = vec![
            change("Remove", "AWS::S3::Bucket", None),
            change("Modify", "AWS::Kinesis::Stream", Some("True")),
            change("Modify", "AWS::Kinesis::Stream", Some("False")),
            change("Remove", "AWS::SNS::Topic", None),
            change("Modify", "AWS::Lambda::Function", Some("True")),
        ];
        let refused = refused(&changes);
        assert_eq!(refused.len(), 2);
    }

    #[test]
    fn a_changed_stream_name_parameter_is_a_replacement() {
        let t = json!({"Resources": {"R": {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": {"Ref": "StreamName"}}}}});
        let old = BTreeMap::from([("StreamName".to_string(), "a".to_string())]);
        let new = BTreeMap::from([("StreamName".to_string(), "b".to_string())]);
        let mut changes = vec![change("Modify", "AWS::Kinesis::Stream", None)];
        let sides = Sides {
            old_template: &t,
            old_params: &old,
            new_template: &t,
            new_params: &new,
        };
        mark_replacements(&mut changes, &sides);
        assert_eq!(changes[0].replacement, Some(Replacement::True));
        let sides = Sides {
            old_template: &t,
            old_params: &old,
            new_template: &t,
            new_params: &old,
        };
        let mut changes = vec![change("Modify", "AWS::Kinesis::Stream", None)];
        mark_replacements(&mut changes, &sides);
        assert_eq!(changes[0].replacement, None);
    }
}
