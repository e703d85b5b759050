//! Whether a resource of SNS, SQS and EventBridge exists, asked of its own service.

use super::super::{Clients, Deployed, StackResource};

/// `None` for a type of another service.
pub(super) async fn exists(c: &Clients, d: &Deployed, r: &StackResource, id: &str) -> Option<bool> {
    Some(match r.resource_type.as_str() {
        "AWS::SNS::Topic" => c
            .sns
            .get_topic_attributes()
            .topic_arn(id)
            .send()
            .await
            .is_ok(),
        "AWS::SNS::Subscription" => c
            .sns
            .get_subscription_attributes()
            .subscription_arn(id)
            .send()
            .await
            .is_ok(),
        "AWS::SNS::TopicPolicy" => {
            let topics = d.def(&r.logical_id)["Properties"]["Topics"].clone();
            let mut all = true;
            for t in topics.as_array().expect("Topics") {
                let arn = d
                    .physical(t["Ref"].as_str().expect("Topics: Ref"))
                    .to_string();
                all &= match c.sns.get_topic_attributes().topic_arn(&arn).send().await {
                    Ok(o) => o
                        .attributes()
                        .and_then(|a| a.get("Policy"))
                        .is_some_and(|p| p.contains(&d.name) || !p.contains("__default_policy_ID")),
                    Err(_) => false,
                };
            }
            all
        }
        "AWS::SQS::Queue" => c
            .sqs
            .get_queue_attributes()
            .queue_url(id)
            .send()
            .await
            .is_ok(),
        "AWS::SQS::QueuePolicy" => {
            let queues = d.def(&r.logical_id)["Properties"]["Queues"].clone();
            let mut all = true;
            for q in queues.as_array().expect("Queues") {
                let url = d
                    .physical(q["Ref"].as_str().expect("Queues: Ref"))
                    .to_string();
                all &= match c
                    .sqs
                    .get_queue_attributes()
                    .queue_url(&url)
                    .attribute_names(aws_sdk_sqs::types::QueueAttributeName::Policy)
                    .send()
                    .await
                {
                    Ok(o) => o.attributes().is_some_and(|a| {
                        a.contains_key(&aws_sdk_sqs::types::QueueAttributeName::Policy)
                    }),
                    Err(_) => false,
                };
            }
            all
        }
        "AWS::Events::Rule" => c
            .events
            .describe_rule()
            .name(id.rsplit('|').next().unwrap_or(id))
            .send()
            .await
            .is_ok_and(|r| r.schedule_expression().is_some() || r.event_pattern().is_some()),
        _ => return None,
    })
}
