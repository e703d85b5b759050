//! The properties that matter of API Gateway resources, read back through
//! their own service's API and compared with the template.

use super::{rest_api_of, Resource};
use crate::support::check::num;
use crate::support::scalar;

pub(super) async fn verify(r: &Resource<'_>) {
    match r.ty {
        "AWS::ApiGateway::Stage" => stage(r).await,
        "AWS::ApiGateway::UsagePlan" => usage_plan(r).await,
        "AWS::ApiGateway::ApiKey" => api_key(r).await,
        "AWS::ApiGateway::UsagePlanKey" => usage_plan_key(r).await,
        "AWS::ApiGateway::RequestValidator" => request_validator(r).await,
        "AWS::ApiGateway::Method" => method(r).await,
        "AWS::ApiGateway::RestApi" => rest_api(r).await,
        _ => {}
    }
}

/// `AWS::ApiGateway::Stage`.
async fn stage(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let api = rest_api_of(d, props);
    let s = c
        .apigateway
        .get_stage()
        .rest_api_id(&api)
        .stage_name(id)
        .send()
        .await
        .unwrap();
    if let Some(t) = d.literal(&props["TracingEnabled"]) {
        assert_eq!(s.tracing_enabled(), scalar(&t) == "true", "{ctx}: tracing");
    }
    if props.get("AccessLogSetting").is_some() {
        let logs = s.access_log_settings().expect("access logs");
        assert!(
            logs.destination_arn()
                .is_some_and(|a| a.contains(":log-group:")),
            "{ctx}: access log group"
        );
        assert!(
            logs.format().is_some_and(|f| f.contains("requestId")),
            "{ctx}: access log format"
        );
    }
    for setting in props["MethodSettings"].as_array().into_iter().flatten() {
        let all = s
            .method_settings()
            .and_then(|m| m.get("*/*"))
            .unwrap_or_else(|| panic!("{ctx}: method settings {:?}", s.method_settings()));
        if let Some(level) = setting.get("LoggingLevel") {
            assert_eq!(
                all.logging_level(),
                Some(scalar(level).as_str()),
                "{ctx}: logging level"
            );
        }
        if let Some(rate) = setting
            .get("ThrottlingRateLimit")
            .and_then(|v| d.literal(v))
        {
            assert_eq!(all.throttling_rate_limit(), num(&rate), "{ctx}: rate limit");
        }
        if let Some(burst) = setting
            .get("ThrottlingBurstLimit")
            .and_then(|v| d.literal(v))
        {
            assert_eq!(
                all.throttling_burst_limit() as f64,
                num(&burst),
                "{ctx}: burst limit"
            );
        }
    }
}

/// `AWS::ApiGateway::UsagePlan`.
async fn usage_plan(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let p = c
        .apigateway
        .get_usage_plan()
        .usage_plan_id(id)
        .send()
        .await
        .unwrap();
    assert!(!p.api_stages().is_empty(), "{ctx}: attached to a stage");
    for s in p.api_stages() {
        let api = s.api_id().unwrap();
        c.apigateway
            .get_stage()
            .rest_api_id(api)
            .stage_name(s.stage().unwrap())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{ctx}: stage {:?}: {e:?}", s.stage()));
    }
    if let Some(throttle) = props.get("Throttle") {
        let t = p.throttle().expect("throttle");
        if let Some(rate) = d.literal(&throttle["RateLimit"]) {
            assert_eq!(t.rate_limit(), num(&rate), "{ctx}: rate");
        }
        if let Some(burst) = d.literal(&throttle["BurstLimit"]) {
            assert_eq!(t.burst_limit() as f64, num(&burst), "{ctx}: burst");
        }
    }
}

/// `AWS::ApiGateway::ApiKey`.
async fn api_key(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let k = c
        .apigateway
        .get_api_key()
        .api_key(id)
        .include_value(true)
        .send()
        .await
        .unwrap();
    assert!(k.enabled(), "{ctx}: enabled");
    let value = k.value().unwrap_or_default().to_string();
    assert!(value.len() >= 20, "{ctx}: a real key value");
    if let Some(v) = props.get("Value") {
        // Never a literal: a dynamic reference to the stack's secret.
        let text = v.to_string();
        assert!(
            text.contains("{{resolve:secretsmanager:"),
            "{ctx}: the key value is a literal: {text}"
        );
        assert!(
            !value.contains("{{resolve:"),
            "{ctx}: dynamic reference left unresolved"
        );
        for secret in d.of_type("AWS::SecretsManager::Secret") {
            if text.contains(&format!("${{{}}}", secret.logical_id)) {
                let s = c
                    .secrets
                    .get_secret_value()
                    .secret_id(&secret.physical_id)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    s.secret_string(),
                    Some(value.as_str()),
                    "{ctx}: the key is the secret's value"
                );
            }
        }
    }
}

