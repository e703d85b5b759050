//! Looks each stack resource up through its own service's API.

use serde_json::Value;

use super::{json_of, scalar, Clients, Deployed, StackResource};

/// Does the resource exist, asked of its own service? Panics for a type the
/// test does not know how to look up, so that no resource goes unchecked.
pub async fn exists(c: &Clients, d: &Deployed, r: &StackResource) -> bool {
    let id = r.physical_id.as_str();
    assert!(
        !id.is_empty(),
        "{}: {} has no physical ID",
        d.name,
        r.logical_id
    );
    match r.resource_type.as_str() {
        "AWS::Kinesis::Stream" => c
            .kinesis
            .describe_stream_summary()
            .stream_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::Kinesis::StreamConsumer" => c
            .kinesis
            .describe_stream_consumer()
            .consumer_arn(id)
            .send()
            .await
            .is_ok(),
        "AWS::S3::Bucket" => c.s3.head_bucket().bucket(id).send().await.is_ok(),
        "AWS::S3::BucketPolicy" => c.s3.get_bucket_policy().bucket(id).send().await.is_ok(),
        "AWS::CloudWatch::Alarm" => c
            .cloudwatch
            .describe_alarms()
            .alarm_names(id)
            .send()
            .await
            .is_ok_and(|o| !o.metric_alarms().is_empty() || !o.composite_alarms().is_empty()),
        "AWS::CloudWatch::Dashboard" => c
            .cloudwatch
            .get_dashboard()
            .dashboard_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::KinesisFirehose::DeliveryStream" => c
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::KinesisAnalyticsV2::Application" => c
            .flink
            .describe_application()
            .application_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption" => {
            let app = d.def(&r.logical_id)["Properties"]["ApplicationName"]["Ref"]
                .as_str()
                .map(|l| d.physical(l).to_string())
                .expect("logging option names its application with Ref");
            match c
                .flink
                .describe_application()
                .application_name(app)
                .send()
                .await
            {
                Ok(o) => o.application_detail().is_some_and(|a| {
                    a.cloud_watch_logging_option_descriptions()
                        .iter()
                        .any(|l| l.cloud_watch_logging_option_id() == Some(id))
                }),
                Err(_) => false,
            }
        }
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => c
            .dynamodb
            .describe_table()
            .table_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::Lambda::Function" => c
            .lambda
            .get_function()
            .function_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::Lambda::Permission" => {
            // Physical ID: the statement ID, in the function's resource policy.
            let function = scalar(&d.def(&r.logical_id)["Properties"]["FunctionName"]);
            let function = d.def(&r.logical_id)["Properties"]["FunctionName"]["Fn::GetAtt"][0]
                .as_str()
                .map(|l| d.physical(l).to_string())
                .unwrap_or(function);
            c.lambda
                .get_policy()
                .function_name(function)
                .send()
                .await
                .is_ok_and(|p| p.policy().is_some_and(|p| p.contains(id)))
        }
        "AWS::Lambda::EventSourceMapping" => c
            .lambda
            .get_event_source_mapping()
            .uuid(id)
            .send()
            .await
            .is_ok(),
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
        "AWS::Logs::LogGroup" => c
            .logs
            .describe_log_groups()
            .log_group_name_prefix(id)
            .send()
            .await
            .is_ok_and(|o| {
                o.log_groups()
                    .iter()
                    .any(|g| g.log_group_name() == Some(id))
            }),
        "AWS::Logs::LogStream" => {
            let group = d.def(&r.logical_id)["Properties"]["LogGroupName"]["Ref"]
                .as_str()
                .map(|l| d.physical(l).to_string())
                .expect("log stream names its group with Ref");
            c.logs
                .describe_log_streams()
                .log_group_name(group)
                .send()
                .await
                .is_ok_and(|o| {
                    o.log_streams()
                        .iter()
                        .any(|s| s.log_stream_name() == Some(id))
                })
        }
        "AWS::IAM::Role" => c.iam.get_role().role_name(id).send().await.is_ok(),
        "AWS::IAM::ManagedPolicy" => c.iam.get_policy().policy_arn(id).send().await.is_ok(),
        "AWS::IAM::InstanceProfile" => c
            .iam
            .get_instance_profile()
            .instance_profile_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::IAM::Policy" => {
            let roles = d.def(&r.logical_id)["Properties"]["Roles"].clone();
            let mut all = true;
            for role in roles.as_array().expect("inline policy attached to Roles") {
                let role = d
                    .physical(role["Ref"].as_str().expect("Roles: Ref"))
                    .to_string();
                all &= c
                    .iam
                    .list_role_policies()
                    .role_name(role)
                    .send()
                    .await
                    .is_ok_and(|o| o.policy_names().iter().any(|p| p == id));
            }
            all
        }
        "AWS::SSM::Parameter" => c.ssm.get_parameter().name(id).send().await.is_ok(),
        "AWS::SecretsManager::Secret" => c
            .secrets
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .is_ok_and(|s| s.deleted_date().is_none()),
        "AWS::EC2::Instance" => c
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .is_ok_and(|o| {
                o.reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .any(|i| {
                        i.state()
                            .and_then(|s| s.name())
                            .is_some_and(|n| n.as_str() != "terminated")
                    })
            }),
        "AWS::EC2::SecurityGroup" => c
            .ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .is_ok_and(|o| !o.security_groups().is_empty()),
        "AWS::EC2::LaunchTemplate" => c
            .ec2
            .describe_launch_templates()
            .launch_template_ids(id)
            .send()
            .await
            .is_ok_and(|o| !o.launch_templates().is_empty()),
        "AWS::ApiGateway::RestApi" => c
            .apigateway
            .get_rest_api()
            .rest_api_id(id)
            .send()
            .await
            .is_ok(),
        "AWS::ApiGateway::Resource" => {
            let api = api_of(d, r);
            c.apigateway
                .get_resource()
                .rest_api_id(api)
                .resource_id(id)
                .send()
                .await
                .is_ok()
        }
        "AWS::ApiGateway::Method" => {
            let parts: Vec<&str> = id.split('|').collect();
            assert_eq!(
                parts.len(),
                3,
                "method physical ID is api|resource|verb: {id}"
            );
            c.apigateway
                .get_method()
                .rest_api_id(parts[0])
                .resource_id(parts[1])
                .http_method(parts[2])
                .send()
                .await
                .is_ok()
        }
        "AWS::ApiGateway::Deployment" => {
            let api = api_of(d, r);
            c.apigateway
                .get_deployment()
                .rest_api_id(api)
                .deployment_id(id)
                .send()
                .await
                .is_ok()
        }
        "AWS::ApiGateway::Stage" => {
            let api = api_of(d, r);
            c.apigateway
                .get_stage()
                .rest_api_id(api)
                .stage_name(id)
                .send()
                .await
                .is_ok()
        }
        "AWS::ApiGateway::RequestValidator" => {
            let api = api_of(d, r);
            c.apigateway
                .get_request_validator()
                .rest_api_id(api)
                .request_validator_id(id)
                .send()
                .await
                .is_ok()
        }
        "AWS::ApiGateway::Model" => {
            let api = api_of(d, r);
            c.apigateway
                .get_model()
                .rest_api_id(api)
                .model_name(id)
                .send()
                .await
                .is_ok()
        }
        "AWS::ApiGateway::UsagePlan" => c
            .apigateway
            .get_usage_plan()
            .usage_plan_id(id)
            .send()
            .await
            .is_ok(),
        "AWS::ApiGateway::ApiKey" => c.apigateway.get_api_key().api_key(id).send().await.is_ok(),
        "AWS::ApiGateway::UsagePlanKey" => {
            let plan = d.def(&r.logical_id)["Properties"]["UsagePlanId"]["Ref"]
                .as_str()
                .map(|l| d.physical(l).to_string())
                .expect("usage plan key names its plan with Ref");
            c.apigateway
                .get_usage_plan_key()
                .usage_plan_id(plan)
                .key_id(id)
                .send()
                .await
                .is_ok()
        }
        "AWS::KMS::Key" => c.kms.describe_key().key_id(id).send().await.is_ok_and(|k| {
            k.key_metadata()
                .and_then(|m| m.key_state())
                .is_some_and(|s| s.as_str() != "PendingDeletion")
        }),
        "AWS::KMS::Alias" => c
            .kms
            .list_aliases()
            .send()
            .await
            .is_ok_and(|o| o.aliases().iter().any(|a| a.alias_name() == Some(id))),
        "AWS::ApiGateway::Account" => c.apigateway.get_account().send().await.is_ok(),
        "AWS::Events::Rule" => c
            .events
            .describe_rule()
            .name(id.rsplit('|').next().unwrap_or(id))
            .send()
            .await
            .is_ok_and(|r| r.schedule_expression().is_some() || r.event_pattern().is_some()),
        other => panic!(
            "{}: the test does not know how to look up {other} ({}); add it to support/check.rs",
            d.name, r.logical_id
        ),
    }
}

/// The REST API an API Gateway child resource belongs to (its `RestApiId: Ref`).
fn api_of(d: &Deployed, r: &StackResource) -> String {
    let def = d.def(&r.logical_id);
    let logical = def["Properties"]["RestApiId"]["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: RestApiId is not a Ref", r.logical_id));
    d.physical(logical).to_string()
}

/// Types whose deletion leaves the resource in place on AWS too.
pub fn survives_delete(resource_type: &str) -> bool {
    // Account settings are a regional singleton.
    resource_type == "AWS::ApiGateway::Account"
}

pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a number: {other}"),
    }
}

pub fn policy_denies_insecure_transport(policy: &str) -> bool {
    let doc = json_of(policy);
    doc["Statement"].as_array().is_some_and(|statements| {
        statements.iter().any(|s| {
            s["Effect"] == "Deny"
                && scalar(&s["Condition"]["Bool"]["aws:SecureTransport"]) == "false"
        })
    })
}
