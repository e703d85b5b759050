//! Content-addressed API Gateway deployments.
//!
//! An `AWS::ApiGateway::Deployment` is a snapshot of a REST API taken when the
//! resource is created; updating it never takes a new one. So a stack update
//! that changes a method, integration, model or validator would leave the
//! stage serving the old API. streamkit renames each deployment after a hash
//! of the API's definition (every `AWS::ApiGateway::*` resource of the same
//! REST API except deployments and stages): any change to the API gives a new
//! logical id, CloudFormation creates a new deployment, points the stage at
//! it and deletes the old one; an unchanged API keeps its id (no-op deploys
//! stay no-ops). The hash covers the rendered definition, not parameter
//! values: no definition resource of streamkit's APIs refers to a parameter
//! (usage plans, which do, are not part of a deployment).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Types that are not part of the API definition a deployment snapshots.
const NOT_DEFINITION: [&str; 5] = [
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
];

/// Renames every deployment in `resources` to `<id><hash>` and rewrites the
/// references to it (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`) in the
/// whole `template`. Returns the renames (old id, new id).
pub fn content_address(template: &mut Value) -> Vec<(String, String)> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    let renames: Vec<(String, String)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::ApiGateway::Deployment")
        .map(|(id, r)| {
            let api = &r["Properties"]["RestApiId"];
            let hash = definition_hash(resources, api);
            (id.clone(), format!("{id}{hash}"))
        })
        .collect();
    for (old, new) in &renames {
        if let Some(resources) = template["Resources"].as_object_mut() {
            let moved: Map<String, Value> = std::mem::take(resources)
                .into_iter()
                .map(|(k, v)| if k == *old { (new.clone(), v) } else { (k, v) })
                .collect();
            *resources = moved;
        }
        rename_references(template, old, new);
    }
    renames
}

/// 10 hex digits of sha256 over the API's definition resources (id and body,
/// in template order).
fn definition_hash(resources: &Map<String, Value>, api: &Value) -> String {
    let mut hasher = Sha256::new();
    for (id, r) in resources {
        let ty = r["Type"].as_str().unwrap_or_default();
        let same_api = r["Properties"]["RestApiId"] == *api
            || (ty == "AWS::ApiGateway::RestApi"
                && api.get("Ref") == Some(&Value::from(id.as_str())));
        if ty.starts_with("AWS::ApiGateway::") && !NOT_DEFINITION.contains(&ty) && same_api {
            hasher.update(id.as_bytes());
            hasher.update(r.to_string().as_bytes());
        }
    }
    hasher.finalize()[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rename_references(value: &mut Value, old: &str, new: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &mut *v) {
                    ("Ref", Value::String(s)) if s == old => *s = new.to_string(),
                    ("Fn::GetAtt", Value::Array(parts))
                        if parts.first() == Some(&Value::from(old)) =>
                    {
                        parts[0] = Value::from(new);
                    }
                    ("Fn::GetAtt", Value::String(s)) if s.split('.').next() == Some(old) => {
                        *s = s.replacen(old, new, 1);
                    }
                    ("DependsOn", Value::String(s)) if s == old => *s = new.to_string(),
                    ("DependsOn", Value::Array(ids)) => {
                        for id in ids.iter_mut().filter(|id| *id == old) {
                            *id = Value::from(new);
                        }
                    }
                    ("Fn::Sub", _) => rename_in_sub(v, old, new),
                    _ => rename_references(v, old, new),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rename_references(v, old, new)),
        _ => {}
    }
}

/// `${Old}` and `${Old.Attr}` in a `Fn::Sub` string (either form).
fn rename_in_sub(sub: &mut Value, old: &str, new: &str) {
    let fix = |s: &mut String| {
        *s = s
            .replace(&format!("${{{old}}}"), &format!("${{{new}}}"))
            .replace(&format!("${{{old}."), &format!("${{{new}."));
    };
    match sub {
        Value::String(s) => fix(s),
        Value::Array(parts) => {
            if let Some(Value::String(s)) = parts.first_mut() {
                fix(s);
            }
            for v in parts.iter_mut().skip(1) {
                rename_references(v, old, new);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api(path: &str) -> Value {
        json!({"Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "x"}},
            "Res": {"Type": "AWS::ApiGateway::Resource", "Properties": {"RestApiId": {"Ref": "Api"}, "PathPart": path}},
            "Dep": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Res"], "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Dep"}}},
        }, "Outputs": {"D": {"Value": {"Fn::Sub": "${Dep} ${Api}"}}}})
    }

    #[test]
    fn a_changed_api_gets_a_new_deployment_and_every_reference_follows() {
        let mut a = api("records");
        let renames = content_address(&mut a);
        assert_eq!(renames.len(), 1);
        let new = &renames[0].1;
        assert!(new.starts_with("Dep") && new.len() == 13, "{new}");
        assert!(a["Resources"].get("Dep").is_none());
        assert_eq!(
            a["Resources"]["Stage"]["Properties"]["DeploymentId"]["Ref"],
            *new
        );
        assert_eq!(
            a["Outputs"]["D"]["Value"]["Fn::Sub"],
            format!("${{{new}}} ${{Api}}")
        );

        let mut same = api("records");
        assert_eq!(content_address(&mut same), renames, "same API, same id");
        let mut changed = api("record");
        assert_ne!(
            content_address(&mut changed)[0].1,
            *new,
            "changed API, new id"
        );
    }

    #[test]
    fn stage_settings_do_not_change_the_deployment() {
        let mut a = api("records");
        let mut b = api("records");
        b["Resources"]["Stage"]["Properties"]["TracingEnabled"] = json!(true);
        assert_eq!(content_address(&mut a), content_address(&mut b));
    }
}
