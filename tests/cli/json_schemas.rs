//! One JSON schema for every command's result (issue 26, item 9): each
//! command's `--output json` result lines against its JSON Schema in
//! `tests/cli/schemas/<command>.schema.json` (one `outcome` key, `region` on
//! results about a region, outputs as an object, dollars in cents, no key the
//! schema does not name). [`check`] runs on the real output of every command
//! the in-process command tests run (`commands::expect`, before volatile parts
//! are filtered); the test below checks that every schema is itself valid and
//! every command of the README's JSON table has one.

use std::path::PathBuf;

use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cli/schemas")
}

/// The schema file of a command as the README's table names it (`synth --out` -> `synth`).
fn schema_of(command: &str) -> PathBuf {
    let name = command
        .split(" --")
        .next()
        .unwrap_or(command)
        .replace(' ', "-");
    dir().join(format!("{name}.schema.json"))
}

/// Lines of a command's stdout that are results (not progress events).
fn results(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| match v.get("event").and_then(Value::as_str) {
            None => true,
            Some(e) => ["result", "active_region", "preflight"].contains(&e),
        })
        .collect()
}

/// Validates `stdout` (the JSON output of the expected file `name`, when
/// `name` is one of `json_shapes::FILES`) against its command's schema.
pub fn check(name: &str, stdout: &str) {
    let Some((_, command)) = crate::json_shapes::FILES.iter().find(|(f, _)| *f == name) else {
        return;
    };
    let path = schema_of(command);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}: every command has a schema", path.display())),
    )
    .unwrap();
    let validator =
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = results(stdout);
    assert!(!lines.is_empty(), "{name}: no result line in {stdout}");
    for line in lines {
        let problems: Vec<String> = validator
            .iter_errors(&line)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{name}: a `{command}` result against {}: {problems:#?}\n{line}",
            path.display()
        );
    }
}

#[test]
fn every_schema_is_valid_and_every_documented_command_has_one() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        jsonschema::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("{}: not a JSON Schema: {e}", path.display()));
    }
    for (_, command) in crate::json_shapes::FILES {
        assert!(schema_of(command).exists(), "{command}: no schema");
    }
    for command in ["estimate", "local up", "preflight"] {
        assert!(schema_of(command).exists(), "{command}: no schema");
    }
    // Dollars in cents, as the schemas say them: the float the issue saw fails.
    let cents = jsonschema::validator_for(&serde_json::json!({"multipleOf": 0.01})).unwrap();
    assert!(cents.is_valid(&serde_json::json!(48.7)));
    assert!(!cents.is_valid(&serde_json::json!(48.699999999999996)));
}
