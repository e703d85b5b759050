//! Parameter values against their CloudFormation type: `Number`, the AWS
//! EC2 id types (`AWS::EC2::VPC::Id` is `vpc-` and 8 or 17 lower-case hex
//! digits, and so on) and their `List<...>` forms. The template's own
//! constraints (AllowedValues, AllowedPattern, Min/Max) are checked by
//! [`super::check_value`]; this adds what CloudFormation itself would only
//! report after a change set was made.

/// EC2 id types and the prefix of their ids.
const EC2_IDS: [(&str, &str); 6] = [
    ("AWS::EC2::VPC::Id", "vpc"),
    ("AWS::EC2::Subnet::Id", "subnet"),
    ("AWS::EC2::SecurityGroup::Id", "sg"),
    ("AWS::EC2::Image::Id", "ami"),
    ("AWS::EC2::Instance::Id", "i"),
    ("AWS::EC2::Volume::Id", "vol"),
];

/// Why `value` is not a valid `param_type`, if it is not.
pub fn check_type(param_type: &str, value: &str) -> Result<(), String> {
    if let Some(inner) = param_type
        .strip_prefix("List<")
        .and_then(|t| t.strip_suffix('>'))
    {
        if value.is_empty() {
            return Ok(());
        }
        return value
            .split(',')
            .try_for_each(|item| check_type(inner, item.trim()));
    }
    if param_type == "Number" {
        return value
            .trim()
            .parse::<f64>()
            .map(|_| ())
            .map_err(|_| format!("'{}' is not a number", crate::error::cut(value)));
    }
    if let Some((_, prefix)) = EC2_IDS.iter().find(|(t, _)| *t == param_type) {
        let ok = value
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|hex| {
                (hex.len() == 8 || hex.len() == 17)
                    && hex
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            });
        if !ok {
            return Err(format!(
                "'{}' is not a {param_type}: expected {prefix}- followed by 8 or 17 lower-case hex digits (e.g. {prefix}-0123456789abcdef0)",
                crate::error::cut(value)
            ));
        }
    }
    Ok(())
}

/// Whether a `Number` parameter takes whole numbers only: its `Default`,
/// `MinValue` and `MaxValue` (those present, at least one) are all integers.
/// CloudFormation has no integer type; every count, size and duration of
/// streamkit's templates is declared this way (shards, batch sizes, seconds).
pub fn is_integer(param: &serde_json::Value) -> bool {
    if param["Type"] != "Number" {
        return false;
    }
    let bounds: Vec<&serde_json::Value> = ["Default", "MinValue", "MaxValue"]
        .iter()
        .filter_map(|k| param.get(*k))
        .collect();
    !bounds.is_empty()
        && bounds.iter().all(|v| match v {
            serde_json::Value::Number(n) => n.is_i64() || n.is_u64(),
            serde_json::Value::String(s) => integer_text(s),
            _ => false,
        })
}

/// `value` is a whole number as typed: an optional `-` and digits only (no
/// spaces, `+`, decimal point or exponent).
pub fn integer_text(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Why `value` is not a valid value of the integer parameter `param`, if not.
pub fn check_integer(param: &serde_json::Value, value: &str) -> Result<(), String> {
    if is_integer(param) && !integer_text(value) {
        return Err(format!(
            "'{}' is not a whole number (digits only, no spaces, decimal point or exponent)",
            crate::error::cut(value)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_parameters_take_digits_only() {
        let p = serde_json::json!({"Type": "Number", "Default": 2, "MinValue": 1, "MaxValue": 200});
        for ok in ["3", "200", "-1", "007"] {
            assert!(check_integer(&p, ok).is_ok(), "{ok}");
        }
        for bad in ["2.5", "1e2", " 3", "3 ", "+3", "", "3.0", "0x10"] {
            assert!(check_integer(&p, bad).is_err(), "{bad:?}");
        }
        let ratio = serde_json::json!({"Type": "Number", "Default": 0.5});
        assert!(!is_integer(&ratio));
        assert!(!is_integer(&serde_json::json!({"Type": "Number"})));
        assert!(!is_integer(
            &serde_json::json!({"Type": "String", "Default": 1})
        ));
    }

    #[test]
    fn ec2_ids_need_their_prefix_and_hex() {
        assert!(check_type("AWS::EC2::VPC::Id", "vpc-0123456789abcdef0").is_ok());
        assert!(check_type("AWS::EC2::VPC::Id", "vpc-1a2b3c4d").is_ok());
        for bad in [
            "vpc-1",
            "subnet-1a2b3c4d",
            "vpc-0123456789ABCDEF0",
            "vpc-xyzxyzxy",
            "",
            "1a2b3c4d",
        ] {
            let e = check_type("AWS::EC2::VPC::Id", bad).unwrap_err();
            assert!(e.contains("expected vpc- followed by"), "{e}");
        }
        assert!(check_type("AWS::EC2::Subnet::Id", "subnet-1a2b3c4d").is_ok());
        assert!(check_type("AWS::EC2::Subnet::Id", "vpc-1a2b3c4d").is_err());
    }

    #[test]
    fn lists_numbers_and_other_types() {
        assert!(check_type(
            "List<AWS::EC2::Subnet::Id>",
            "subnet-1a2b3c4d,subnet-5e6f7a8b"
        )
        .is_ok());
        assert!(check_type("List<AWS::EC2::Subnet::Id>", "subnet-1a2b3c4d,oops").is_err());
        assert!(check_type("Number", "4").is_ok());
        assert!(check_type("Number", "four").is_err());
        assert!(check_type("String", "anything").is_ok());
        assert!(check_type("AWS::EC2::KeyPair::KeyName", "my key").is_ok());
    }
}
