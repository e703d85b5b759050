//! The contract with the CloudFormation template (templates/joins/*.yaml):
//! the environment the function reads, the bounds of each setting, and the
//! metrics its alarms and dashboard read. No emulator: the data are checked
//! as built.

use regex::Regex;
use std::collections::BTreeSet;
use streamkit_joins::config::ENV_VARS;
use streamkit_joins::metrics::{self, JoinCounts};

fn fragment(name: &str) -> String {
    let path = format!(
        "{}/../../templates/joins/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn reads_exactly_the_variables_the_template_sets() {
    let text = fragment("processor.yaml");
    let vars = &text[text.find("Variables:").expect("the function's environment")..];
    let vars = &vars[..vars.find("  ProcessorEventSourceMapping").unwrap()];
    let theirs: BTreeSet<String> = Regex::new(r"(?m)^\s+([A-Z][A-Z0-9_]*):")
        .unwrap()
        .captures_iter(vars)
        .map(|c| c[1].to_string())
        .collect();
    let ours: BTreeSet<String> = ENV_VARS.iter().map(|s| s.to_string()).collect();
    assert_eq!(theirs, ours);
}

#[test]
fn parameter_bounds_match_the_function_checks() {
    use streamkit_joins::config::*;
    let text = fragment("parameters.yaml");
    for (param, (default, min, max)) in [
        ("JoinWindowSeconds", WINDOW_SECONDS_RANGE),
        ("AllowedLatenessSeconds", LATENESS_SECONDS_RANGE),
        ("IdleShardTimeoutSeconds", IDLE_SECONDS_RANGE),
        ("ReferenceCheckSeconds", REFERENCE_CHECK_RANGE),
        ("StateRetentionHours", RETENTION_HOURS_RANGE),
    ] {
        let block: String = text
            .lines()
            .skip_while(|l| *l != format!("  {param}:"))
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .map(|l| format!("{}\n", l.trim()))
            .collect();
        for (key, value) in [("Default", default), ("MinValue", min), ("MaxValue", max)] {
            assert!(
                block.contains(&format!("{key}: {value}\n")),
                "{param}: {key} {value} in\n{block}"
            );
        }
    }
    assert!(text.contains(&format!("Default: {DEFAULT_REFERENCE_KEY}\n")));
}

#[test]
fn the_metrics_the_template_reads_are_published() {
    let text = fragment("processor.yaml");
    let read: BTreeSet<String> = Regex::new(r"Streamkit/Joins, (\w+),|metric=\x22(\w+)\x22")
        .unwrap()
        .captures_iter(&text)
        .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().to_string()))
        .filter(|m| !["Errors", "Throttles", "IteratorAge"].contains(&m.as_str()))
        .collect();
    let published: BTreeSet<String> = metrics::metric_data(&JoinCounts::default(), "s")
        .iter()
        .filter_map(|d| d.metric_name().map(str::to_string))
        .collect();
    assert!(!read.is_empty());
    assert!(read.is_subset(&published), "{read:?} not in {published:?}");
    assert!(text.contains("Streamkit/Joins"));
    assert_eq!(
        streamkit_joins::config::DEFAULT_METRIC_NAMESPACE,
        "Streamkit/Joins"
    );
}
