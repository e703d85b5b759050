//! Whether a resource of API Gateway exists, asked of its own service.

use super::super::{Clients, Deployed, StackResource};
use super::api_of;

/// `None` for a type of another service.
pub(super) async fn exists(c: &Clients, d: &Deployed, r: &StackResource, id: &str) -> Option<bool> {
    Some(match r.resource_type.as_str() {
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
        "AWS::ApiGateway::Account" => c.apigateway.get_account().send().await.is_ok(),
        _ => return None,
    })
}
