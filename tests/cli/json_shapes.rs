//! Every command's JSON result has the shape README.md documents: each key
//! of each result line in the expected outputs (`tests/cli/expected/*.json`,
//! written by the in-process command tests) is named in the command's row of
//! the README's JSON output table, and each file's command has a row.

use std::collections::BTreeMap;

use serde_json::Value;

/// Expected file -> the command as the README table's first column names it.
pub(crate) const FILES: [(&str, &str); 20] = [
    ("bootstrap-again.json", "bootstrap"),
    ("build-dist.json", "build-dist"),
    ("dashboard.json", "dashboard"),
    ("deploy-regions.json", "deploy"),
    ("deploy-update.json", "deploy"),
    ("destroy-delete-data.json", "destroy"),
    ("diff-json.json", "diff"),
    ("docs-drifted.json", "docs"),
    ("drift.json", "drift"),
    ("estimate.json", "estimate"),
    ("list.json", "list"),
    ("failover-back.json", "failover"),
    ("local-replicate-again.json", "local replicate"),
    ("outputs.json", "outputs"),
    ("patterns.json", "patterns"),
    ("publish-unchanged.json", "publish"),
    ("replication-status.json", "replication status"),
    ("scale-unchanged.json", "scale"),
    ("status.json", "status"),
    ("synth-out.json", "synth --out"),
];

/// Result-line kinds that are not progress (progress events are documented
/// in `src/progress.rs`).
const RESULT_EVENTS: [&str; 2] = ["result", "active_region"];

/// The README table: command -> the backticked words of its row.
fn documented() -> BTreeMap<String, Vec<String>> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## JSON output")
        .nth(1)
        .expect("a JSON output section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut out = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let words = backticked(cells[1..].join(" | ").as_str());
        for command in backticked(cells[0]) {
            out.insert(command, words.clone());
        }
    }
    out
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_result_key_is_documented() {
    let table = documented();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/expected");
    for (file, command) in FILES {
        let words = table
            .get(command)
            .unwrap_or_else(|| panic!("README's JSON table has no row for `{command}`"));
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let stdout = text
            .split("--- stdout\n")
            .nth(1)
            .unwrap_or(&text)
            .split("\n--- ")
            .next()
            .unwrap();
        let mut checked = 0;
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let event = object.get("event").and_then(Value::as_str);
            if event.is_some_and(|e| !RESULT_EVENTS.contains(&e)) {
                continue;
            }
            for key in object.keys() {
                assert!(
                    words.iter().any(|w| w == key),
                    "{file}: key `{key}` of a `{command}` result is not in README's JSON table row"
                );
            }
            checked += 1;
        }
        assert!(checked > 0, "{file}: no result line found");
    }
}
