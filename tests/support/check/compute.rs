//! Whether a resource of Lambda and EC2 exists, asked of its own service.

use super::super::{scalar, Clients, Deployed, StackResource};

/// `None` for a type of another service.
pub(super) async fn exists(c: &Clients, d: &Deployed, r: &StackResource, id: &str) -> Option<bool> {
    Some(match r.resource_type.as_str() {
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
        _ => return None,
    })
}
