//! The contract with the CloudFormation template (templates/processor/lambda.yaml):
//! the environment the function reads and the metrics its dashboard shows.
//! No emulator: the data are checked as built (moto cannot take the
//! CloudWatch rpc-v2-cbor PutMetricData).

use aws_sdk_cloudwatch::types::StandardUnit;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use streamkit_processor::metrics::{self, BatchCounts};
use streamkit_processor::{ProcessorConfig, ProcessorError, DEFAULT_METRIC_NAMESPACE, ENV_VARS};

fn template() -> String {
    let full = format!(
        "{}/../../templates/processor/lambda.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn template_env() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("OUTPUT_BUCKET", "my-stack-output".to_string()),
        ("OUTPUT_PREFIX", "data/".into()),
        ("WINDOW_SECONDS", "60".into()),
        ("METRICS_NAMESPACE", "Streamkit/Processor".into()),
        ("STACK_NAME", "my-stack".into()),
    ])
}

fn parse(env: &BTreeMap<&'static str, String>) -> Result<ProcessorConfig, ProcessorError> {
    ProcessorConfig::from_lookup(|name| env.get(name).cloned())
}

#[test]
fn reads_exactly_the_variables_the_template_sets() {
    let text = template();
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
fn parses_the_template_environment() {
    let cfg = parse(&template_env()).unwrap();
    assert_eq!(
        cfg,
        ProcessorConfig {
            bucket: "my-stack-output".into(),
            prefix: "data/".into(),
            window: Duration::from_secs(60),
            metric_namespace: "Streamkit/Processor".into(),
            stack_name: "my-stack".into(),
        }
    );
    let mut env = template_env();
    env.insert("WINDOW_SECONDS", "300".into());
    assert_eq!(parse(&env).unwrap().window, Duration::from_secs(300));
    // The optional ones default to the template's values.
    for name in ["OUTPUT_PREFIX", "WINDOW_SECONDS", "METRICS_NAMESPACE"] {
        env.remove(name);
    }
    assert_eq!(parse(&env).unwrap(), parse(&template_env()).unwrap());
    assert_eq!(DEFAULT_METRIC_NAMESPACE, "Streamkit/Processor");
}

#[test]
fn missing_names_and_bad_windows_are_errors() {
    for name in ["OUTPUT_BUCKET", "STACK_NAME"] {
        let mut env = template_env();
        env.remove(name);
        assert!(
            matches!(parse(&env), Err(ProcessorError::MissingEnv(n)) if n == name),
            "{name}"
        );
    }
    for bad in ["0", "sixty", ""] {
        let mut env = template_env();
        env.insert("WINDOW_SECONDS", bad.into());
        assert!(
            matches!(parse(&env), Err(ProcessorError::BadWindow(v)) if v == bad),
            "{bad:?}"
        );
    }
}

#[test]
fn metric_data_carry_every_count_with_the_stack_dimension() {
    let counts = BatchCounts {
        records_in: 100,
        late_records: 3,
        malformed_records: 2,
        windows_emitted: 7,
        objects_written: 4,
        bytes_written: 12345,
    };
    let data = metrics::metric_data(&counts, "my-stack");
    let got: Vec<(&str, f64, &StandardUnit)> = data
        .iter()
        .map(|d| {
            (
                d.metric_name().unwrap(),
                d.value().unwrap(),
                d.unit().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("RecordsIn", 100.0, &StandardUnit::Count),
            ("LateRecords", 3.0, &StandardUnit::Count),
            ("MalformedRecords", 2.0, &StandardUnit::Count),
            ("WindowsEmitted", 7.0, &StandardUnit::Count),
            ("ObjectsWritten", 4.0, &StandardUnit::Count),
            ("BytesWritten", 12345.0, &StandardUnit::Bytes),
        ]
    );
    for d in &data {
        let dims: Vec<(&str, &str)> = d
            .dimensions()
            .iter()
            .map(|x| (x.name().unwrap(), x.value().unwrap()))
            .collect();
        assert_eq!(dims, [("StackName", "my-stack")]);
    }
}

#[test]
fn every_metric_the_dashboard_reads_is_published() {
    let read: BTreeSet<(String, String)> =
        Regex::new(r"\[(Streamkit/[A-Za-z]+), (\w+), StackName,")
            .unwrap()
            .captures_iter(&template())
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
    let published: BTreeSet<(String, String)> = metrics::metric_data(&BatchCounts::default(), "st")
        .iter()
        .map(|d| {
            (
                DEFAULT_METRIC_NAMESPACE.to_string(),
                d.metric_name().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(read.len(), 6, "{read:?}");
    assert_eq!(read, published);
}
