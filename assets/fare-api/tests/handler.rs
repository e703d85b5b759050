//! The fare API with API Gateway proxy event fixtures.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::ApiGatewayProxyRequest;
use streamkit_fare_api::{estimate_fare, handle};

fn request(query: serde_json::Value) -> ApiGatewayProxyRequest {
    serde_json::from_value(serde_json::json!({
        "resource": "/predictFare",
        "path": "/predictFare",
        "httpMethod": "GET",
        "headers": {"x-api-key": "k"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {"accountId": "123456789012", "resourceId": "abc", "stage": "prod",
                           "requestId": "r", "identity": {}, "resourcePath": "/predictFare",
                           "httpMethod": "GET", "apiId": "api"},
        "body": null,
        "isBase64Encoded": false
    }))
    .expect("an API Gateway proxy event")
}

fn body(resp: &aws_lambda_events::event::apigw::ApiGatewayProxyResponse) -> serde_json::Value {
    match &resp.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

#[test]
fn a_valid_id_gets_a_deterministic_fare() {
    let a = handle(&request(serde_json::json!({"ride_request_id": "40"})));
    let b = handle(&request(serde_json::json!({"ride_request_id": "40"})));
    assert_eq!(a.status_code, 200);
    assert_eq!(body(&a), body(&b));
    assert_eq!(body(&a)["ride_request_id"], 40);
    assert_eq!(body(&a)["expected_fare"].as_f64(), Some(estimate_fare(40)));
    assert_eq!(a.headers["content-type"], "application/json");
    assert_ne!(estimate_fare(40), estimate_fare(41));
    assert!((2.5..62.5).contains(&estimate_fare(u64::MAX)));
    assert_eq!(
        handle(&request(serde_json::json!({"ride_request_id": "0"}))).status_code,
        200
    );
}

#[test]
fn anything_but_a_non_negative_integer_is_a_400_with_a_json_error() {
    for bad in ["-1", "abc", "1.5", "", "99999999999999999999999"] {
        let resp = handle(&request(serde_json::json!({"ride_request_id": bad})));
        assert_eq!(resp.status_code, 400, "{bad}");
        assert!(body(&resp)["error"]
            .as_str()
            .unwrap()
            .contains("non-negative integer"));
    }
    let missing = handle(&request(serde_json::Value::Null));
    assert_eq!(missing.status_code, 400);
    assert!(body(&missing)["error"]
        .as_str()
        .unwrap()
        .contains("missing"));
}
