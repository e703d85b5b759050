//! The contract with the CloudFormation templates: the environment the
//! function reads and the metrics it publishes (names, namespace, dimension,
//! units). No emulator: the data are checked as built (moto cannot take the
//! CloudWatch rpc-v2-cbor PutMetricData).

use aws_sdk_cloudwatch::types::{MetricDatum, StandardUnit};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use streamkit_enrichment::config::{self, ConfigError, Settings, ENV_VARS};
use streamkit_enrichment::enrich::DEFAULT_METRIC_NAMESPACE;
use streamkit_enrichment::{metrics, EnrichSummary};

fn template(path: &str) -> String {
    let full = format!("{}/../../templates/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The variable names of the Processor function's `env` in the template.
fn template_env_names() -> BTreeSet<String> {
    let text = template("enrichment/processor.yaml");
    let call = text
        .lines()
        .find(|l| l.contains("pm::function(id=\"Processor\""))
        .expect("the Processor function in templates/enrichment/processor.yaml");
    let env = &call[call.find("env='").expect("an env argument")..];
    Regex::new(r"[{,]\s*([A-Z][A-Z0-9_]*):\s")
        .unwrap()
        .captures_iter(env)
        .map(|c| c[1].to_string())
        .collect()
}

/// The environment as the rendered template sets it.
fn template_env() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (
            "API_URL",
            "https://abc123.execute-api.eu-west-1.amazonaws.com/prod".to_string(),
        ),
        (
            "API_KEY_SECRET",
            "streamkit/my-stack/fare-api-key-1a2b3c4d".into(),
        ),
        ("OUTPUT_BUCKET", "my-stack-output".into()),
        ("OUTPUT_PREFIX", "enriched/".into()),
        ("SAMPLE_EVERY", "20".into()),
        ("MAX_IN_FLIGHT", "20".into()),
        ("API_TIMEOUT_SECONDS", "30".into()),
        ("METRICS_NAMESPACE", "Streamkit/Enrichment".into()),
        ("STACK_NAME", "my-stack".into()),
    ])
}

fn parse(env: &BTreeMap<&'static str, String>) -> Result<Settings, ConfigError> {
    Settings::from_lookup(|name| env.get(name).cloned())
}

#[test]
fn reads_exactly_the_variables_the_template_sets() {
    let ours: BTreeSet<String> = ENV_VARS.iter().map(|s| s.to_string()).collect();
    assert_eq!(template_env_names(), ours);
    let theirs: BTreeSet<String> = template_env().keys().map(|s| s.to_string()).collect();
    assert_eq!(theirs, ours);
}

#[test]
fn parses_the_template_environment() {
    let s = parse(&template_env()).unwrap();
    assert_eq!(
        s.api_url,
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    );
    assert_eq!(s.api_key_secret, "streamkit/my-stack/fare-api-key-1a2b3c4d");
    assert_eq!(s.api_timeout, Duration::from_secs(30));
    assert_eq!(s.enrich.bucket, "my-stack-output");
    assert_eq!(s.enrich.prefix, "enriched/");
    assert_eq!(s.enrich.sample_every, 20);
    assert_eq!(s.enrich.concurrency, 20);
    assert_eq!(s.enrich.metric_namespace, "Streamkit/Enrichment");
    assert_eq!(s.enrich.stack_name, "my-stack");

    let mut other = template_env();
    other.insert("SAMPLE_EVERY", "5".into());
    other.insert("MAX_IN_FLIGHT", "3".into());
    other.insert("API_TIMEOUT_SECONDS", "2".into());
    let s = parse(&other).unwrap();
    assert_eq!(
        (s.enrich.sample_every, s.enrich.concurrency, s.api_timeout),
        (5, 3, Duration::from_secs(2))
    );
}

#[test]
fn optional_variables_default_to_the_template_values() {
    let mut env = template_env();
    for name in [
        config::OUTPUT_PREFIX,
        config::SAMPLE_EVERY,
        config::MAX_IN_FLIGHT,
        config::API_TIMEOUT_SECONDS,
        config::METRICS_NAMESPACE,
    ] {
        env.remove(name);
    }
    assert_eq!(parse(&env).unwrap(), parse(&template_env()).unwrap());
    assert_eq!(DEFAULT_METRIC_NAMESPACE, "Streamkit/Enrichment");
}

#[test]
fn required_variables_and_bad_numbers_are_errors() {
    for name in [
        config::API_URL,
        config::API_KEY_SECRET,
        config::OUTPUT_BUCKET,
        config::STACK_NAME,
    ] {
        let mut env = template_env();
        env.remove(name);
        assert_eq!(parse(&env), Err(ConfigError::MissingEnv(name)), "{name}");
    }
    for (name, bad) in [
        (config::SAMPLE_EVERY, "0"),
        (config::MAX_IN_FLIGHT, "twenty"),
        (config::API_TIMEOUT_SECONDS, "-1"),
    ] {
        let mut env = template_env();
        env.insert(name, bad.into());
        assert_eq!(
            parse(&env),
            Err(ConfigError::NotPositive {
                name,
                value: bad.into()
            })
        );
    }
    // The old names are gone: the API key is never in the environment.
    let mut env = template_env();
    env.remove(config::API_URL);
    env.insert("FARE_API_URL", "https://x".into());
    env.insert("FARE_API_KEY", "secret".into());
    assert_eq!(parse(&env), Err(ConfigError::MissingEnv("API_URL")));
}

