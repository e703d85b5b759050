//! Template values as they will be with one set of parameter values: `Ref`
//! to a parameter, `Fn::Sub` of parameters, `Fn::If` on the template's
//! conditions and `AWS::NoValue` resolved; anything only known while the
//! stack runs (`Fn::GetAtt`, other resources' `Ref`) kept as written, so two
//! sides compare equal when they refer to the same thing.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One side of a deployment: its template and its parameter values.
pub struct Scope<'a> {
    pub template: &'a Value,
    pub params: &'a BTreeMap<String, String>,
}

impl Scope<'_> {
    /// The resolved value at a `/`-separated property path of a resource
    /// (`Null` when absent).
    pub fn property(&self, logical_id: &str, path: &str) -> Value {
        let mut v = self.value(&self.template["Resources"][logical_id]["Properties"]);
        for key in path.split('/') {
            v = v.get(key).cloned().unwrap_or(Value::Null);
        }
        v
    }

    /// Resolves one template value.
    pub fn value(&self, v: &Value) -> Value {
        match v {
            Value::Object(map) => self.object(map),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.value(i))
                    .filter(|i| !i.is_null())
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn object(&self, map: &Map<String, Value>) -> Value {
        if map.len() == 1 {
            if let Some(name) = map.get("Ref").and_then(Value::as_str) {
                if name == "AWS::NoValue" {
                    return Value::Null;
                }
                if let Some(p) = self.params.get(name) {
                    return Value::String(p.clone());
                }
            }
            if let Some(text) = map.get("Fn::Sub").and_then(Value::as_str) {
                return Value::String(self.sub(text));
            }
            if let Some([cond, yes, no]) = map.get("Fn::If").and_then(array3) {
                if let Some(c) = cond.as_str().and_then(|c| self.condition(c)) {
                    return self.value(if c { yes } else { no });
                }
            }
        }
        let out: Map<String, Value> = map
            .iter()
            .map(|(k, v)| (k.clone(), self.value(v)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        Value::Object(out)
    }

    fn sub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (k, v) in self.params {
            out = out.replace(&format!("${{{k}}}"), v);
        }
        out
    }

    /// A named condition's value; `None` when it depends on something unknown.
    pub fn condition(&self, name: &str) -> Option<bool> {
        self.eval(&self.template["Conditions"][name])
    }

    fn eval(&self, expr: &Value) -> Option<bool> {
        let map = expr.as_object()?;
        let (op, args) = map.iter().next()?;
        match op.as_str() {
            "Condition" => self.condition(args.as_str()?),
            "Fn::Not" => Some(!self.eval(args.as_array()?.first()?)?),
            "Fn::And" => all(args.as_array()?.iter().map(|a| self.eval(a))),
            "Fn::Or" => all(args.as_array()?.iter().map(|a| self.eval(a).map(|b| !b))).map(|b| !b),
            "Fn::Equals" => {
                let pair = args.as_array()?;
                let (a, b) = (self.value(pair.first()?), self.value(pair.get(1)?));
                (scalar(&a) && scalar(&b)).then(|| text(&a) == text(&b))
            }
            _ => None,
        }
    }
}

fn array3(v: &Value) -> Option<&[Value; 3]> {
    v.as_array()?.as_slice().try_into().ok()
}

/// `Some(true)` when every value is known and true; `None` when any is unknown.
fn all(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = true;
    for v in values {
        result &= v?;
    }
    Some(result)
}

fn scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_parameters_conditions_and_no_value() {
        let t = json!({
            "Conditions": {
                "On": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Key"}, ""]}]},
                "Both": {"Fn::And": [{"Condition": "On"}, {"Fn::Equals": ["a", "a"]}]}
            },
            "Resources": {"R": {"Properties": {
                "Name": {"Fn::Sub": "${Stream}-x"},
                "Part": {"Fn::If": ["Both", {"Enabled": true}, {"Ref": "AWS::NoValue"}]},
                "Arn": {"Fn::GetAtt": ["S", "Arn"]}
            }}}
        });
        let off = BTreeMap::from([("Key".into(), String::new()), ("Stream".into(), "s".into())]);
        let on = BTreeMap::from([("Key".into(), "k".into()), ("Stream".into(), "s".into())]);
        let off = Scope {
            template: &t,
            params: &off,
        };
        let on = Scope {
            template: &t,
            params: &on,
        };
        assert_eq!(off.property("R", "Name"), json!("s-x"));
        assert_eq!(off.property("R", "Part/Enabled"), Value::Null);
        assert_eq!(on.property("R", "Part/Enabled"), json!(true));
        assert_eq!(on.property("R", "Arn"), json!({"Fn::GetAtt": ["S", "Arn"]}));
        assert_eq!(on.condition("Both"), Some(true));
        assert_eq!(off.condition("Missing"), None);
    }
}
