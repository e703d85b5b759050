//! The properties that matter of Lambda and EC2 resources, read back through
//! their own service's API and compared with the template.

use super::Resource;
use crate::support::check::num;
use crate::support::scalar;

pub(super) async fn verify(r: &Resource<'_>) {
    match r.ty {
        "AWS::Lambda::Function" => function(r).await,
        "AWS::Lambda::EventSourceMapping" => event_source_mapping(r).await,
        _ => {}
    }
}

/// `AWS::Lambda::Function`.
async fn function(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let f = c
        .lambda
        .get_function_configuration()
        .function_name(id)
        .send()
        .await
        .unwrap();
    if let Some(arch) = props["Architectures"].as_array() {
        let want: Vec<String> = arch
            .iter()
            .filter_map(|a| d.literal(a))
            .map(|a| scalar(&a))
            .collect();
        let got: Vec<String> = f
            .architectures()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect();
        if want.len() == arch.len() {
            assert_eq!(got, want, "{ctx}: architectures");
        }
    }
    if let Some(rt) = props.get("Runtime") {
        assert_eq!(
            f.runtime().map(|r| r.as_str()),
            Some(scalar(rt).as_str()),
            "{ctx}: runtime"
        );
    }
    if let Some(mode) = props["TracingConfig"]["Mode"].as_str() {
        assert_eq!(
            f.tracing_config()
                .and_then(|t| t.mode())
                .map(|m| m.as_str()),
            Some(mode),
            "{ctx}: tracing"
        );
    }
}

/// `AWS::Lambda::EventSourceMapping`.
async fn event_source_mapping(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let m = c
        .lambda
        .get_event_source_mapping()
        .uuid(id)
        .send()
        .await
        .unwrap();
    for (prop, got) in [
        ("BatchSize", m.batch_size().map(f64::from)),
        (
            "ParallelizationFactor",
            m.parallelization_factor().map(f64::from),
        ),
        (
            "MaximumRetryAttempts",
            m.maximum_retry_attempts().map(f64::from),
        ),
        (
            "MaximumRecordAgeInSeconds",
            m.maximum_record_age_in_seconds().map(f64::from),
        ),
        (
            "MaximumBatchingWindowInSeconds",
            m.maximum_batching_window_in_seconds().map(f64::from),
        ),
    ] {
        if let Some(want) = props.get(prop).and_then(|v| d.literal(v)) {
            assert_eq!(got, Some(num(&want)), "{ctx}: {prop}");
        }
    }
    if let Some(types) = props["FunctionResponseTypes"].as_array() {
        assert_eq!(
            m.function_response_types().len(),
            types.len(),
            "{ctx}: response types"
        );
    }
    if props.get("DestinationConfig").is_some() {
        assert!(
            m.destination_config()
                .and_then(|d| d.on_failure())
                .and_then(|f| f.destination())
                .is_some(),
            "{ctx}: on-failure destination"
        );
    }
}
