//! Whether a resource of IAM, KMS, SSM and Secrets Manager exists, asked of its own service.

use super::super::{Clients, Deployed, StackResource};

/// `None` for a type of another service.
pub(super) async fn exists(c: &Clients, d: &Deployed, r: &StackResource, id: &str) -> Option<bool> {
    Some(match r.resource_type.as_str() {
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
        _ => return None,
    })
}
