//! `--parameter Key=Value`: checked against the rendered template (names,
//! types, constraints) before any AWS call, and merged with deployed values
//! and defaults.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::validate::{self, types};

/// Every problem with the given parameters, one line each: unknown names
/// (listing the known ones), values that are not of the parameter's type
/// (e.g. `AWS::EC2::VPC::Id`) or outside its constraints (naming the
/// constraint and the allowed values).
pub fn problems(template: &Value, given: &[(String, String)], pattern: &str) -> Vec<String> {
    let empty = serde_json::Map::new();
    let declared = template["Parameters"].as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    for (key, value) in given {
        let Some(param) = declared.get(key) else {
            let known: Vec<&str> = declared.keys().map(String::as_str).collect();
            let key = crate::error::cut(key);
            out.push(format!(
                "--parameter {key}: unknown parameter of pattern {pattern}; allowed: {}",
                known.join(", ")
            ));
            continue;
        };
        let param_type = param["Type"].as_str().unwrap_or("String");
        let checked = types::check_type(param_type, value)
            .and_then(|()| types::check_integer(param, value))
            .and_then(|()| validate::check_value(param, value));
        if let Err(m) = checked {
            let hint = param["ConstraintDescription"]
                .as_str()
                .map(|d| format!(" ({key} {d})"))
                .unwrap_or_default();
            out.push(format!(
                "--parameter {key}={}: {m}{hint}",
                crate::error::cut(value)
            ));
        }
    }
    out
}

/// [`problems`] as an error (all of them), for callers that only check.
pub fn check(template: &Value, given: &[(String, String)], pattern: &str) -> Result<()> {
    let found = problems(template, given, pattern);
    if found.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(found))
    }
}

/// The value each template parameter will have: given, else deployed
/// (`previous`), else the template default.
pub fn effective(
    template: &Value,
    given: &[(String, String)],
    previous: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let empty = serde_json::Map::new();
    let declared = template["Parameters"].as_object().unwrap_or(&empty);
    let mut out = BTreeMap::new();
    for (key, param) in declared {
        let value = given
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .or_else(|| previous.and_then(|p| p.get(key).cloned()))
            .or_else(|| param.get("Default").map(scalar));
        if let Some(v) = value {
            out.insert(key.clone(), v);
        }
    }
    out
}

/// The values the cost model reads: given, else deployed (`previous`);
/// template defaults are left to the model, exactly as for a first deploy.
pub fn given_or_deployed(
    template: &Value,
    given: &[(String, String)],
    previous: Option<&BTreeMap<String, String>>,
) -> Vec<(String, String)> {
    let declared = &template["Parameters"];
    let mut pairs: Vec<(String, String)> = previous
        .into_iter()
        .flatten()
        .filter(|(k, _)| declared.get(k.as_str()).is_some())
        .filter(|(k, _)| !given.iter().any(|(g, _)| g == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.extend(given.iter().cloned());
    pairs
}

/// Fails, naming every one, when parameters without a default have no
/// value (neither given nor deployed): CloudFormation would only say so
/// after a change set was made, one parameter at a time.
pub fn require_all(
    template: &Value,
    given: &[(String, String)],
    previous: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    let have = effective(template, given, previous);
    let empty = serde_json::Map::new();
    let declared = template["Parameters"].as_object().unwrap_or(&empty);
    let missing: Vec<String> = declared
        .iter()
        .filter(|(key, _)| !have.contains_key(*key))
        .map(|(key, param)| {
            format!(
                "parameter {key} has no default: pass --parameter {key}=VALUE ({})",
                param["Description"].as_str().unwrap_or("see the template")
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(missing))
    }
}

/// What to send: given values explicitly, deployed ones as "use previous
/// value" (so an update without flags keeps them), defaults left out.
pub fn to_send(
    template: &Value,
    given: &[(String, String)],
    previous: Option<&BTreeMap<String, String>>,
) -> Vec<(String, Option<String>)> {
    let empty = serde_json::Map::new();
    let declared = template["Parameters"].as_object().unwrap_or(&empty);
    declared
        .keys()
        .filter_map(|key| {
            if let Some((_, v)) = given.iter().rev().find(|(k, _)| k == key) {
                Some((key.clone(), Some(v.clone())))
            } else if previous.is_some_and(|p| p.contains_key(key)) {
                Some((key.clone(), None))
            } else {
                None
            }
        })
        .collect()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Value {
        json!({"Parameters": {
            "ShardCount": {"Type": "Number", "Default": 2, "MinValue": 1, "MaxValue": 200},
            "Mode": {"Type": "String", "Default": "A", "AllowedValues": ["A", "B"]}
        }})
    }

    #[test]
    fn a_parameter_without_default_or_value_is_named() {
        let t = json!({"Parameters": {"VpcId": {"Type": "AWS::EC2::VPC::Id", "Description": "The VPC."}}});
        let e = require_all(&t, &[], None).unwrap_err().to_string();
        assert_eq!(
            require_all(&t, &[], None).unwrap_err().exit_code(),
            2,
            "bad input"
        );
        assert_eq!(
            e,
            "parameter VpcId has no default: pass --parameter VpcId=VALUE (The VPC.)"
        );
        assert!(require_all(&t, &[("VpcId".into(), "vpc-1".into())], None).is_ok());
        let previous: BTreeMap<String, String> =
            [("VpcId".to_string(), "vpc-2".to_string())].into();
        assert!(require_all(&t, &[], Some(&previous)).is_ok());
    }

    #[test]
    fn out_of_range_names_the_constraint() {
        let err = check(&template(), &[("ShardCount".into(), "500".into())], "3").unwrap_err();
        assert!(err.to_string().contains("MaxValue 200"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        let err = check(&template(), &[("Shards".into(), "5".into())], "3").unwrap_err();
        assert!(err.to_string().contains("ShardCount"), "{err}");
    }

    #[test]
    fn every_bad_parameter_is_reported_at_once() {
        let t = json!({"Parameters": {
            "ShardCount": {"Type": "Number", "MinValue": 1, "MaxValue": 200},
            "Mode": {"Type": "String", "AllowedValues": ["A", "B"]},
            "VpcId": {"Type": "AWS::EC2::VPC::Id"}
        }});
        let given = [
            ("ShardCount".to_string(), "x".to_string()),
            ("Mode".to_string(), "C".to_string()),
            ("VpcId".to_string(), "vpc-nothex".to_string()),
            ("Nope".to_string(), "1".to_string()),
        ];
        let p = problems(&t, &given, "2");
        assert_eq!(p.len(), 4, "{p:#?}");
        assert!(p[0].contains("not a number"));
        assert!(p[1].contains("is not one of A, B"));
        assert!(p[2].contains("expected vpc- followed by"));
        assert!(p[3].contains("allowed: ShardCount, Mode, VpcId"));
    }

    #[test]
    fn effective_prefers_given_then_previous_then_default() {
        let prev = BTreeMap::from([("Mode".to_string(), "B".to_string())]);
        let eff = effective(
            &template(),
            &[("ShardCount".into(), "4".into())],
            Some(&prev),
        );
        assert_eq!(eff["ShardCount"], "4");
        assert_eq!(eff["Mode"], "B");
        let send = to_send(
            &template(),
            &[("ShardCount".into(), "4".into())],
            Some(&prev),
        );
        assert_eq!(
            send,
            vec![
                ("ShardCount".into(), Some("4".into())),
                ("Mode".into(), None)
            ]
        );
    }
}
