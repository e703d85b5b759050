//! The properties that matter of SNS and SQS resources, read back through
//! their own service's API and compared with the template.

use serde_json::Value;

use super::Resource;
use crate::support::check::policy_denies_insecure_transport;
use crate::support::scalar;

pub(super) async fn verify(r: &Resource<'_>) {
    match r.ty {
        "AWS::SQS::Queue" => queue(r).await,
        "AWS::SQS::QueuePolicy" => queue_policy(r).await,
        "AWS::SNS::Topic" => topic(r).await,
        "AWS::SNS::Subscription" => subscription(r).await,
        _ => {}
    }
}

/// `AWS::SQS::Queue`.
async fn queue(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let a = c
        .sqs
        .get_queue_attributes()
        .queue_url(id)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = a.attributes().unwrap();
    let kms = attrs.get(&aws_sdk_sqs::types::QueueAttributeName::KmsMasterKeyId);
    let managed = attrs.get(&aws_sdk_sqs::types::QueueAttributeName::SqsManagedSseEnabled);
    assert!(
        kms.is_some() || managed.is_some_and(|v| v == "true"),
        "{ctx}: encrypted"
    );
    if let Some(p) = props
        .get("MessageRetentionPeriod")
        .and_then(|v| d.literal(v))
    {
        assert_eq!(
            attrs
                .get(&aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod)
                .map(|s| s.as_str()),
            Some(scalar(&p).as_str()),
            "{ctx}: retention"
        );
    }
}

/// `AWS::SQS::QueuePolicy`.
async fn queue_policy(r: &Resource<'_>) {
    let Resource {
        c, d, props, ctx, ..
    } = *r;
    for q in props["Queues"].as_array().unwrap() {
        let url = d.physical(q["Ref"].as_str().unwrap());
        let a = c
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::Policy)
            .send()
            .await
            .unwrap();
        let policy = a
            .attributes()
            .and_then(|m| m.get(&aws_sdk_sqs::types::QueueAttributeName::Policy))
            .cloned()
            .unwrap_or_default();
        assert!(
            policy_denies_insecure_transport(&policy),
            "{ctx}: denies non-TLS: {policy}"
        );
    }
}

/// `AWS::SNS::Topic`.
async fn topic(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let a = c
        .sns
        .get_topic_attributes()
        .topic_arn(id)
        .send()
        .await
        .unwrap();
    let key = a
        .attributes()
        .and_then(|m| m.get("KmsMasterKeyId"))
        .cloned()
        .unwrap_or_default();
    // Encrypted: with the AWS-managed key, or with the stack's own key
    // (CloudWatch alarms can only publish to topics under a customer key).
    let want = match props["KmsMasterKeyId"].get("Ref").and_then(Value::as_str) {
        Some(logical) if d.template["Resources"].get(logical).is_some() => {
            d.physical(logical).to_string()
        }
        _ => scalar(&d.literal(&props["KmsMasterKeyId"]).expect("topic key")),
    };
    assert!(!key.is_empty(), "{ctx}: encrypted");
    assert_eq!(key, want, "{ctx}: encryption key");
}

/// `AWS::SNS::Subscription`.
async fn subscription(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let a = c
        .sns
        .get_subscription_attributes()
        .subscription_arn(id)
        .send()
        .await
        .unwrap();
    let endpoint = a
        .attributes()
        .and_then(|m| m.get("Endpoint"))
        .cloned()
        .unwrap_or_default();
    if let Some(want) = d.literal(&props["Endpoint"]) {
        assert_eq!(endpoint, scalar(&want), "{ctx}: endpoint");
    }
}