/// `AWS::ApiGateway::UsagePlanKey`.
async fn usage_plan_key(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let plan_logical = props["UsagePlanId"]["Ref"].as_str().unwrap();
    let plan = d.physical(plan_logical);
    let keys = c
        .apigateway
        .get_usage_plan_keys()
        .usage_plan_id(plan)
        .send()
        .await
        .unwrap();
    assert!(
        keys.items()
            .iter()
            .any(|k| k.id() == Some(id) && k.r#type() == Some("API_KEY")),
        "{ctx}: key in plan"
    );
}

/// `AWS::ApiGateway::RequestValidator`.
async fn request_validator(r: &Resource<'_>) {
    let Resource {
        c,
        d,
        logical,
        id,
        props,
        ctx,
        ..
    } = *r;
    let api = rest_api_of(d, props);
    let v = c
        .apigateway
        .get_request_validator()
        .rest_api_id(&api)
        .request_validator_id(id)
        .send()
        .await
        .unwrap();
    for (prop, got) in [
        ("ValidateRequestBody", v.validate_request_body()),
        ("ValidateRequestParameters", v.validate_request_parameters()),
    ] {
        let want = props
            .get(prop)
            .map(|x| scalar(x) == "true")
            .unwrap_or(false);
        assert_eq!(got, want, "{ctx}: {prop}");
    }
    // The validator is used by a method.
    let used = d
        .of_type("AWS::ApiGateway::Method")
        .iter()
        .any(|m| d.def(&m.logical_id)["Properties"]["RequestValidatorId"]["Ref"] == logical);
    assert!(used, "{ctx}: attached to a method");
}

/// `AWS::ApiGateway::Method`.
async fn method(r: &Resource<'_>) {
    let Resource {
        c, id, props, ctx, ..
    } = *r;
    let parts: Vec<&str> = id.split('|').collect();
    let m = c
        .apigateway
        .get_method()
        .rest_api_id(parts[0])
        .resource_id(parts[1])
        .http_method(parts[2])
        .send()
        .await
        .unwrap();
    assert_eq!(
        m.authorization_type(),
        Some(scalar(&props["AuthorizationType"]).as_str()),
        "{ctx}: authorization"
    );
    if let Some(v) = props.get("ApiKeyRequired") {
        assert_eq!(
            m.api_key_required(),
            Some(scalar(v) == "true"),
            "{ctx}: API key"
        );
    }
    if let Some(integration) = props.get("Integration") {
        let got = m
            .method_integration()
            .unwrap_or_else(|| panic!("{ctx}: integration dropped"));
        assert_eq!(
            got.r#type().map(|t| t.as_str()),
            Some(scalar(&integration["Type"]).as_str()),
            "{ctx}: integration type"
        );
        assert!(
            got.uri().is_some_and(|u| !u.is_empty()),
            "{ctx}: integration URI"
        );
        if let Some(templates) = integration["RequestTemplates"].as_object() {
            assert_eq!(
                got.request_templates().map(|t| t.len()),
                Some(templates.len()),
                "{ctx}: request templates"
            );
        }
        if integration.get("Credentials").is_some() {
            assert!(got.credentials().is_some(), "{ctx}: integration role");
        }
        let responses = integration["IntegrationResponses"]
            .as_array()
            .map_or(0, |r| r.len());
        assert_eq!(
            got.integration_responses().map_or(0, |r| r.len()),
            responses,
            "{ctx}: integration responses"
        );
    }
    let responses = props["MethodResponses"].as_array().map_or(0, |r| r.len());
    assert_eq!(
        m.method_responses().map_or(0, |r| r.len()),
        responses,
        "{ctx}: method responses"
    );
    if props.get("RequestValidatorId").is_some() {
        assert!(m.request_validator_id().is_some(), "{ctx}: validator");
    }
}

/// `AWS::ApiGateway::RestApi`.
async fn rest_api(r: &Resource<'_>) {
    let Resource {
        c, id, props, ctx, ..
    } = *r;
    let api = c
        .apigateway
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .unwrap();
    if let Some(types) = props["EndpointConfiguration"]["Types"].as_array() {
        let got: Vec<String> = api
            .endpoint_configuration()
            .map(|e| e.types().iter().map(|t| t.as_str().to_string()).collect())
            .unwrap_or_default();
        let want: Vec<String> = types.iter().map(scalar).collect();
        assert_eq!(got, want, "{ctx}: endpoint type");
    }
}
