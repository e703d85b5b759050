//! The fare API: `GET /predictFare?ride_request_id=N` → `{"ride_request_id": N,
//! "expected_fare": F}`; N must be a non-negative integer, else 400 with a
//! JSON error. The estimate is a pure function of N.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use http::header::{HeaderValue, CONTENT_TYPE};
use serde_json::json;

/// A deterministic fare (USD, cents precision) for a ride request id:
/// a base fare plus a pseudo-random distance component derived from the id.
pub fn estimate_fare(ride_request_id: u64) -> f64 {
    let mixed = ride_request_id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17);
    let cents = 250 + mixed % 6_000;
    cents as f64 / 100.0
}

/// Answers one API Gateway proxy request.
pub fn handle(request: &ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
    let raw = request.query_string_parameters.first("ride_request_id");
    match raw.map(str::trim).map(str::parse::<u64>) {
        Some(Ok(id)) => respond(
            200,
            json!({ "ride_request_id": id, "expected_fare": estimate_fare(id) }),
        ),
        Some(Err(_)) => {
            tracing::info!(value = raw.unwrap_or_default(), "rejected ride_request_id");
            respond(
                400,
                json!({ "error": "ride_request_id must be a non-negative integer", "value": raw }),
            )
        }
        None => respond(
            400,
            json!({ "error": "missing query parameter ride_request_id" }),
        ),
    }
}

fn respond(status: i64, body: serde_json::Value) -> ApiGatewayProxyResponse {
    let mut resp = ApiGatewayProxyResponse::default();
    resp.status_code = status;
    resp.headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.body = Some(Body::Text(body.to_string()));
    resp
}