fn summary() -> EnrichSummary {
    EnrichSummary {
        records: 401,
        malformed: 1,
        sampled: 20,
        api_calls: 20,
        enriched: 11,
        api_failures: BTreeMap::from([("http_500".into(), 4), ("timeout".into(), 4)]),
        write_failures: 1,
        keys: Vec::new(),
        latencies_ms: vec![12.4, 11.6, 30.2, 500.0, 12.0],
        ..EnrichSummary::default()
    }
}

fn by_name(data: &[MetricDatum]) -> BTreeMap<String, Vec<&MetricDatum>> {
    let mut out: BTreeMap<String, Vec<&MetricDatum>> = BTreeMap::new();
    for d in data {
        out.entry(d.metric_name().unwrap().to_string())
            .or_default()
            .push(d);
    }
    out
}

fn assert_stack_dimension(d: &MetricDatum, stack: &str) {
    let dims: Vec<(&str, &str)> = d
        .dimensions()
        .iter()
        .map(|x| (x.name().unwrap(), x.value().unwrap()))
        .collect();
    assert_eq!(dims, [("StackName", stack)], "{d:?}");
}

#[test]
fn metric_data_match_the_alarm_and_dashboard() {
    let data = metrics::metric_data(&summary(), "my-stack");
    let named = by_name(&data);
    assert_eq!(
        named.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "EnrichmentFailures",
            "EnrichmentLatency",
            "EnrichmentRequests"
        ]
    );
    for d in &data {
        assert_stack_dimension(d, "my-stack");
    }
    let requests = named["EnrichmentRequests"][0];
    assert_eq!(
        (requests.value(), requests.unit()),
        (Some(20.0), Some(&StandardUnit::Count))
    );
    // Failed calls only (write failures fail the invocation instead).
    let failures = named["EnrichmentFailures"][0];
    assert_eq!(
        (failures.value(), failures.unit()),
        (Some(8.0), Some(&StandardUnit::Count))
    );
    let latency = &named["EnrichmentLatency"];
    assert_eq!(latency.len(), 1);
    assert_eq!(latency[0].unit(), Some(&StandardUnit::Milliseconds));
    assert_eq!(
        latency[0].value(),
        None,
        "one value per call, not one figure"
    );
    assert_eq!(latency[0].values(), [12.0, 30.0, 500.0]);
    assert_eq!(latency[0].counts(), [3.0, 1.0, 1.0]);
}

#[test]
fn every_metric_the_template_reads_is_published() {
    let text = template("enrichment/monitoring.yaml");
    let alarms = Regex::new(r#"namespace="([^"]+)", metric="([^"]+)""#).unwrap();
    let widgets = Regex::new(r"\[(Streamkit/[A-Za-z]+), (\w+), StackName,").unwrap();
    let read: BTreeSet<(String, String)> = alarms
        .captures_iter(&text)
        .chain(widgets.captures_iter(&text))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    let published: BTreeSet<(String, String)> =
        [metrics::REQUESTS, metrics::FAILURES, metrics::LATENCY]
            .iter()
            .map(|m| (DEFAULT_METRIC_NAMESPACE.to_string(), m.to_string()))
            .collect();
    assert!(
        read.contains(&(
            "Streamkit/Enrichment".to_string(),
            "EnrichmentFailures".to_string()
        )),
        "the alarm's metric was found: {read:?}"
    );
    assert_eq!(read, published);
}

#[test]
fn many_latencies_are_split_and_an_idle_batch_has_none() {
    let mut s = summary();
    s.latencies_ms = (0..400).map(|i| i as f64).collect();
    s.api_calls = 400;
    let data = metrics::metric_data(&s, "st");
    let latency: Vec<&MetricDatum> = data
        .iter()
        .filter(|d| d.metric_name() == Some(metrics::LATENCY))
        .collect();
    assert_eq!(latency.len(), 3);
    assert!(latency
        .iter()
        .all(|d| d.values().len() <= metrics::MAX_VALUES_PER_DATUM
            && d.values().len() == d.counts().len()));
    let total: f64 = latency.iter().flat_map(|d| d.counts()).sum();
    assert_eq!(total, 400.0);

    let idle = metrics::metric_data(&EnrichSummary::default(), "st");
    let names: Vec<_> = idle.iter().map(|d| d.metric_name().unwrap()).collect();
    assert_eq!(names, ["EnrichmentRequests", "EnrichmentFailures"]);
    assert!(idle.iter().all(|d| d.value() == Some(0.0)));
}
