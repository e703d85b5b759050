//! The properties that matter of CloudWatch and CloudWatch Logs resources, read back through
//! their own service's API and compared with the template.

use serde_json::Value;

use super::Resource;
use crate::support::check::num;
use crate::support::scalar;

pub(super) async fn verify(r: &Resource<'_>) {
    match r.ty {
        "AWS::CloudWatch::Alarm" => alarm(r).await,
        "AWS::Logs::LogGroup" => log_group(r).await,
        "AWS::CloudWatch::Dashboard" => dashboard(r).await,
        _ => {}
    }
}

/// `AWS::CloudWatch::Alarm`.
async fn alarm(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let out = c
        .cloudwatch
        .describe_alarms()
        .alarm_names(id)
        .send()
        .await
        .unwrap();
    let a = &out.metric_alarms()[0];
    assert_eq!(
        a.threshold().unwrap(),
        num(&d.literal(&props["Threshold"]).expect("literal threshold")),
        "{ctx}: threshold"
    );
    assert_eq!(
        a.comparison_operator().unwrap().as_str(),
        scalar(&props["ComparisonOperator"]),
        "{ctx}"
    );
    assert_eq!(
        a.evaluation_periods().unwrap() as f64,
        num(&props["EvaluationPeriods"]),
        "{ctx}"
    );
    if let Some(v) = props.get("TreatMissingData") {
        assert_eq!(a.treat_missing_data(), Some(scalar(v).as_str()), "{ctx}");
    }
    assert!(
        a.alarm_description().is_some_and(|s| !s.is_empty()),
        "{ctx}: described"
    );
    // Every alarm notifies the stack's topic on ALARM and on OK.
    let topics: Vec<&str> = d
        .of_type("AWS::SNS::Topic")
        .iter()
        .map(|t| t.physical_id.as_str())
        .collect();
    assert!(!topics.is_empty(), "{ctx}: the stack has an alarm topic");
    assert!(
        a.alarm_actions()
            .iter()
            .any(|x| topics.contains(&x.as_str())),
        "{ctx}: ALARM action {:?}",
        a.alarm_actions()
    );
    assert!(
        a.ok_actions().iter().any(|x| topics.contains(&x.as_str())),
        "{ctx}: OK action {:?}",
        a.ok_actions()
    );
    if props.get("Metrics").is_some() {
        assert_eq!(
            a.metrics().len(),
            props["Metrics"].as_array().unwrap().len(),
            "{ctx}: metric math"
        );
    } else {
        assert_eq!(
            a.metric_name(),
            Some(scalar(&props["MetricName"]).as_str()),
            "{ctx}"
        );
        assert_eq!(
            a.namespace(),
            Some(scalar(&props["Namespace"]).as_str()),
            "{ctx}"
        );
        assert_eq!(
            a.dimensions().len(),
            props["Dimensions"].as_array().map_or(0, |v| v.len()),
            "{ctx}: dimensions"
        );
    }
}

/// `AWS::Logs::LogGroup`.
async fn log_group(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let out = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(id)
        .send()
        .await
        .unwrap();
    let g = out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(id))
        .unwrap();
    assert!(
        g.retention_in_days().is_some(),
        "{ctx}: every log group has a retention"
    );
    if let Some(days) = d.literal(&props["RetentionInDays"]) {
        assert_eq!(
            g.retention_in_days().unwrap() as f64,
            num(&days),
            "{ctx}: retention"
        );
    }
}

/// `AWS::CloudWatch::Dashboard`.
async fn dashboard(r: &Resource<'_>) {
    let Resource { c, id, ctx, .. } = *r;
    let out = c
        .cloudwatch
        .get_dashboard()
        .dashboard_name(id)
        .send()
        .await
        .unwrap();
    let body: Value =
        serde_json::from_str(out.dashboard_body().unwrap()).expect("dashboard body is JSON");
    assert!(
        body["widgets"].as_array().is_some_and(|w| !w.is_empty()),
        "{ctx}: widgets"
    );
}
