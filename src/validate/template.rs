//! Structural checks on a composed template, run on every render. Errors name
//! the fragment (or manifest) file and the logical ID at fault.
//!
//! Checks: every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, `DependsOn` and
//! `Condition` resolves; every parameter and condition is used; parameter
//! defaults satisfy their own constraints; parameters and outputs are described
//! and every parameter sits in exactly one console group of the manifest.

use std::collections::{BTreeSet, HashSet};

use regex::Regex;
use serde_json::{Map, Value};

use crate::catalog::Manifest;
use crate::error::{Error, Result};
use crate::origins::Origins;

const PSEUDO: [&str; 8] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// A reference found while walking a template value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Ref(String),
    GetAtt(String),
    /// `${Name}` or `${Resource.Attribute}` in `Fn::Sub` (resource part only).
    Sub(String),
    Condition(String),
}

/// Runs every check; the first failure is returned.
pub fn validate(template: &Value, origins: &Origins, manifest: &Manifest) -> Result<()> {
    let empty = Map::new();
    let section = |name: &str| template[name].as_object().unwrap_or(&empty);
    let (params, conditions, resources, outputs) = (
        section("Parameters"),
        section("Conditions"),
        section("Resources"),
        section("Outputs"),
    );
    let origin = |id: &str| {
        origins
            .get(id)
            .cloned()
            .unwrap_or_else(|| "template".into())
    };
    let mut used: HashSet<String> = HashSet::new();

    let check = |id: &str, refs: &[Reference], used: &mut HashSet<String>, only_params: bool| {
        for r in refs {
            let (target, ok) = match r {
                Reference::Ref(t) | Reference::Sub(t) => {
                    let known = params.contains_key(t)
                        || PSEUDO.contains(&t.as_str())
                        || (!only_params && resources.contains_key(t));
                    (t, known)
                }
                Reference::GetAtt(t) => (t, !only_params && resources.contains_key(t)),
                Reference::Condition(t) => (t, conditions.contains_key(t)),
            };
            if !ok {
                return Err(Error::template(
                    origin(id),
                    id,
                    format!("{} does not resolve: no such {}", describe(r), kind_of(r)),
                ));
            }
            used.insert(target.clone());
        }
        Ok(())
    };

    for (id, cond) in conditions {
        let mut refs = Vec::new();
        collect(cond, true, &mut refs);
        check(id, &refs, &mut used, true)?;
    }
    for (id, res) in resources {
        let Some(def) = res.as_object() else {
            return Err(Error::template(
                origin(id),
                id,
                "resource must be a mapping",
            ));
        };
        if !def.get("Type").is_some_and(Value::is_string) {
            return Err(Error::template(origin(id), id, "resource has no Type"));
        }
        let mut refs = Vec::new();
        for (key, value) in def {
            match key.as_str() {
                "Condition" => refs.push(Reference::Condition(as_name(value))),
                "DependsOn" => {
                    let names: Vec<String> = match value {
                        Value::Array(items) => items.iter().map(as_name).collect(),
                        other => vec![as_name(other)],
                    };
                    for name in names {
                        if !resources.contains_key(&name) {
                            return Err(Error::template(
                                origin(id),
                                id,
                                format!("DependsOn '{name}' does not resolve: no such resource"),
                            ));
                        }
                    }
                }
                _ => collect(value, false, &mut refs),
            }
        }
        check(id, &refs, &mut used, false)?;
    }
    for (id, out) in outputs {
        if !out["Description"].is_string() {
            return Err(Error::template(origin(id), id, "output has no Description"));
        }
        let mut refs = Vec::new();
        if let Some(c) = out.get("Condition") {
            refs.push(Reference::Condition(as_name(c)));
        }
        collect(&out["Value"], false, &mut refs);
        if let Some(export) = out.get("Export") {
            collect(export, false, &mut refs);
        }
        check(id, &refs, &mut used, false)?;
    }

    for (id, param) in params {
        if !used.contains(id) {
            return Err(Error::template(origin(id), id, "parameter is never used"));
        }
        check_parameter(id, param).map_err(|m| Error::template(origin(id), id, m))?;
    }
    for id in conditions.keys() {
        if !used.contains(id) {
            return Err(Error::template(origin(id), id, "condition is never used"));
        }
    }
    check_groups(params, manifest)
}

