//! The contract with the CloudFormation template (templates/processor/lambda.yaml):
//! the environment the function reads, the bounds it checks (the same as
//! the parameters'), and the metrics its dashboard shows.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use streamkit_core::config::ConfigError;
use streamkit_processor::config::DEFAULT_METRIC_NAMESPACE;
use streamkit_processor::metrics::{self, BatchCounts};
use streamkit_processor::{ProcessorConfig, ProcessorError, ENV_VARS};

fn template(path: &str) -> String {
    let full = format!("{}/../../templates/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn template_env() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("OUTPUT_BUCKET", "my-stack-output".to_string()),
        ("OUTPUT_PREFIX", "data/".into()),
        ("LATE_PREFIX", "late/".into()),
        ("STATE_TABLE", "my-stack-StateTable-1".into()),
        ("WINDOW_SECONDS", "10".into()),
        ("ALLOWED_LATENESS_SECONDS", "5".into()),
        ("IDLE_SHARD_TIMEOUT_SECONDS", "60".into()),
        ("EMIT_CONCURRENCY", "1".into()),
        ("METRICS_NAMESPACE", "Streamkit/Processor".into()),
        ("STACK_NAME", "my-stack".into()),
    ])
}

fn parse(env: &BTreeMap<&'static str, String>) -> Result<ProcessorConfig, ProcessorError> {
    ProcessorConfig::from_lookup(|name| env.get(name).cloned())
}

#[test]
fn reads_exactly_the_variables_the_template_sets() {
    let text = template("processor/lambda.yaml");
    let call = text
        .lines()
        .find(|l| l.contains("pm::function(id=\"Processor\""))
        .expect("the Processor function in templates/processor/lambda.yaml");
    let env = &call[call.find("env='").expect("an env argument")..];
    let theirs: BTreeSet<String> = Regex::new(r"[{,]\s*([A-Z][A-Z0-9_]*):\s")
        .unwrap()
        .captures_iter(env)
        .map(|c| c[1].to_string())
        .collect();
    let ours: BTreeSet<String> = ENV_VARS.iter().map(|s| s.to_string()).collect();
    assert_eq!(theirs, ours);
    let fixture: BTreeSet<String> = template_env().keys().map(|s| s.to_string()).collect();
    assert_eq!(fixture, ours);
}

#[test]
fn parses_the_template_environment_and_defaults_to_it() {
    let cfg = parse(&template_env()).unwrap();
    assert_eq!(cfg.window, Duration::from_secs(10));
    assert_eq!(cfg.allowed_lateness, Duration::from_secs(5));
    assert_eq!(cfg.idle_shard_timeout, Duration::from_secs(60));
    assert_eq!(
        (cfg.table.as_str(), cfg.late_prefix.as_str()),
        ("my-stack-StateTable-1", "late/")
    );
    let mut env = template_env();
    for name in [
        "OUTPUT_PREFIX",
        "LATE_PREFIX",
        "WINDOW_SECONDS",
        "ALLOWED_LATENESS_SECONDS",
        "IDLE_SHARD_TIMEOUT_SECONDS",
        "EMIT_CONCURRENCY",
        "METRICS_NAMESPACE",
    ] {
        env.remove(name);
    }
    assert_eq!(parse(&env).unwrap(), cfg);
    assert_eq!(DEFAULT_METRIC_NAMESPACE, "Streamkit/Processor");
}

/// The bounds the function checks are the template parameters' bounds.
#[test]
fn bad_values_are_errors_with_the_parameter_bounds() {
    let params = template("processor/parameters.yaml");
    for (var, param) in [
        ("WINDOW_SECONDS", "WindowSeconds"),
        ("ALLOWED_LATENESS_SECONDS", "AllowedLatenessSeconds"),
        ("IDLE_SHARD_TIMEOUT_SECONDS", "IdleShardTimeoutSeconds"),
        ("EMIT_CONCURRENCY", "ProcessorParallelism"),
    ] {
        let block = &params[params.find(&format!("  {param}:")).unwrap()..];
        let num = |key: &str| -> u64 {
            let at = block.find(key).unwrap() + key.len();
            block[at..]
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let (min, max) = (num("MinValue:"), num("MaxValue:"));
        for (value, ok) in [(min, true), (max, true), (max + 1, false)] {
            let mut env = template_env();
            env.insert(var, value.to_string());
            assert_eq!(parse(&env).is_ok(), ok, "{var}={value}");
        }
        if min > 0 {
            let mut env = template_env();
            env.insert(var, (min - 1).to_string());
            let err = parse(&env).unwrap_err().to_string();
            assert!(
                err.contains(var) && err.contains(&format!("from {min} to {max}")),
                "{err}"
            );
        }
        let mut env = template_env();
        env.insert(var, "ten".into());
        assert!(parse(&env).is_err());
    }
    for name in ["OUTPUT_BUCKET", "STATE_TABLE", "STACK_NAME"] {
        let mut env = template_env();
        env.remove(name);
        assert!(
            matches!(parse(&env), Err(ProcessorError::Config(ConfigError::MissingEnv(n))) if n == name),
            "{name}"
        );
    }
}

#[test]
fn every_metric_the_dashboard_reads_is_published() {
    let read: BTreeSet<(String, String)> =
        Regex::new(r"\[(Streamkit/[A-Za-z]+), (\w+), StackName,")
            .unwrap()
            .captures_iter(&template("processor/lambda.yaml"))
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
    let data = metrics::metric_data(&BatchCounts::default(), "st");
    let published: BTreeSet<(String, String)> = data
        .iter()
        .map(|d| {
            (
                DEFAULT_METRIC_NAMESPACE.to_string(),
                d.metric_name().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(read.len(), 6, "{read:?}");
    // Every metric the dashboard graphs is published; the others published
    // are each an alarm's (shown on the dashboard as an alarm widget).
    assert!(read.is_subset(&published), "{read:?} {published:?}");
    let text = template("processor/lambda.yaml");
    for (_, name) in published.difference(&read) {
        assert!(
            text.contains(&format!("metric=\"{name}\"")),
            "{name} is published but neither graphed nor alarmed"
        );
    }
    for d in &data {
        let dims: Vec<(&str, &str)> = d
            .dimensions()
            .iter()
            .map(|x| (x.name().unwrap(), x.value().unwrap()))
            .collect();
        assert_eq!(dims, [("StackName", "st")]);
    }
}
