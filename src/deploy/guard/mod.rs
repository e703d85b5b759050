//! The data guard: a change set that would replace or delete a resource
//! holding data (a stream, bucket, table or queue), or replace one whose
//! replacement loses or repeats records in flight (an event source mapping,
//! a Firehose delivery stream, a Flink application), is refused unless
//! `--allow-replacement`.
//!
//! CloudFormation reports replacement in the change set; streamkit also
//! compares, between the deployed and the new template with their parameter
//! values, the properties that force replacement ([`rules`]), so the guard
//! holds where the service does not say (local emulators list no change for
//! a parameter-only update) and for names derived from a parameter.

mod resolve;
pub use resolve::Scope;
pub mod rules;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cfn::change::{Change, ChangeAction, Replacement};

/// Both sides of a deployment, for the client-side comparison.
pub struct Sides<'a> {
    pub old_template: &'a Value,
    pub old_params: &'a BTreeMap<String, String>,
    pub new_template: &'a Value,
    pub new_params: &'a BTreeMap<String, String>,
}

/// Marks the changes of guarded resources whose replacing properties change
/// value as replacements, adding the change where the change set left it out.
pub fn mark_replacements(changes: &mut Vec<Change>, sides: &Sides<'_>) {
    let old = Scope {
        template: sides.old_template,
        params: sides.old_params,
    };
    let new = Scope {
        template: sides.new_template,
        params: sides.new_params,
    };
    let Some(resources) = sides.new_template["Resources"].as_object() else {
        return;
    };
    for (logical_id, resource) in resources {
        let resource_type = resource["Type"].as_str().unwrap_or_default();
        let Some(rule) = rules::rule(resource_type) else {
            continue;
        };
        if sides.old_template["Resources"][logical_id]["Type"].as_str() != Some(resource_type) {
            continue;
        }
        let replaced = rule.replacing().any(|path| {
            !same(
                &old.property(logical_id, path),
                &new.property(logical_id, path),
            )
        });
        if !replaced {
            continue;
        }
        match changes.iter_mut().find(|c| &c.logical_id == logical_id) {
            Some(c) if c.action == ChangeAction::Modify => c.replacement = Some(Replacement::True),
            Some(_) => {}
            None => changes.push(Change {
                action: ChangeAction::Modify,
                logical_id: logical_id.clone(),
                resource_type: resource_type.to_string(),
                replacement: Some(Replacement::True),
            }),
        }
    }
}

/// Equal, where an absent value equals `false` (a flag left out is off).
fn same(a: &Value, b: &Value) -> bool {
    let off = |v: &Value| v.is_null() || *v == Value::Bool(false);
    a == b || (off(a) && off(b))
}

/// The changes the guard refuses, each with what it would cost.
pub fn refused(changes: &[Change]) -> Vec<(Change, String)> {
    changes
        .iter()
        .filter_map(|c| {
            let rule = rules::rule(&c.resource_type)?;
            let verb = match (&c.action, c.replacement) {
                (ChangeAction::Remove, _) if rule.holds_data => "would be deleted",
                (ChangeAction::Modify, Some(Replacement::True)) => "would be replaced",
                (ChangeAction::Modify, Some(Replacement::Conditional)) => "may be replaced",
                _ => return None,
            };
            Some((c.clone(), format!("{verb}, {}", rule.loss)))
        })
        .collect()
}

#[cfg(test)]
mod tests;