/// Every template parameter in exactly one manifest group, and nothing else there.
fn check_groups(params: &Map<String, Value>, manifest: &Manifest) -> Result<()> {
    let mut seen = BTreeSet::new();
    for group in &manifest.parameter_groups {
        for name in &group.parameters {
            if !params.contains_key(name) {
                return Err(Error::template(
                    &manifest.file,
                    name,
                    format!(
                        "parameter group '{}' names a parameter the template does not have",
                        group.label
                    ),
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(Error::template(
                    &manifest.file,
                    name,
                    "parameter is in more than one group",
                ));
            }
        }
    }
    if let Some(missing) = params.keys().find(|p| !seen.contains(*p)) {
        return Err(Error::template(
            &manifest.file,
            missing,
            "parameter is in no parameter group; add it to parameter_groups",
        ));
    }
    Ok(())
}

/// The parameter is described and its default satisfies its own constraints.
pub fn check_parameter(id: &str, param: &Value) -> Result<(), String> {
    if !param["Description"].is_string() {
        return Err("parameter has no Description".into());
    }
    let Some(default) = param.get("Default") else {
        return Ok(());
    };
    let text = match default {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => return Err(format!("Default must be a string or number, got {other}")),
    };
    check_value(param, &text).map_err(|m| format!("Default of {id} {m}"))
}

/// Checks a parameter value (as CloudFormation receives it: a string) against
/// the parameter's declared constraints. Used for defaults and user input.
pub fn check_value(param: &Value, full_text: &str) -> Result<(), String> {
    // Messages quote the value cut to one readable line.
    let shown = crate::error::cut(full_text);
    check_value_as(param, full_text, &shown)
}

fn check_value_as(param: &Value, full: &str, text: &str) -> Result<(), String> {
    if param["Type"] == "Number" {
        let number: f64 = full
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a number"))?;
        if let Some(min) = param["MinValue"].as_f64() {
            if number < min {
                return Err(format!("'{text}' is below MinValue {min}"));
            }
        }
        if let Some(max) = param["MaxValue"].as_f64() {
            if number > max {
                return Err(format!("'{text}' is above MaxValue {max}"));
            }
        }
    }
    if let Some(allowed) = param["AllowedValues"].as_array() {
        let allowed: Vec<String> = allowed.iter().map(as_name).collect();
        if !allowed.iter().any(|a| a == full) {
            return Err(format!("'{text}' is not one of {}", allowed.join(", ")));
        }
    }
    let length = full.chars().count() as u64;
    if param["MinLength"].as_u64().is_some_and(|min| length < min) {
        return Err(format!(
            "'{text}' is shorter than MinLength {}",
            param["MinLength"]
        ));
    }
    if param["MaxLength"].as_u64().is_some_and(|max| length > max) {
        return Err(format!(
            "'{text}' is longer than MaxLength {}",
            param["MaxLength"]
        ));
    }
    if let Some(pattern) = param["AllowedPattern"].as_str() {
        // CloudFormation matches the whole value.
        let re = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("has an AllowedPattern that does not compile: {e}"))?;
        if !re.is_match(full) {
            return Err(format!("'{text}' does not match AllowedPattern {pattern}"));
        }
    }
    Ok(())
}

/// Collects references under `value`. `in_conditions` enables the
/// `{"Condition": name}` form, which only means a reference inside `Conditions`.
pub fn collect(value: &Value, in_conditions: bool, out: &mut Vec<Reference>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect(v, in_conditions, out)),
        Value::Object(map) => {
            if map.len() == 1 {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => return out.push(Reference::Ref(as_name(arg))),
                    "Fn::GetAtt" => {
                        let target = match arg {
                            Value::Array(parts) => parts.first().map(as_name).unwrap_or_default(),
                            other => as_name(other).split('.').next().unwrap_or("").to_string(),
                        };
                        return out.push(Reference::GetAtt(target));
                    }
                    "Fn::Sub" => return collect_sub(arg, in_conditions, out),
                    "Fn::If" => {
                        if let Some(Value::Array(parts)) = Some(arg) {
                            if let Some(first) = parts.first() {
                                out.push(Reference::Condition(as_name(first)));
                            }
                            parts
                                .iter()
                                .skip(1)
                                .for_each(|v| collect(v, in_conditions, out));
                            return;
                        }
                    }
                    "Condition" if in_conditions && arg.is_string() => {
                        return out.push(Reference::Condition(as_name(arg)));
                    }
                    _ => {}
                }
            }
            map.values().for_each(|v| collect(v, in_conditions, out));
        }
        _ => {}
    }
}

fn collect_sub(arg: &Value, in_conditions: bool, out: &mut Vec<Reference>) {
    let (text, locals) = match arg {
        Value::String(s) => (s.as_str(), None),
        Value::Array(parts) => (
            parts.first().and_then(Value::as_str).unwrap_or(""),
            parts.get(1).and_then(Value::as_object),
        ),
        _ => return,
    };
    if let Some(locals) = locals {
        locals.values().for_each(|v| collect(v, in_conditions, out));
    }
    for var in sub_variables(text) {
        if locals.is_some_and(|l| l.contains_key(&var)) {
            continue;
        }
        let target = if var.starts_with("AWS::") {
            var
        } else {
            var.split('.').next().unwrap_or("").to_string()
        };
        out.push(Reference::Sub(target));
    }
}

/// Variable names in an `Fn::Sub` string (`${!Literal}` escapes are skipped).
pub fn sub_variables(text: &str) -> Vec<String> {
    let mut vars = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            vars.push(name.trim().to_string());
        }
        rest = &after[end + 1..];
    }
    vars
}

fn as_name(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn describe(r: &Reference) -> String {
    match r {
        Reference::Ref(t) => format!("Ref '{t}'"),
        Reference::GetAtt(t) => format!("Fn::GetAtt '{t}'"),
        Reference::Sub(t) => format!("Fn::Sub variable '${{{t}}}'"),
        Reference::Condition(t) => format!("Condition '{t}'"),
    }
}

fn kind_of(r: &Reference) -> &'static str {
    match r {
        Reference::Ref(_) | Reference::Sub(_) => "parameter, resource or pseudo parameter",
        Reference::GetAtt(_) => "resource",
        Reference::Condition(_) => "condition",
    }
}
